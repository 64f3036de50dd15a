/**
 * Upstream faults, through the real `switchboard serve` and the real clients: every way a
 * provider (or the network in front of it) can misbehave becomes a clear error for the caller —
 * the right status, in the caller's format, naming the problem, never a silent truncated success —
 * while a healthy provider next to it keeps serving.
 *
 * The faulty provider speaks OpenAI, so the `openai` client exercises pass-through (the fast lane,
 * and with `SWITCHBOARD_FAST_LANE=false` the Effect path) and the Anthropic and Responses callers
 * exercise translation.
 *
 * Provider states follow model discovery (`GET /models`), not individual requests: a provider
 * whose discovery fails shows `error` (retrying on `defaultRetrySchedule`: 1 s, 2 s, 4 s …) and
 * goes back to `connected` on its own; one whose chat requests fail stays `connected` (the next
 * request may well succeed), and each failure is the caller's error.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream, providerEntry as healthyEntry } from "../support/FakeOpenAiUpstream.ts"
import { freePort, getJson, type ProviderStatusJson, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"
import { type Api, APIS, ask, type Outcome } from "./support/Clients.ts"
import { type Fault, type MisbehavingUpstream, OK_CONTENT, providerEntry, startMisbehavingUpstream } from "./support/MisbehavingUpstream.ts"
import { checkNoLeaksAfterAll, secretEnv, startCapturedSwitchboard, withSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

/** The healthy neighbour answers, whatever the faulty provider is doing. */
const expectHealthy = async (url: string) => {
  const outcome = await ask(url, "openai", "good/gpt-4o-mini", { stream: false })
  expect(outcome).toMatchObject({ _tag: "Answer", text: "You said: Say something." })
}

// Request failures name the provider and its host.
const TIMEOUT = /no answer from bad \(127\.0\.0\.1\) within 1 s/
const CUT = /cannot reach bad \(127\.0\.0\.1\): connection reset/

/**
 * What the caller must get for a fault: a failure with this status (before any answer; `undefined`
 * inside a stream) and a message matching `message`. `passThroughCut`: on pass-through the answer's
 * headers were already sent when the upstream broke off, so a plain (non-SSE) body can only be cut
 * (the SDK reports a connection error; there is no status to give).
 */
interface Expectation {
  readonly status: number | undefined
  readonly message?: RegExp
  readonly retryAfter?: string
}

const expectationFor = (fault: Fault, api: Api, stream: boolean): Expectation | "cut" => {
  const passThrough = api === "openai"
  switch (fault) {
    case "slow-headers":
      return { status: 504, message: TIMEOUT }
    case "stall":
      return stream ? { status: undefined, message: TIMEOUT } : { status: 504, message: TIMEOUT }
    case "reset":
    case "truncated":
      if (stream) return { status: undefined, message: CUT }
      return passThrough ? "cut" : { status: 502, message: CUT }
    case "html":
      return { status: 502, message: /Bad Gateway|could not reach the model server/ }
    case "rate-limited":
      return { status: 429, message: /Rate limit reached for faulty requests/, retryAfter: "7" }
    case "error-500":
      return { status: 500, message: /The faulty server had an error/ }
    case "error-502":
      return { status: 502, message: /The faulty gateway lost its backend/ }
    case "error-503":
      return { status: 503, message: /The faulty engine is overloaded/ }
    case "wrong-content-type":
      return { status: 502, message: stream ? /answered a streaming request with text\/plain; charset=utf-8, not an event stream/ : /answered with a body that is not JSON/ }
    case "ok":
    case "endless":
    case "big":
      throw new Error(`${fault} is not a failure`)
  }
}

const FAILURES: ReadonlyArray<Fault> = [
  "slow-headers", "stall", "reset", "truncated", "html", "rate-limited", "error-500", "error-502", "error-503", "wrong-content-type"
]

const checkFailure = (outcome: Outcome, expectation: Expectation | "cut") => {
  // Above all: never an answer, never a stream that just stops.
  expect(outcome._tag, JSON.stringify(outcome)).toBe("Failed")
  if (outcome._tag !== "Failed" || expectation === "cut") return
  expect(outcome.status, outcome.message).toBe(expectation.status)
  if (expectation.message) expect(outcome.message).toMatch(expectation.message)
  if (expectation.retryAfter) expect(outcome.retryAfter).toBe(expectation.retryAfter)
}

