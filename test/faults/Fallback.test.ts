/**
 * Every upstream fault of `UpstreamFaults.test.ts`, now behind a virtual model that falls back to a
 * healthy provider (`{ strategy: "fallback", targets: ["bad/<fault>", "<good>/…"] }`), through the
 * real `switchboard serve` and the real clients, streamed and not, on both lanes:
 *
 * - a fault that strikes before the first byte of the answer reaches the caller falls over: the
 *   caller gets the healthy target's answer, and the headers say so (`x-switchboard-model` the
 *   healthy target, `x-switchboard-attempts: 2`);
 * - a fault that strikes after it (a stream that stalls, resets or is cut short once it has begun;
 *   on pass-through also a plain answer whose 200 head was already sent) does not: the caller's
 *   answer ends with its format's error event (or, for a plain body, a cut), nothing of the healthy
 *   target is spliced in, and the healthy target is not even asked.
 *
 * Each case has a model of its own on each side (`bad/<case>`, `<good>/<case>`), so the circuit
 * breakers of different cases never meet (three failures in a row on one target would make later
 * cases skip it) and every upstream request can be counted per case; the cases run concurrently.
 * The breaker gets cases of its own. The fallback alternates formats: non-streamed cases fall back
 * to an OpenAI-format provider, streamed ones to an Anthropic-format one, so every caller format
 * meets both pass-through and translation on both sides of the fall-over.
 *
 * Providers that cannot be reached at all (a closed port, a name that does not resolve, TLS spoken
 * to a plain port) never connect (model discovery fails first), so their targets are passed over
 * without an attempt; a provider that goes away after connecting gives the request-time refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { anthropicProviderEntry, type FakeAnthropicUpstream, reply as anthropicReply, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry as openAiEntry, reply as openAiReply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { freePort, getJson, type SwitchboardProcess, waitForProvider } from "../support/SwitchboardProcess.ts"
import { type Api, APIS, ask, type Outcome } from "./support/Clients.ts"
import { type Fault, type MisbehavingUpstream, providerEntry, startMisbehavingUpstream } from "./support/MisbehavingUpstream.ts"
import { capture, checkNoLeaksAfterAll, secretEnv, startCapturedSwitchboard, TestSecrets, withSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

const FAULTS: ReadonlyArray<Fault> = [
  "slow-headers", "stall", "reset", "truncated", "html", "rate-limited", "error-500", "error-502", "error-503", "wrong-content-type"
]

/** The two healthy providers a chain falls back to. */
const GOOD_OPENAI = "good"
const GOOD_ANTHROPIC = "good-anthropic"

interface Case {
  readonly fault: Fault
  readonly api: Api
  readonly stream: boolean
  /** The model id of this case on every upstream, and the virtual model's name after `chain-`. */
  readonly id: string
  /** The provider the chain falls back to. */
  readonly good: string
}

const caseOf = (fault: Fault | string, api: Api, stream: boolean): Omit<Case, "fault"> => ({
  api,
  stream,
  id: `${fault}.${api}.${stream ? "stream" : "whole"}`,
  good: stream ? GOOD_ANTHROPIC : GOOD_OPENAI
})

const CASES: ReadonlyArray<Case> = FAULTS.flatMap((fault) =>
  APIS.flatMap((api) => [false, true].map((stream): Case => ({ fault, ...caseOf(fault, api, stream) })))
)

/** Whether the fault strikes once the caller has the first byte of the answer (then nothing may fall over). */
const strikesAfterFirstByte = ({ fault, api, stream }: Case): boolean =>
  stream
    ? fault === "stall" || fault === "reset" || fault === "truncated"
    // A plain answer passed through: its 200 head is the caller's as it arrives, before the body breaks.
    : api === "openai" && (fault === "reset" || fault === "truncated")

/** What the healthy targets answer, one text per case: spliced text would show. */
const goodText = (id: string) => `the healthy answer for ${id}`

/** Targets of providers that are never connected: passed over, no attempt. */
const UNREACHABLE = ["refused", "nodns", "tls"] as const

const chain = (name: string, targets: ReadonlyArray<string>) => ({ name, strategy: "fallback", targets })

/** A request through `ask`, with the head of its HTTP response (the SDKs do not show it). */
const askRouted = async (url: string, api: Api, model: string, stream: boolean) => {
  let head: { readonly status: number; readonly headers: Headers } | undefined
  const outcome = await ask(url, api, model, { stream, onResponse: (response) => void (head = response) })
  if (head === undefined) throw new Error(`no response head for ${api} ${model}`)
  return { outcome, head, routed: { model: head.headers.get("x-switchboard-model"), provider: head.headers.get("x-switchboard-provider"), attempts: head.headers.get("x-switchboard-attempts") } }
}

const answered = (outcome: Outcome, text: string) => expect(outcome, JSON.stringify(outcome)).toEqual({ _tag: "Answer", text })

// Mid-stream failures name the provider and its host, as without a chain.
const TIMEOUT = /no answer from bad \(127\.0\.0\.1\) within 1 s/
const CUT = /cannot reach bad \(127\.0\.0\.1\): connection reset/

