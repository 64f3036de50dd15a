/**
 * The usage ledger through the real gateway and the official clients, on both lanes: for every
 * pair of caller format and provider format, streamed and not, the row of each request holds the
 * tokens the fake upstream reported (cache reads, cache writes and reasoning included where the
 * provider's format says them), the route that answered, pass-through or translated, and the
 * request id the answer carried. Errors, unknown models and callers that go away are rows too.
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import { Context, Effect, Exit, Layer, Option, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Gateway from "../../src/Gateway.ts"
import * as LocalEngines from "../../src/local/LocalEngines.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { Ledger } from "../../src/usage/Ledger.ts"
import type { RequestRecord, Tokens } from "../../src/usage/RequestRecord.ts"
import { UsageRecorder } from "../../src/usage/UsageRecorder.ts"
import { anthropicProviderEntry, type FakeAnthropicUpstream, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { endless, type FakeOpenAiUpstream, failWith, providerEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type FakeResponsesUpstream, responsesProviderEntry, startFakeResponsesUpstream } from "../support/FakeResponsesUpstream.ts"
import type { FixedUsage } from "../support/FakeServer.ts"
import { type Api, APIS, call } from "../support/Callers.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { freePort, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const CLAUDE_KEY = "sk-ant-usage-test"
const USAGE: FixedUsage = { input: 40, output: 9, cachedRead: 12, cacheWrite: 5, reasoning: 3 }

/** What the ledger must hold for a provider of each format: what that format can say of `USAGE`. */
const EXPECTED: Record<Api, Tokens> = {
  openai: { input: 40, output: 9, cachedRead: 12, cacheWrite: null, reasoning: 3 },
  anthropic: { input: 40, output: 9, cachedRead: 12, cacheWrite: 5, reasoning: null },
  responses: { input: 40, output: 9, cachedRead: 12, cacheWrite: null, reasoning: 3 }
}
const MODEL: Record<Api, string> = { openai: "oa/gpt-usage", anthropic: "an/claude-usage", responses: "rs/gpt-usage-r" }