describe.each([{ fastLane: true }, { fastLane: false }])("request faults (fast lane: $fastLane)", ({ fastLane }) => {
  let bad: MisbehavingUpstream
  let good: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess

  beforeAll(async () => {
    ;[bad, good] = await Promise.all([startMisbehavingUpstream({ slowMs: 3_000 }), startFakeOpenAiUpstream()])
    switchboard = await startCapturedSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(bad, "bad", { ...withSecrets, timeoutSeconds: 1 }),
          healthyEntry(good, "good")
        ]
      },
      env: { ...secretEnv("bad"), SWITCHBOARD_FAST_LANE: String(fastLane) }
    })
    await Promise.all([waitForProvider(switchboard.url, "bad", "connected"), waitForProvider(switchboard.url, "good", "connected")])
  })
  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([bad?.close(), good?.close()])
  })

  it("a working model answers through every API, streaming or not", async () => {
    for (const api of APIS) {
      for (const stream of [false, true]) {
        const outcome = await ask(switchboard.url, api, "bad/ok", { stream })
        expect(outcome, `${api} stream=${stream}: ${JSON.stringify(outcome)}`).toMatchObject({ _tag: "Answer" })
        if (outcome._tag === "Answer") expect(outcome.text.trim()).toBe(OK_CONTENT)
      }
    }
  })

  describe.each(FAILURES.map((fault) => ({ fault })))("$fault", ({ fault }) => {
    it.each(APIS.flatMap((api) => [false, true].map((stream) => ({ api, stream }))).filter(({ api }) => !(fault === "wrong-content-type" && api === "openai")))(
      "is a clear error for $api (stream: $stream), and the neighbour keeps serving",
      async ({ api, stream }) => {
        // The healthy provider serves while the fault is in progress, not only after it.
        const [outcome] = await Promise.all([ask(switchboard.url, api, `bad/${fault}`, { stream }), expectHealthy(switchboard.url)])
        checkFailure(outcome, expectationFor(fault, api, stream))
        await expectHealthy(switchboard.url)
      }
    )
  })

  // Pass-through (both lanes) must not hand a non-JSON success to a caller as a success.
  it.each([{ stream: false }, { stream: true }])("wrong-content-type is a clear error for openai (stream: $stream)", async ({ stream }) => {
    const outcome = await ask(switchboard.url, "openai", "bad/wrong-content-type", { stream })
    // Pass-through reads no events or body of it, so it says what came (the translate path words it by the request).
    checkFailure(outcome, { status: 502, message: /answered 200 with text\/plain; charset=utf-8, not JSON/ })
  })

  // A proxy's HTML error page reaches callers in their own error shape, with the page's text.
  it.each([{ stream: false }, { stream: true }])("an HTML error page reaches openai callers in the OpenAI error shape (stream: $stream)", async ({ stream }) => {
    const outcome = await ask(switchboard.url, "openai", "bad/html", { stream })
    checkFailure(outcome, { status: 502, message: /could not reach the model server/ })
    if (outcome._tag === "Failed") expect(outcome.message).not.toMatch(/<html|<!DOCTYPE/i)
  })

  it("an endless stream goes on until the caller stops reading, then the upstream request is closed", async () => {
    for (const api of APIS) {
      const before = bad.requestsFor("endless").length
      const abort = new AbortController()
      const asked = ask(switchboard.url, api, "bad/endless", { stream: true, signal: abort.signal })
      const request = await waitUntil("the endless request upstream", async () => bad.requestsFor("endless")[before])
      // Let it stream for a while: a stream that keeps sending is legitimate and is not cut.
      await new Promise((r) => setTimeout(r, 1_500))
      expect(request.closedEarly).toBe(false)
      abort.abort()
      // The SDKs end an aborted stream quietly or with an abort error; either way, not an answer.
      expect((await asked)._tag).not.toBe("Answer")
      await bad.waitFor(() => request.closedEarly)
    }
    await expectHealthy(switchboard.url)
  })

  it("request failures leave the provider connected: the next request may succeed", async () => {
    const status = await waitForProvider(switchboard.url, "bad", "connected")
    expect(status.error).toBeNull()
    expect(await ask(switchboard.url, "openai", "bad/ok", { stream: false })).toMatchObject({ _tag: "Answer" })
  })

  it("an upstream that went away entirely is a 502 naming the refused connection", async () => {
    // Last in this block: it closes the faulty upstream for good.
    await bad.close()
    for (const api of APIS) {
      for (const stream of [false, true]) {
        const outcome = await ask(switchboard.url, api, "bad/ok", { stream })
        // Refused: a 502 naming the provider. After three in a row the provider is checked and
        // found unreachable: from then on a 503 that says so.
        const refusedNow = outcome._tag === "Failed" && outcome.status === 503
        checkFailure(outcome, refusedNow
          ? { status: 503, message: /provider bad \(.*\) is (in error: cannot reach 127\.0\.0\.1: connection refused|connecting)/ }
          : { status: 502, message: /cannot reach bad \(127\.0\.0\.1\): connection refused/ })
      }
    }
    await expectHealthy(switchboard.url)
  })
})

/**
 * A TLS server with a self-signed certificate made now by the `openssl` CLI (node cannot make
 * X.509 certificates); `undefined` where there is no openssl. It completes handshakes and says
 * nothing: clients that check certificates (Switchboard does) give up during the handshake.
 */
