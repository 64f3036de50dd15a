/**
 * Virtual models through the real gateway and the official clients, on both lanes: every fall-over
 * trigger and every non-trigger, streamed and not, from all three inbound formats; a stream that
 * breaks after its first byte ends with the caller's error and no second answer; fallback from an
 * OpenAI-format provider to an Anthropic-format one; balance spread and a balanced target down;
 * presets; rules; the routing headers; and a chain edited on disk under load losing no request.
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Gateway from "../../src/Gateway.ts"
import * as LocalEngines from "../../src/local/LocalEngines.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { anthropicProviderEntry, type FakeAnthropicUpstream, reply as anthropicReply, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { upstreamEntry } from "../support/FakeServer.ts"
import { type Api, APIS, call } from "../support/Callers.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { breakAfterFirst, error, ok, type Outcome, reset, type ScriptedUpstream, silent, startScriptedUpstream } from "../support/ScriptedUpstream.ts"
import { freePort, getJson, waitForProvider, waitUntil, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

/** Each fall-over trigger, as the failing target's first (and only) outcome. */
const TRIGGERS: ReadonlyArray<readonly [string, Outcome]> = [
  ["reset", reset],
  ["timeout", silent],
  ["401", error(401, { message: "Incorrect API key provided", code: "invalid_api_key" })],
  ["403", error(403, { message: "You are not allowed to sample from this model" })],
  ["404", error(404, { message: "The model does not exist", code: "model_not_found" })],
  ["408", error(408, { message: "Request timed out" })],
  ["409", error(409, { message: "Conflict" })],
  ["429", error(429, { message: "Rate limit reached", code: "rate_limit_exceeded", headers: { "retry-after": "1" } })],
  ["500", error(500, { message: "The server had an error" })],
  ["502", error(502, { message: "Bad gateway" })],
  ["503", error(503, { message: "The engine is currently overloaded" })],
  ["context", error(400, { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", code: "context_length_exceeded" })]
]

/** Outcomes that are the caller's own fault: the next target would say the same. */
const NON_TRIGGERS: ReadonlyArray<readonly [string, Outcome, number]> = [
  ["400", error(400, { message: "Invalid value for 'temperature'" }), 400],
  ["422", error(422, { message: "Unprocessable entity" }), 422]
]

const STREAMS = [false, true] as const
const CLAUDE_KEY = "sk-ant-virtual-models-test"
const caseId = (what: string, api: Api, stream: boolean) => `${what}-${api}-${stream ? "s" : "n"}`

describeEachLane("virtual models", ({ fastLane }) => {
  let bad: ScriptedUpstream
  let good: ScriptedUpstream
  let spare: ScriptedUpstream
  let claude: FakeAnthropicUpstream
  let url: string
  let home: string
  const scope = Effect.runSync(Scope.make())

  const badModels: Record<string, ReadonlyArray<Outcome>> = {}
  const virtualModels: Array<Record<string, unknown>> = []
  for (const api of APIS) {
    for (const stream of STREAMS) {
      for (const [name, outcome] of [...TRIGGERS, ...NON_TRIGGERS]) {
        const id = caseId(name, api, stream)
        badModels[id] = [outcome, ok]
        virtualModels.push({ name: `v-${id}`, targets: [`bad/${id}`, "good/gpt-good"] })
      }
      const broken = caseId("broken", api, stream)
      badModels[broken] = [breakAfterFirst]
      virtualModels.push({ name: `v-${broken}`, targets: [`bad/${broken}`, "good/gpt-good"] })
      const down = caseId("down", api, stream)
      virtualModels.push({ name: `v-${down}`, targets: ["gone/anything", `bad/${down}-missing`, "good/gpt-good"] })
    }
  }
  badModels["always-500"] = [error(500)]
  badModels["trips"] = [error(500)]

  const config = (extra: ReadonlyArray<Record<string, unknown>> = [], smart: ReadonlyArray<string> = ["bad/always-500", "good/gpt-good"]) => ({
    version: 1,
    providers: [
      upstreamEntry(bad, "bad", { format: "openai", auth: "none" }, { timeoutSeconds: 1 }),
      upstreamEntry(good, "good", { format: "openai", auth: "none" }),
      upstreamEntry(spare, "spare", { format: "openai", auth: "none" }),
      anthropicProviderEntry(claude, "claude"),
      // Nothing listens there: never connected.
      upstreamEntry({ host: "127.0.0.1", port: 9 }, "gone", { format: "openai", auth: "none" })
    ],
    virtualModels: [
      ...virtualModels,
      { name: "to-claude", targets: ["bad/always-500", "claude/claude-test"] },
      { name: "spread", strategy: "balance", targets: [{ model: "good/gpt-good", weight: 3 }, { model: "spare/gpt-spare", weight: 1 }] },
      { name: "spread-one-down", strategy: "balance", targets: [{ model: "gone/anything", weight: 3 }, { model: "spare/gpt-spare", weight: 1 }] },
      { name: "breaker", targets: ["bad/trips", "spare/gpt-spare"] },
      {
        name: "preset",
        targets: ["good/gpt-good"],
        system: "You are terse.",
        defaults: { temperature: 0.2, max_tokens: 99 }
      },
      {
        name: "routed",
        targets: ["good/gpt-good"],
        rules: [
          { name: "thinking", when: { thinking: true }, targets: ["claude/claude-test"] },
          { name: "tools", when: { tools: true }, targets: ["spare/gpt-spare"] },
          { name: "background", when: { header: { name: "x-task", value: "background" } }, targets: ["spare/gpt-spare"] },
          { name: "long", when: { minInputTokens: 1000 }, targets: ["claude/claude-test"] }
        ]
      },
      { name: "smart", targets: smart },
      ...extra
    ]
  })

  beforeAll(async () => {
    bad = await startScriptedUpstream("bad", badModels)
    good = await startScriptedUpstream("good", { "gpt-good": [ok] })
    spare = await startScriptedUpstream("spare", { "gpt-spare": [ok] })
    claude = await startFakeAnthropicUpstream({ apiKey: CLAUDE_KEY, models: { "claude-test": anthropicReply("claude says: hello") } })
    home = mkdtempSync(join(tmpdir(), "switchboard-virtual-"))
    writeRemoteConfig(home, config())
    const port = await freePort()
    await Effect.runPromise(Layer.buildWithScope(
      Gateway.layer({ host: "127.0.0.1", port, home, fastLane, engines: LocalEngines.layerNone() }).pipe(Layer.provide(MemorySecretStore.layer([["claude.apiKey", Redacted.make(CLAUDE_KEY)]]))),
      scope
    ))
    url = `http://127.0.0.1:${port}`
    for (const id of ["bad", "good", "spare", "claude"]) await waitForProvider(url, id, "connected")
  }, 30_000)

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await Promise.all([bad?.close(), good?.close(), spare?.close(), claude?.close()])
    if (home) rmSync(home, { recursive: true, force: true })
  })

  for (const api of APIS) {
    for (const stream of STREAMS) {
      const how = `${api}${stream ? ", streamed" : ""}`
      for (const [name] of TRIGGERS) {
        it(`falls over on ${name} (${how})`, async () => {
          const id = caseId(name, api, stream)
          const answer = await call(url, api, `v-${id}`, { stream })
          expect(answer.error).toBeUndefined()
          expect(answer.text).toBe(good.says)
          expect(answer.headers?.get("x-switchboard-model")).toBe("good/gpt-good")
          expect(answer.headers?.get("x-switchboard-provider")).toBe("good")
          expect(answer.headers?.get("x-switchboard-attempts")).toBe("2")
          expect(bad.requestsFor(id)).toBe(1)
        })
      }
      for (const [name, , status] of NON_TRIGGERS) {
        it(`does not fall over on ${name}: the caller's request is wrong (${how})`, async () => {
          const id = caseId(name, api, stream)
          const before = good.requestsFor("gpt-good")
          const answer = await call(url, api, `v-${id}`, { stream })
          expect(answer.status).toBe(status)
          expect(answer.error).toBeDefined()
          expect(answer.headers?.get("x-switchboard-model")).toBe(`bad/${id}`)
          expect(answer.headers?.get("x-switchboard-attempts")).toBe("1")
          expect(good.requestsFor("gpt-good")).toBe(before)
        })
      }
      it(`passes over a target whose provider is not connected (${how})`, async () => {
        const id = caseId("down", api, stream)
        const answer = await call(url, api, `v-${id}`, { stream })
        expect(answer.text).toBe(good.says)
        expect(answer.headers?.get("x-switchboard-model")).toBe("good/gpt-good")
        // Neither `gone/…` (not connected) nor the model `bad` does not serve was tried.
        expect(answer.headers?.get("x-switchboard-attempts")).toBe("1")
      })
      // Pass-through sends the head as soon as it comes, so the caller has the answer's first bytes;
      // a translated answer that is not streamed is read whole first, so nothing reached the caller
      // when it broke: that one falls over.
      const sent = stream || api === "openai"
      it(sent
        ? `never splices a second answer into one that broke after its first byte was sent (${how})`
        : `falls over when a whole answer breaks before any of it was sent (${how})`, async () => {
        const id = caseId("broken", api, stream)
        const before = good.requestsFor("gpt-good")
        const answer = await call(url, api, `v-${id}`, { stream })
        if (!sent) {
          expect(answer.text).toBe(good.says)
          expect(answer.headers?.get("x-switchboard-attempts")).toBe("2")
          return
        }
        expect(answer.error).toBeDefined()
        expect(answer.text).not.toContain(good.says)
        if (stream) {
          expect(answer.midStream).toBe(true)
          expect(answer.text).toContain("bad started")
        }
        expect(good.requestsFor("gpt-good")).toBe(before)
      })
    }
  }

  it.each(APIS)("falls over from an OpenAI-format provider to an Anthropic-format one (%s caller)", async (api) => {
    for (const stream of STREAMS) {
      const answer = await call(url, api, "to-claude", { stream })
      expect(answer.text).toBe("claude says: hello")
      expect(answer.headers?.get("x-switchboard-model")).toBe("claude/claude-test")
    }
  })

  it("spreads a balanced model by its weights, exactly over 1,000 requests, and sends everything to the others when one is down", async () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 1000; i++) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "spread", messages: [{ role: "user", content: "hi" }] })
      })
      expect(response.status).toBe(200)
      await response.arrayBuffer()
      const model = response.headers.get("x-switchboard-model")!
      counts.set(model, (counts.get(model) ?? 0) + 1)
    }
    // Weights 3:1; smooth weighted round-robin gives exactly 750/250 (the issue allows ±10 %).
    expect(counts.get("good/gpt-good")).toBe(750)
    expect(counts.get("spare/gpt-spare")).toBe(250)

    for (let i = 0; i < 20; i++) {
      const answer = await call(url, "openai", "spread-one-down", { stream: false })
      expect(answer.headers?.get("x-switchboard-model")).toBe("spare/gpt-spare")
      expect(answer.headers?.get("x-switchboard-attempts")).toBe("1")
    }
  })

  it("trips a target's breaker after 3 failures in a row: later requests skip it, and the listings show it", async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await call(url, "openai", "breaker", { stream: false })
      expect(answer.headers?.get("x-switchboard-attempts")).toBe("2")
    }
    const skipped = await call(url, "openai", "breaker", { stream: false })
    expect(skipped.text).toBe(spare.says)
    expect(skipped.headers?.get("x-switchboard-attempts")).toBe("1")
    expect(bad.requestsFor("trips")).toBe(3)
    const list = await getJson<{ data: Array<{ id: string; targets: Array<{ model: string; breaker: { state: string; last_failure: string | null } }> }> }>(url, "/v1/virtual-models")
    const target = list.data.find((model) => model.id === "breaker")!.targets[0]!
    expect(target.breaker.state).toBe("open")
    expect(target.breaker.last_failure).toMatch(/500/)
    const health = await getJson<{ virtual_models: Array<{ id: string; targets: Array<{ breaker: string }> }> }>(url, "/health")
    expect(health.virtual_models.find((model) => model.id === "breaker")!.targets[0]!.breaker).toBe("open")
  })

  it("applies a virtual model's system prompt and defaults; the caller's own values win", async () => {
    await call(url, "openai", "preset", { stream: false, prompt: "first", extra: { messages: [{ role: "system", content: "Mine." }, { role: "user", content: "first" }] } })
    const seen = good.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body as Record<string, unknown>
    expect(seen.messages).toEqual([{ role: "system", content: "You are terse." }, { role: "system", content: "Mine." }, { role: "user", content: "first" }])
    expect(seen.temperature).toBe(0.2)
    expect(seen.max_completion_tokens ?? seen.max_tokens).toBe(99)

    await call(url, "anthropic", "preset", { stream: false, prompt: "second", extra: { system: "Mine.", temperature: 0.9 } })
    const translated = good.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body as { messages: Array<{ role: string; content: unknown }>; temperature: number }
    expect(JSON.stringify(translated.messages[0])).toContain("You are terse.")
    expect(JSON.stringify(translated.messages[0])).toContain("Mine.")
    expect(translated.temperature).toBe(0.9)
  })

  it("routes by rules: thinking, tools, a header, a long input; else the default targets", async () => {
    const thinking = await call(url, "anthropic", "routed", { stream: false, extra: { thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 2048 } })
    expect(thinking.headers?.get("x-switchboard-model")).toBe("claude/claude-test")
    expect(thinking.headers?.get("x-switchboard-rule")).toBe("thinking")
    const tools = await call(url, "openai", "routed", {
      stream: false,
      extra: { tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }] }
    })
    expect(tools.headers?.get("x-switchboard-model")).toBe("spare/gpt-spare")
    const background = await call(url, "responses", "routed", { stream: false, headers: { "x-task": "background" } })
    expect(background.headers?.get("x-switchboard-rule")).toBe("background")
    const long = await call(url, "openai", "routed", { stream: true, prompt: "word ".repeat(1000) })
    expect(long.headers?.get("x-switchboard-rule")).toBe("long")
    const plain = await call(url, "openai", "routed", { stream: false })
    expect(plain.headers?.get("x-switchboard-model")).toBe("good/gpt-good")
    expect(plain.headers?.get("x-switchboard-rule")).toBeNull()
  })

  it("says how a plain model's answer was routed too", async () => {
    for (const stream of STREAMS) {
      const answer = await call(url, "anthropic", "good/gpt-good", { stream })
      expect(answer.headers?.get("x-switchboard-model")).toBe("good/gpt-good")
      expect(answer.headers?.get("x-switchboard-attempts")).toBe("1")
    }
  })

  it("lists virtual models in /v1/models and /v1/virtual-models", async () => {
    const models = await getJson<{ data: Array<{ id: string; owned_by: string; virtual?: { strategy: string } }> }>(url, "/v1/models")
    expect(models.data.find((model) => model.id === "spread")).toMatchObject({ owned_by: "switchboard", virtual: { strategy: "balance" } })
    expect(await getJson(url, "/v1/models/spread")).toMatchObject({ id: "spread", owned_by: "switchboard", virtual: { targets: ["good/gpt-good", "spare/gpt-spare"] } })
    const list = await getJson<{ data: Array<{ id: string; targets: Array<{ model: string; serves: string | null; available: boolean }> }> }>(url, "/v1/virtual-models")
    expect(list.data.find((model) => model.id === "spread-one-down")!.targets).toMatchObject([
      { model: "gone/anything", serves: null, available: false },
      { model: "spare/gpt-spare", serves: "spare/gpt-spare", available: true }
    ])
  })

  it("loses no request while its chain is edited on disk under load", async () => {
    let stop = false
    const failures: Array<string> = []
    let done = 0
    const worker = async () => {
      while (!stop) {
        const answer = await call(url, "openai", "smart", { stream: done % 2 === 0 })
        if (answer.error !== undefined || (answer.text !== good.says && answer.text !== spare.says)) failures.push(answer.error ?? answer.text)
        done++
      }
    }
    const workers = [worker(), worker(), worker(), worker()]
    const chains = [["spare/gpt-spare"], ["bad/always-500", "good/gpt-good"], ["good/gpt-good", "spare/gpt-spare"]]
    for (const chain of chains) {
      writeRemoteConfig(home, config([], chain))
      await waitUntil("the new chain is in effect", async () => {
        const list = await getJson<{ data: Array<{ id: string; targets: Array<{ model: string }> }> }>(url, "/v1/virtual-models")
        const targets = list.data.find((model) => model.id === "smart")?.targets.map((target) => target.model)
        return JSON.stringify(targets) === JSON.stringify(chain) ? true : undefined
      })
    }
    stop = true
    await Promise.all(workers)
    expect(failures).toEqual([])
    expect(done).toBeGreaterThan(10)
  })
})