describeEachLane("usage ledger", ({ fastLane }) => {
  let oa: FakeOpenAiUpstream
  let an: FakeAnthropicUpstream
  let rs: FakeResponsesUpstream
  let url: string
  let home: string
  let recorder: UsageRecorder["Service"]
  const rows: Array<RequestRecord> = []
  const scope = Effect.runSync(Scope.make())

  const capture = Layer.succeed(Ledger, Ledger.of({
    write: (batch) => Effect.sync(() => void rows.push(...batch)),
    usage: () => Effect.succeed([]),
    requests: () => Effect.succeed([]),
    request: (id) => Effect.sync(() => Option.fromNullishOr(rows.find((row) => row.id === id))),
    status: Effect.succeed({ backend: "memory", location: "test", ok: true, lastError: null, written: 0, dropped: 0, retentionDays: 90 })
  }))

  /** The ledger's row for an answer's request id, once recorded. */
  const rowOf = async (headers: Headers | undefined): Promise<RequestRecord> => {
    const id = headers?.get("x-switchboard-request-id")
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    for (let i = 0; i < 100; i++) {
      await Effect.runPromise(recorder.flush)
      const row = rows.find((r) => r.id === id)
      if (row !== undefined) return row
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`no ledger row for ${id}`)
  }

  beforeAll(async () => {
    oa = await startFakeOpenAiUpstream({ models: { "gpt-usage": { _tag: "Reply" }, "gpt-broken": failWith(500), "gpt-endless": endless(5) }, usage: USAGE })
    an = await startFakeAnthropicUpstream({ apiKey: CLAUDE_KEY, models: { "claude-usage": { _tag: "Reply", content: undefined } }, usage: USAGE })
    rs = await startFakeResponsesUpstream({ models: { "gpt-usage-r": { _tag: "Reply" } }, usage: USAGE })
    home = mkdtempSync(join(tmpdir(), "switchboard-usage-"))
    writeRemoteConfig(home, {
      version: 1,
      providers: [providerEntry(oa, "oa"), anthropicProviderEntry(an, "an"), responsesProviderEntry(rs, "rs")],
      virtualModels: [{ name: "smart", targets: ["oa/gpt-broken", "an/claude-usage"] }]
    })
    const port = await freePort()
    const context = await Effect.runPromise(Layer.buildWithScope(
      Gateway.layer({ host: "127.0.0.1", port, home, fastLane, engines: LocalEngines.layerNone(), ledger: capture }).pipe(
        Layer.provide(MemorySecretStore.layer([["an.apiKey", Redacted.make(CLAUDE_KEY)]]))
      ),
      scope
    ))
    // The recorder is there unless the ledger is off (`ledger: false`), which the types cannot tell.
    recorder = Context.get(context as unknown as Context.Context<UsageRecorder>, UsageRecorder)
    url = `http://127.0.0.1:${port}`
    for (const id of ["oa", "an", "rs"]) await waitForProvider(url, id, "connected")
  }, 30_000)

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await Promise.all([oa?.close(), an?.close(), rs?.close()])
    if (home) rmSync(home, { recursive: true, force: true })
  })

  for (const caller of APIS) {
    for (const provider of APIS) {
      for (const stream of [false, true]) {
        it(`${caller} caller, ${provider} provider${stream ? ", streamed" : ""}: the tokens the provider reported`, async () => {
          const answer = await call(url, caller, MODEL[provider], { stream, prompt: "Count the tokens of this request, please." })
          expect(answer.error).toBeUndefined()
          const row = await rowOf(answer.headers)
          expect(row.tokens).toEqual(EXPECTED[provider])
          expect(row).toMatchObject({
            inboundFormat: caller,
            requestedModel: MODEL[provider],
            provider: MODEL[provider].split("/")[0],
            model: MODEL[provider],
            upstreamModel: MODEL[provider].split("/")[1],
            mode: caller === provider ? "pass-through" : "translated",
            stream,
            status: 200,
            outcome: "ok",
            errorClass: null,
            attempts: 1,
            virtualModel: null
          })
          expect(row.durationMs).toBeGreaterThan(0)
          expect(row.ttftMs).not.toBeNull()
          expect(row.ttftMs!).toBeLessThanOrEqual(row.durationMs)
          expect(row.client).toMatch(/OpenAI|Anthropic/i)
        })
      }
    }
  }

  for (const caller of APIS) {
    it(`${caller} caller: an upstream error is a row with its status and class`, async () => {
      const answer = await call(url, caller, "oa/gpt-broken", { stream: false })
      expect(answer.status).toBe(500)
      const row = await rowOf(answer.headers)
      expect(row).toMatchObject({ status: 500, outcome: "error", provider: "oa", tokens: { input: null, output: null } })
      expect(row.errorClass).not.toBeNull()
    })

    it(`${caller} caller: an unknown model is a row with no provider`, async () => {
      const answer = await call(url, caller, "nobody/nothing", { stream: false })
      expect(answer.status).toBe(404)
      const row = await rowOf(answer.headers)
      expect(row).toMatchObject({ status: 404, outcome: "error", provider: null, model: null, requestedModel: "nobody/nothing" })
    })

    it(`${caller} caller: a virtual model that fell over names it, the target that answered and the attempts`, async () => {
      const answer = await call(url, caller, "smart", { stream: true })
      expect(answer.error).toBeUndefined()
      const row = await rowOf(answer.headers)
      // 2 attempts, or 1 once the failing target's breaker is open: as the answer said.
      expect(row).toMatchObject({ virtualModel: "smart", requestedModel: "smart", provider: "an", model: "an/claude-usage", tokens: EXPECTED.anthropic })
      expect(row.attempts).toBe(Number(answer.headers?.get("x-switchboard-attempts")))
    })
  }

  const rawStream = async (extra: Record<string, unknown>) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "oa/gpt-usage", stream: true, messages: [{ role: "user", content: "Hello there" }], ...extra })
    })
    return { headers: response.headers, text: await response.text() }
  }

  it("a Chat Completions stream without include_usage: the caller gets no usage (not even `usage: null`), the ledger gets it all", async () => {
    const { headers, text } = await rawStream({})
    expect(text).not.toContain(`"usage"`)
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true)
    expect((await rowOf(headers)).tokens).toEqual(EXPECTED.openai)
  })

  it("a Chat Completions stream with include_usage: the caller gets its usage chunk as sent", async () => {
    const { headers, text } = await rawStream({ stream_options: { include_usage: true } })
    expect(text).toContain(`"usage":{"prompt_tokens":40`)
    expect((await rowOf(headers)).tokens).toEqual(EXPECTED.openai)
  })

  it("a caller that goes away mid-stream is a row too: client_closed, with the time it stayed", async () => {
    const abort = new AbortController()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "oa/gpt-endless", stream: true, messages: [{ role: "user", content: "Go on" }] }),
      signal: abort.signal
    })
    const reader = response.body!.getReader()
    await reader.read()
    abort.abort()
    const row = await rowOf(response.headers)
    expect(row).toMatchObject({ status: 200, outcome: "client_closed", provider: "oa", stream: true })
    expect(row.ttftMs).not.toBeNull()
  })

  it("GET /metrics counts the same requests and tokens, streams included, in Prometheus text", async () => {
    const before = await (await fetch(`${url}/metrics`)).text()
    const answer = await call(url, "anthropic", MODEL.openai, { stream: true })
    await rowOf(answer.headers)
    const response = await fetch(`${url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    const value = (metrics: string, pattern: RegExp) => Number(metrics.match(pattern)?.[1] ?? "0")
    const requests = /switchboard_requests_total\{provider="oa",model="oa\/gpt-usage",inbound_format="anthropic",status="200"\} (\d+)/
    expect(value(text, requests) - value(before, requests)).toBe(1)
    const cached = /switchboard_tokens_total\{provider="oa",model="oa\/gpt-usage",kind="cached_read"\} (\d+)/
    expect(value(text, cached) - value(before, cached)).toBe(12)
    expect(text).toMatch(/switchboard_request_duration_seconds_bucket\{[^}]*provider="oa"[^}]*\} \d+/)
    expect(text).toMatch(/switchboard_time_to_first_token_seconds_count\{[^}]*provider="oa"[^}]*\} \d+/)
    expect(text).toMatch(/switchboard_provider_up\{provider="oa"\} 1/)
  })

  it("GET /metrics refuses a web page's request, as /admin does", async () => {
    const response = await fetch(`${url}/metrics`, { headers: { origin: "https://evil.example" } })
    expect(response.status).toBe(403)
  })
})