interface VirtualModelJson {
  readonly id: string
  readonly targets: ReadonlyArray<{
    readonly model: string
    readonly available: boolean
    readonly breaker: { readonly state: string; readonly failures: number; readonly open_until: string | null; readonly last_failure: string | null }
  }>
}

describe.each([{ fastLane: true }, { fastLane: false }])("fallback on upstream faults (fast lane: $fastLane)", ({ fastLane }) => {
  let bad: MisbehavingUpstream
  /** Connected at first, then closed: refused at request time. */
  let gone: MisbehavingUpstream
  let good: FakeOpenAiUpstream
  let goodAnthropic: FakeAnthropicUpstream
  let switchboard: SwitchboardProcess

  const GONE_CASES = APIS.flatMap((api) => [false, true].map((stream) => caseOf("gone", api, stream)))
  const UNREACHABLE_CASES = UNREACHABLE.flatMap((id) => APIS.flatMap((api) => [false, true].map((stream) => ({ provider: id, ...caseOf(id, api, stream) }))))
  const BREAKER = { ...caseOf("breaker", "openai", false), fault: "error-500" as const }
  const RETRY_AFTER = { ...caseOf("retry-after", "anthropic", false), fault: "rate-limited" as const }

  const goodRequests = (id: string) => [
    ...good.requestsTo("POST", "/v1/chat/completions"),
    ...goodAnthropic.requestsTo("POST", "/v1/messages")
  ].filter((request) => (request.body as { model?: unknown } | undefined)?.model === id)

  const virtualModel = async (name: string) => {
    const list = await getJson<{ data: ReadonlyArray<VirtualModelJson> }>(switchboard.url, "/v1/virtual-models")
    capture("GET /v1/virtual-models", JSON.stringify(list))
    const found = list.data.find((model) => model.id === name)
    if (found === undefined) throw new Error(`${name} is not listed`)
    return found
  }

  beforeAll(async () => {
    const goodIds = [...CASES, ...GONE_CASES, ...UNREACHABLE_CASES, BREAKER, RETRY_AFTER].map((c) => c.id)
    let closedPort: number
    ;[bad, gone, good, goodAnthropic, closedPort] = await Promise.all([
      startMisbehavingUpstream({
        slowMs: 3_000,
        models: Object.fromEntries([...CASES, BREAKER, RETRY_AFTER].map((c) => [c.id, c.fault]))
      }),
      startMisbehavingUpstream({ models: Object.fromEntries(GONE_CASES.map((c) => [c.id, "ok"])) }),
      startFakeOpenAiUpstream({ models: Object.fromEntries(goodIds.map((id) => [id, openAiReply(goodText(id))])) }),
      startFakeAnthropicUpstream({ apiKey: TestSecrets.upstreamKey, models: Object.fromEntries(goodIds.map((id) => [id, anthropicReply(goodText(id))])) }),
      freePort()
    ])
    switchboard = await startCapturedSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(bad, "bad", { ...withSecrets, timeoutSeconds: 1 }),
          providerEntry(gone, "gone", { ...withSecrets, timeoutSeconds: 1 }),
          providerEntry({ host: "127.0.0.1", port: closedPort }, "refused", { ...withSecrets, timeoutSeconds: 1 }),
          // RFC 6761: `.invalid` never resolves.
          providerEntry({ host: "switchboard-faults.invalid", port: 443 }, "nodns", { ...withSecrets, timeoutSeconds: 1 }),
          providerEntry(bad, "tls", { ...withSecrets, protocol: "https", timeoutSeconds: 1 }),
          openAiEntry(good, GOOD_OPENAI),
          anthropicProviderEntry(goodAnthropic, GOOD_ANTHROPIC)
        ],
        virtualModels: [
          ...[...CASES, ...GONE_CASES, BREAKER, RETRY_AFTER].map((c) => chain(`chain-${c.id}`, [`${c.id.startsWith("gone.") ? "gone" : "bad"}/${c.id}`, `${c.good}/${c.id}`])),
          ...UNREACHABLE_CASES.map((c) => chain(`chain-${c.id}`, [`${c.provider}/some-model`, `${c.good}/${c.id}`]))
        ]
      },
      env: {
        ...secretEnv("bad"), ...secretEnv("gone"), ...secretEnv("refused"), ...secretEnv("nodns"), ...secretEnv("tls"), ...secretEnv(GOOD_ANTHROPIC),
        SWITCHBOARD_FAST_LANE: String(fastLane)
      }
    })
    await Promise.all(["bad", "gone", GOOD_OPENAI, GOOD_ANTHROPIC].map((id) => waitForProvider(switchboard.url, id, "connected")))
  })
  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([bad?.close(), gone?.close(), good?.close(), goodAnthropic?.close()])
  })

  describe("one case per fault, caller format and streaming", () => {
    it.concurrent.each(CASES.filter((c) => !strikesAfterFirstByte(c)))(
      "$fault before the first byte, $api (stream: $stream): falls over to $good",
      async (c) => {
        const { outcome, routed } = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
        answered(outcome, goodText(c.id))
        expect(routed).toEqual({ model: `${c.good}/${c.id}`, provider: c.good, attempts: "2" })
        expect(bad.requestsFor(c.id)).toHaveLength(1)
        expect(goodRequests(c.id)).toHaveLength(1)
      }
    )

    it.concurrent.each(CASES.filter(strikesAfterFirstByte))(
      "$fault after the first byte, $api (stream: $stream): an error, nothing spliced in, no fall-over",
      async (c) => {
        const { outcome, routed } = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
        // An error the caller sees as one: never an answer, never a stream that just stops.
        expect(outcome._tag, JSON.stringify(outcome)).toBe("Failed")
        if (outcome._tag !== "Failed") return
        expect(outcome.status).toBeUndefined()
        expect(outcome.message).not.toContain("healthy answer")
        // In a stream, the format's error event says what happened; a plain body can only be cut.
        if (c.stream) expect(outcome.message).toMatch(c.fault === "stall" ? TIMEOUT : CUT)
        expect(routed).toEqual({ model: `bad/${c.id}`, provider: "bad", attempts: "1" })
        expect(bad.requestsFor(c.id)).toHaveLength(1)
        expect(goodRequests(c.id)).toEqual([])
      }
    )

    it.concurrent.each(UNREACHABLE_CASES)(
      "a target of a provider that never connected ($provider) is passed over, $api (stream: $stream)",
      async (c) => {
        const { outcome, routed } = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
        answered(outcome, goodText(c.id))
        // Passed over, not tried: the one attempt is the healthy target's.
        expect(routed).toEqual({ model: `${c.good}/${c.id}`, provider: c.good, attempts: "1" })
        expect(goodRequests(c.id)).toHaveLength(1)
      }
    )
  })

  it("passing over a provider that is not connected is logged with why", () => {
    expect(switchboard.output()).toMatch(/virtual model chain-refused\.openai\.whole: passing over refused\/some-model: provider refused is not connected/)
  })

  it("a provider that went away after connecting: the refused connection falls over", async () => {
    await gone.close()
    for (const [i, c] of GONE_CASES.entries()) {
      const { outcome, routed } = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
      answered(outcome, goodText(c.id))
      expect(routed.model).toBe(`${c.good}/${c.id}`)
      // Refused three times in a row, the provider is checked, found unreachable, and from then on
      // passed over (one attempt) rather than tried; until then each request tries it first.
      if (i < 3) expect(routed.attempts).toBe("2")
      else expect(["1", "2"]).toContain(routed.attempts)
    }
    expect(switchboard.output()).toMatch(/virtual model chain-gone\.openai\.whole: attempt 1 on gone\/gone\.openai\.whole failed \(502: cannot reach gone \(127\.0\.0\.1\): connection refused/)
  })

  it("three failures in a row open the target's breaker: the fourth request goes straight to the next target", async () => {
    const c = BREAKER
    for (let i = 0; i < 3; i++) {
      const { outcome, routed } = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
      answered(outcome, goodText(c.id))
      expect(routed).toEqual({ model: `${c.good}/${c.id}`, provider: c.good, attempts: "2" })
    }
    const { outcome, routed } = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
    answered(outcome, goodText(c.id))
    expect(routed).toEqual({ model: `${c.good}/${c.id}`, provider: c.good, attempts: "1" })
    expect(bad.requestsFor(c.id)).toHaveLength(3)

    const listed = await virtualModel(`chain-${c.id}`)
    expect(listed.targets[0]).toMatchObject({
      model: `bad/${c.id}`,
      available: false,
      breaker: { state: "open", failures: 1, last_failure: expect.stringMatching(/^500: The faulty server had an error/) }
    })
    expect(listed.targets[0]?.breaker.open_until).not.toBeNull()
    expect(listed.targets[1]).toMatchObject({ model: `${c.good}/${c.id}`, available: true, breaker: { state: "closed", failures: 0 } })
  })

  it("a 429 with Retry-After opens the breaker at once, for as long as the provider asked", async () => {
    const c = RETRY_AFTER
    const before = Date.now()
    const first = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
    answered(first.outcome, goodText(c.id))
    expect(first.routed.attempts).toBe("2")
    const second = await askRouted(switchboard.url, c.api, `chain-${c.id}`, c.stream)
    answered(second.outcome, goodText(c.id))
    expect(second.routed).toEqual({ model: `${c.good}/${c.id}`, provider: c.good, attempts: "1" })
    expect(bad.requestsFor(c.id)).toHaveLength(1)
    const listed = await virtualModel(`chain-${c.id}`)
    expect(listed.targets[0]?.breaker).toMatchObject({ state: "open", last_failure: expect.stringMatching(/^429: Rate limit reached for faulty requests/) })
    // The upstream said 7 s: the breaker opens for that long after the 429 (not the 5 s of a first trip).
    expect(Date.parse(listed.targets[0]?.breaker.open_until ?? "")).toBeGreaterThanOrEqual(before + 7_000)
  })
})
