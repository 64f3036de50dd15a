/**
 * The pass-through fast lane and the Effect path behave the same: every case runs against the
 * gateway twice, with the fast lane (the default on loopback) and without it, and the caller and
 * the upstream must not be able to tell which one served them.
 */
import { afterAll, assert, beforeAll, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Gateway from "../../src/Gateway.ts"
import { sha256 } from "../../src/gateway-keys/GatewayKey.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { endless, type FakeOpenAiUpstream, providerEntry, reply, stall, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { freePort, waitForProvider, waitUntil, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const KEY = "sk-fast-lane-secret-0123456789"

describeEachLane("pass-through", ({ fastLane }) => {
  let upstream: FakeOpenAiUpstream
  let doomed: FakeOpenAiUpstream
  let url: string
  let home: string
  const scope = Effect.runSync(Scope.make())

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({
      apiKey: KEY,
      echoKeyInErrors: true,
      models: { "gpt-4o-mini": reply("Hello there"), "endless": endless(5), "stall": stall }
    })
    doomed = await startFakeOpenAiUpstream({ models: { "short-lived": reply() } })
    home = mkdtempSync(join(tmpdir(), "switchboard-fastlane-"))
    writeRemoteConfig(home, {
      version: 1,
      providers: [
        providerEntry(upstream, "up", { auth: "apiKey", timeoutSeconds: 1 }),
        providerEntry(doomed, "doomed")
      ]
    })
    const port = await freePort()
    await Effect.runPromise(Layer.buildWithScope(
      Gateway.layer({ host: "127.0.0.1", port, home, fastLane }).pipe(
        Layer.provide(MemorySecretStore.layer([["up.apiKey", Redacted.make(KEY)]]))
      ),
      scope
    ))
    url = `http://127.0.0.1:${port}`
    await waitForProvider(url, "up", "connected")
    await waitForProvider(url, "doomed", "connected")
  })

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await upstream.close()
    await doomed.close().catch(() => undefined)
    rmSync(home, { recursive: true, force: true })
  })

  const post = (body: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal })

  it("sends the caller's bytes with only the model rewritten, the provider's key instead of the caller's, and no trace headers", async () => {
    const body = `{ "model" : "up/gpt-4o-mini",\n  "messages": [{"role": "user", "content": "h\\u00e9llo"}], "temperature": 1.0 }`
    const response = await post(body, { authorization: "Bearer caller-key", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" })
    assert.strictEqual(response.status, 200)
    assert.strictEqual((await response.json() as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, "Hello there")
    const seen = upstream.requestsTo("POST", "/v1/chat/completions").at(-1)!
    assert.strictEqual(seen.rawBody, `{ "model" : "gpt-4o-mini",\n  "messages": [{"role": "user", "content": "h\\u00e9llo"}], "temperature": 1.0 }`)
    assert.strictEqual(seen.headers.authorization, `Bearer ${KEY}`)
    assert.strictEqual(seen.headers.traceparent, undefined)
    assert.strictEqual(seen.headers.b3, undefined)
  })

  it("streams SSE through in whole events, to [DONE]", async () => {
    const response = await post(JSON.stringify({ model: "up/gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] }))
    assert.strictEqual(response.status, 200)
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/)
    const text = await response.text()
    assert.isTrue(text.endsWith("data: [DONE]\n\n"))
    for (const event of text.split("\n\n").filter((e) => e !== "")) assert.match(event, /^data: /)
  })

  it("a stalled stream ends with an error event in the caller's format", async () => {
    const response = await post(JSON.stringify({ model: "up/stall", stream: true, messages: [{ role: "user", content: "hi" }] }))
    const text = await response.text()
    assert.include(text, "\"role\":\"assistant\"")
    assert.include(text, "within 1 s")
    assert.match(text.split("\n\n").filter((e) => e !== "").at(-1)!, /^data: \{"error":/)
  })

  it("scrubs the key from an upstream error body that quotes it", async () => {
    upstream.setApiKey("sk-another-key")
    try {
      const response = await post(JSON.stringify({ model: "up/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }))
      assert.strictEqual(response.status, 401)
      const text = await response.text()
      assert.notInclude(text, KEY)
      assert.include(text, "[redacted]")
      assert.strictEqual(response.headers.get("content-length"), String(Buffer.byteLength(text)))
    } finally {
      upstream.setApiKey(KEY)
    }
  })

  it("a caller that goes away aborts the upstream request", async () => {
    const controller = new AbortController()
    const response = await post(JSON.stringify({ model: "up/endless", stream: true, messages: [{ role: "user", content: "abort me" }] }), {}, controller.signal)
    await response.body!.getReader().read()
    controller.abort()
    const seen = await upstream.waitFor((r) => r.body !== undefined && JSON.stringify(r.body).includes("abort me") && r.closedEarly)
    assert.isTrue(seen.closedEarly)
  })

  it("an unknown model, a malformed body and a non-JSON type are answered by the app, in OpenAI's shape", async () => {
    const unknown = await post(JSON.stringify({ model: "up/nope", messages: [] }))
    assert.strictEqual(unknown.status, 404)
    assert.strictEqual((await unknown.json() as { error: { code: string } }).error.code, "model_not_found")
    const malformed = await post("{ not json")
    assert.strictEqual(malformed.status, 400)
    assert.include((await malformed.json() as { error: { message: string } }).error.message, "not valid JSON")
    const text = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" })
    assert.strictEqual(text.status, 415)
  })

  // Last: it closes an upstream for good.
  it("an upstream gone away is a 502 in the caller's format", async () => {
    await doomed.close()
    const response = await post(JSON.stringify({ model: "doomed/short-lived", messages: [{ role: "user", content: "hi" }] }))
    assert.strictEqual(response.status, 502)
    const body = await response.json() as { error: { message: string; code: string } }
    assert.strictEqual(body.error.code, "upstream_error")
    assert.include(body.error.message, "cannot reach doomed (127.0.0.1)")
    // Two more failures in a row: the provider no longer shows `connected` (its rediscovery fails
    // too, so it stays in error), and its models say why they are not served.
    for (let i = 0; i < 2; i++) assert.strictEqual((await post(JSON.stringify({ model: "doomed/short-lived", messages: [{ role: "user", content: "hi" }] }))).status, 502)
    await waitForProvider(url, "doomed", "error")
    const again = await post(JSON.stringify({ model: "doomed/short-lived", messages: [{ role: "user", content: "hi" }] }))
    assert.strictEqual(again.status, 503)
    const unavailable = await again.json() as { error: { message: string; code: string } }
    assert.strictEqual(unavailable.error.code, "provider_unavailable")
    // In error, or retrying its discovery at that moment.
    assert.match(unavailable.error.message, /provider doomed \([^)]*\) is (in error: |connecting)/)
  })
})

/** A gateway key, stored as `GatewayKeys` stores it (its hash, in the secret store's one entry). */
const GATEWAY_KEY = "sb-fast-lane-gateway-key-0123456789"
const gatewayKeysEntry = JSON.stringify([{ id: "k1", name: "test", created: new Date(0).toISOString(), sha256: sha256(GATEWAY_KEY).toString("hex") }])

describeEachLane("a non-loopback listener with gateway keys", (lane) => {
  let upstream: FakeOpenAiUpstream
  let url: string
  let home: string
  const scope = Effect.runSync(Scope.make())

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ apiKey: KEY, models: { "gpt-4o-mini": reply("Hello there") } })
    home = mkdtempSync(join(tmpdir(), "switchboard-fastlane-keys-"))
    writeRemoteConfig(home, { version: 1, providers: [providerEntry(upstream, "up", { auth: "apiKey" })] })
    const port = await freePort()
    // 0.0.0.0 is not a loopback address: keys are required; the test reaches it through 127.0.0.1.
    await Effect.runPromise(Layer.buildWithScope(
      Gateway.layer({ host: "0.0.0.0", port, home, fastLane: lane.fastLane }).pipe(
        Layer.provide(MemorySecretStore.layer([
          ["up.apiKey", Redacted.make(KEY)],
          ["_switchboard.header.gateway-keys", Redacted.make(gatewayKeysEntry)]
        ]))
      ),
      scope
    ))
    url = `http://127.0.0.1:${port}`
    // The status endpoint wants the key too.
    await waitUntil("up connected", async () => {
      const list = await (await fetch(`${url}/v1/providers`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })).json() as {
        data?: Array<{ id: string; state: string }>
      }
      return list.data?.find((p) => p.id === "up" && p.state === "connected")
    })
  })

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await upstream.close()
    rmSync(home, { recursive: true, force: true })
  })

  const post = (path: string, headers: Record<string, string>) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "up/gpt-4o-mini", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
    })

  it("refuses a call without a key, in the caller's format", async () => {
    const openai = await post("/v1/chat/completions", {})
    assert.strictEqual(openai.status, 401)
    assert.strictEqual((await openai.json() as { error: { code: string } }).error.code, "gateway_key_required")
    const anthropic = await post("/v1/messages", {})
    assert.strictEqual(anthropic.status, 401)
    assert.deepInclude(await anthropic.json(), { type: "error" })
  })

  it("refuses a wrong key", async () => {
    const response = await post("/v1/chat/completions", { authorization: "Bearer sb-not-a-key" })
    assert.strictEqual(response.status, 401)
    assert.strictEqual((await response.json() as { error: { code: string } }).error.code, "invalid_gateway_key")
  })

  it(`serves a call with the key${lane.fastLane ? " on the fast lane" : ""}; the upstream sees the provider's key, never the gateway key`, async () => {
    const response = await post("/v1/chat/completions", { authorization: `Bearer ${GATEWAY_KEY}` })
    assert.strictEqual(response.status, 200)
    assert.strictEqual((await response.json() as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, "Hello there")
    // Which lane served it: the fast lane passes the upstream's content-length on, the Effect
    // path streams the body without one.
    assert.strictEqual(response.headers.get("content-length") !== null, lane.fastLane)
    const seen = upstream.requestsTo("POST", "/v1/chat/completions").at(-1)!
    assert.strictEqual(seen.headers.authorization, `Bearer ${KEY}`)
    assert.notInclude(JSON.stringify(seen.headers), GATEWAY_KEY)
  })
})
