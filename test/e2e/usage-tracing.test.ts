/**
 * Request spans over OTLP: a small OTLP/HTTP receiver in the test, the gateway's tracing pointed
 * at it; one request through the real OpenAI SDK → one span with the GenAI attributes, the
 * usage the provider reported, and no prompt or answer text. Without the endpoint, tracing is off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { createServer, type Server } from "node:http"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import * as Gateway from "../../src/Gateway.ts"
import * as LocalEngines from "../../src/local/LocalEngines.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import * as RequestTracing from "../../src/usage/RequestTracing.ts"
import { UsageRecorder } from "../../src/usage/UsageRecorder.ts"
import { type FakeOpenAiUpstream, providerEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { freePort, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

interface OtlpAttribute {
  readonly key: string
  readonly value: { readonly stringValue?: string; readonly intValue?: string | number; readonly doubleValue?: number; readonly boolValue?: boolean }
}
interface OtlpSpan {
  readonly name: string
  readonly kind: number
  readonly startTimeUnixNano: string
  readonly endTimeUnixNano: string
  readonly attributes: ReadonlyArray<OtlpAttribute>
}

const PROMPT = "a secret prompt that must never leave the gateway"

describe("request tracing over OTLP", () => {
  let receiver: Server
  const bodies: Array<string> = []
  let upstream: FakeOpenAiUpstream
  let url: string
  let home: string
  let recorder: UsageRecorder["Service"]
  let tracing: RequestTracing.RequestTracing["Service"]
  const scope = Effect.runSync(Scope.make())

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = ""
      req.on("data", (chunk) => body += chunk)
      req.on("end", () => {
        if (req.url === "/v1/traces") bodies.push(body)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    const address = receiver.address()
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
    upstream = await startFakeOpenAiUpstream({
      models: { "gpt-traced": { _tag: "Reply", content: "an answer that must not leave either" } },
      usage: { input: 21, output: 8, cachedRead: 4, cacheWrite: 0, reasoning: 2 }
    })
    home = mkdtempSync(join(tmpdir(), "switchboard-tracing-"))
    writeRemoteConfig(home, { version: 1, providers: [providerEntry(upstream, "oa")] })
    const port = await freePort()
    const context = await Effect.runPromise(Layer.buildWithScope(
      Gateway.layer({
        host: "127.0.0.1",
        port,
        home,
        engines: LocalEngines.layerNone(),
        tracing: RequestTracing.layerOtlp({ endpoint, serviceName: "switchboard-test" })
      }).pipe(Layer.provide(MemorySecretStore.layer([["unused", Redacted.make("x")]]))),
      scope
    ))
    const services = context as unknown as Context.Context<UsageRecorder | RequestTracing.RequestTracing>
    recorder = Context.get(services, UsageRecorder)
    tracing = Context.get(services, RequestTracing.RequestTracing)
    url = `http://127.0.0.1:${port}`
    await waitForProvider(url, "oa", "connected")
  }, 30_000)

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await upstream?.close()
    await new Promise((resolve) => receiver?.close(resolve))
    if (home) rmSync(home, { recursive: true, force: true })
  })

  it("sends one span per request with the GenAI attributes and no text", async () => {
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
    const { response } = await openai.chat.completions.create({ model: "oa/gpt-traced", messages: [{ role: "user", content: PROMPT }] }).withResponse()
    const id = response.headers.get("x-switchboard-request-id")
    let span: OtlpSpan | undefined
    for (let i = 0; i < 100 && span === undefined; i++) {
      await Effect.runPromise(recorder.flush)
      await Effect.runPromise(tracing.flush)
      const spans = bodies.flatMap((body) =>
        (JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<OtlpSpan> }> }> }).resourceSpans
          .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      )
      span = spans.find((s) => s.attributes.some((a) => a.key === "switchboard.request_id" && a.value.stringValue === id))
      if (span === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(span).toBeDefined()
    const attributes = Object.fromEntries(span!.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.doubleValue ?? a.value.boolValue]))
    expect(attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "oa/gpt-traced",
      "gen_ai.response.model": "gpt-traced",
      "gen_ai.provider.name": "oa",
      "http.response.status_code": expect.anything(),
      "switchboard.mode": "pass-through"
    })
    expect(Number(attributes["gen_ai.usage.input_tokens"])).toBe(21)
    expect(Number(attributes["gen_ai.usage.output_tokens"])).toBe(8)
    expect(Number(attributes["gen_ai.usage.cache_read.input_tokens"])).toBe(4)
    expect(Number(attributes["gen_ai.usage.reasoning.output_tokens"])).toBe(2)
    expect(BigInt(span!.endTimeUnixNano) > BigInt(span!.startTimeUnixNano)).toBe(true)
    const all = bodies.join("\n")
    expect(all).toContain("switchboard-test")
    expect(all).not.toContain("secret prompt")
    expect(all).not.toContain("must not leave")
  })

  it("is off, and sends nothing, when OTEL_EXPORTER_OTLP_ENDPOINT is unset", async () => {
    const off = await Effect.runPromise(
      Effect.scoped(Layer.build(RequestTracing.layer)).pipe(
        Effect.map((context) => Context.get(context, RequestTracing.RequestTracing)),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} })))
      )
    )
    expect(off).toBe(Context.get(Effect.runSync(Layer.build(RequestTracing.RequestTracing.layerOff).pipe(Effect.scoped)), RequestTracing.RequestTracing))
  })
})