const startSelfSignedTlsServer = async (): Promise<{ readonly port: number; readonly close: () => Promise<void> } | undefined> => {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-faults-tls-"))
  try {
    const made = spawnSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")
    ], { stdio: "ignore" })
    if (made.status !== 0) return undefined
    const server: TlsServer = createTlsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (socket) => socket.end())
    server.on("tlsClientError", () => {})
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)))
    return { port, close: () => new Promise((resolve) => server.close(() => resolve())) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("provider states under discovery faults", () => {
  let flaky: MisbehavingUpstream
  let flakyReset: MisbehavingUpstream
  let flakyHtml: MisbehavingUpstream
  let good: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let closedPort: number
  let selfSigned: Awaited<ReturnType<typeof startSelfSignedTlsServer>>

  beforeAll(async () => {
    ;[flaky, flakyReset, flakyHtml, good, closedPort] = await Promise.all([
      startMisbehavingUpstream({ models: { "flaky-model": "ok" } }),
      startMisbehavingUpstream({ models: { "flaky-model": "ok" } }),
      startMisbehavingUpstream({ models: { "flaky-model": "ok" } }),
      startFakeOpenAiUpstream(),
      freePort()
    ])
    selfSigned = await startSelfSignedTlsServer()
    flaky.setDiscovery("error-503")
    flakyReset.setDiscovery("reset")
    flakyHtml.setDiscovery("html")
    switchboard = await startCapturedSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(flaky, "flaky", { ...withSecrets, timeoutSeconds: 2 }),
          providerEntry(flakyReset, "flakyreset", { ...withSecrets, timeoutSeconds: 2 }),
          providerEntry(flakyHtml, "flakyhtml", { ...withSecrets, timeoutSeconds: 2 }),
          providerEntry({ host: "127.0.0.1", port: closedPort }, "refused", { ...withSecrets, timeoutSeconds: 2 }),
          // RFC 6761: `.invalid` never resolves, so this fails in the resolver, with no network needed.
          providerEntry({ host: "switchboard-faults.invalid", port: 443 }, "nodns", { ...withSecrets, timeoutSeconds: 2 }),
          // TLS spoken to a plain-HTTP port: the handshake fails.
          providerEntry(flaky, "tls", { ...withSecrets, protocol: "https", timeoutSeconds: 2 }),
          // A certificate nobody vouches for.
          ...(selfSigned ? [providerEntry({ host: "127.0.0.1", port: selfSigned.port }, "selfsigned", { ...withSecrets, protocol: "https", timeoutSeconds: 2 })] : []),
          healthyEntry(good, "good")
        ]
      },
      env: { ...secretEnv("flaky"), ...secretEnv("flakyreset"), ...secretEnv("flakyhtml"), ...secretEnv("refused"), ...secretEnv("selfsigned"), ...secretEnv("nodns"), ...secretEnv("tls") }
    })
    await waitForProvider(switchboard.url, "good", "connected")
  })
  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([flaky?.close(), flakyReset?.close(), flakyHtml?.close(), good?.close(), selfSigned?.close()])
  })

  const errorOf = (id: string, reason: RegExp) =>
    waitUntil(`${id} in error matching ${reason}`, async () => {
      const list = await getJson<{ data: Array<ProviderStatusJson> }>(switchboard.url, "/v1/providers")
      const provider = list.data.find((p) => p.id === id)
      return provider?.state === "error" && provider.error !== null && reason.test(provider.error) ? provider : undefined
    }, 30_000)

  it.each([
    { id: "refused", reason: /cannot reach 127\.0\.0\.1: connection refused/ },
    { id: "nodns", reason: /cannot reach switchboard-faults\.invalid: host not found/ },
    { id: "tls", reason: /cannot reach 127\.0\.0\.1: TLS error \(ERR_SSL_WRONG_VERSION_NUMBER\)/ },
    { id: "flakyreset", reason: /cannot reach 127\.0\.0\.1: connection reset/ },
    { id: "flakyhtml", reason: /502 Bad Gateway from 127\.0\.0\.1: 502 Bad Gateway upstream said: Bearer \[redacted\]/ },
    { id: "flaky", reason: /503 Service Unavailable from 127\.0\.0\.1: discovery is down for maintenance/ }
  ])("$id: the state is error, naming the cause, and it keeps retrying", async ({ id, reason }) => {
    const provider = await errorOf(id, reason)
    expect(provider.retrying).toBe(true)
    await expectHealthy(switchboard.url)
  })

  it("selfsigned: a certificate nobody vouches for is an error naming TLS", async (context) => {
    if (selfSigned === undefined) return context.skip("no openssl to make a certificate")
    const provider = await errorOf("selfsigned", /cannot reach 127\.0\.0\.1: TLS error \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/)
    expect(provider.retrying).toBe(true)
  })

  it("a model of a provider in error is a clear 503 naming the provider and why, in the caller's format, not a hang", async () => {
    const outcome = await ask(switchboard.url, "openai", "refused/some-model", { stream: false })
    checkFailure(outcome, { status: 503, message: /provider refused \(.*\) is (in error: cannot reach 127\.0\.0\.1: connection refused|connecting)/ })
  })

  it("a provider whose discovery comes back recovers on its own", async () => {
    // Recovery needs no one: the retry schedule (1 s, 2 s, 4 s … ±20 %) brings it back.
    flaky.setDiscovery("ok")
    await waitForProvider(switchboard.url, "flaky", "connected", 40_000)
    expect(await ask(switchboard.url, "openai", "flaky/flaky-model", { stream: false })).toMatchObject({ _tag: "Answer" })
    await expectHealthy(switchboard.url)
  }, 60_000)
})
