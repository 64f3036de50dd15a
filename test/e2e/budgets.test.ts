/**
 * Gateway keys' rate limits and budgets end to end: the real `switchboard serve` on loopback, keys
 * and limits set with the real `switchboard keys` commands (file secret store in a temporary home),
 * and the real OpenAI and Anthropic SDKs presenting them. Over the limit each SDK raises its own
 * RateLimitError, with the 429's `retry-after`, on both lanes; a spent dollar budget never blocks
 * a local model.
 */
import Anthropic, { RateLimitError as AnthropicRateLimitError } from "@anthropic-ai/sdk"
import OpenAI, { RateLimitError as OpenAiRateLimitError } from "openai"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { anthropicProviderEntry, type FakeAnthropicUpstream, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { localModelSkip, MODEL } from "../support/LocalModel.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const KEY_CLAUDE = "sk-ant-upstream-budgets"

/** `switchboard keys create` with flags in `home`: the key and its id. */
const createKey = async (home: string, flags: ReadonlyArray<string>) => {
  const result = await runCli(["keys", "create", ...flags], { env: { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "file" } })
  assert.strictEqual(result.status, 0, result.stderr)
  return { key: result.stdout.trim(), id: /created gateway key (\S+)/.exec(result.stderr)![1]! }
}

describeEachLane("budgets", (lane) => {
  let oaUp: FakeOpenAiUpstream
  let claudeUp: FakeAnthropicUpstream
  let home: string
  let server: SwitchboardProcess
  const oaId = `oa-b-${process.pid}`
  const claudeId = `claude-b-${process.pid}`

  beforeAll(async () => {
    oaUp = await startFakeOpenAiUpstream({})
    claudeUp = await startFakeAnthropicUpstream({ apiKey: KEY_CLAUDE })
    home = mkdtempSync(join(tmpdir(), "switchboard-budgets-"))
    writeRemoteConfig(home, { version: 1, providers: [providerEntry(oaUp, oaId), anthropicProviderEntry(claudeUp, claudeId)] })
    const secret = await runCli(["secrets", "set", claudeId], { env: { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "file" }, input: KEY_CLAUDE })
    assert.strictEqual(secret.status, 0, secret.stderr)
    server = await startSwitchboard({ home, env: { ...lane.env, SWITCHBOARD_SECRETS: "file" } })
    await waitForProvider(server.url, oaId, "connected")
    await waitForProvider(server.url, claudeId, "connected")
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await oaUp?.close()
    await claudeUp?.close()
    if (home !== undefined) rmSync(home, { recursive: true, force: true })
  })

  it("rpm exceeded: each SDK raises its RateLimitError with retry-after, in its own format", async () => {
    const { key } = await createKey(home, ["--name", "rpm", "--rpm", "2"])
    const openai = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 })
    const anthropic = new Anthropic({ apiKey: key, baseURL: server.url, maxRetries: 0 })
    // Only the calls for answers: the providers' model listings are requests too.
    const answersAsked = () => oaUp.requestsTo("POST", "/v1/chat/completions").length + claudeUp.requestsTo("POST", "/v1/messages").length
    const seen = answersAsked()
    let served = 0
    // The server sees a new key within seconds (its cached hashes are re-read).
    const ask = () => openai.chat.completions.create({ model: `${oaId}/gpt-4o-mini`, messages: [{ role: "user", content: "hi" }] })
    for (let i = 0; ; i++) {
      const answer = await ask().catch((error: unknown) => error)
      if (answer instanceof OpenAiRateLimitError) {
        assert.isAtLeast(i, 2)
        assert.match(answer.headers?.get("retry-after") ?? "", /^\d+$/)
        assert.strictEqual(answer.code, "rate_limit_exceeded")
        assert.include(answer.message, "2 requests per minute")
        break
      }
      assert.notInstanceOf(answer, Error, String(answer))
      assert.isBelow(i, 50)
      served++
    }
    const refused = await anthropic.messages.create({ model: `${claudeId}/claude-sonnet-4-5`, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((error: unknown) => error)
    assert.instanceOf(refused, AnthropicRateLimitError)
    assert.match((refused as AnthropicRateLimitError).headers?.get("retry-after") ?? "", /^\d+$/)
    assert.strictEqual(((refused as AnthropicRateLimitError).error as { error?: { type?: string } }).error?.type, "rate_limit_error")
    // Refused requests never reach an upstream: exactly the served ones did.
    assert.strictEqual(answersAsked() - seen, served)
  }, 60_000)

  it("a key with a dollar budget not yet spent is served (Anthropic SDK)", async () => {
    // The refusal of a spent budget is tested in test/gateway-keys/Budgets.test.ts.
    const { key } = await createKey(home, ["--name", "budget", "--budget-usd-day", "5"])
    const anthropic = new Anthropic({ apiKey: key, baseURL: server.url, maxRetries: 0 })
    const answer = await anthropic.messages.create({ model: `${claudeId}/claude-sonnet-4-5`, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
    assert.strictEqual(answer.type, "message")
  }, 60_000)
})

describe("budgets: the admin API's keys", () => {
  let home: string
  let server: SwitchboardProcess
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "switchboard-budgets-admin-"))
    server = await startSwitchboard({ home, config: { version: 1, providers: [] }, env: { SWITCHBOARD_SECRETS: "file" } })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    if (home !== undefined) rmSync(home, { recursive: true, force: true })
  })

  it("create (the key once), list with limits and usage, edit limits, revoke", async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      })
      return { status: response.status, body: await response.json() as Record<string, any> }
    }
    const created = await call("POST", "/admin/keys", { name: "ci", limits: { rpm: 10, budgetUsdDay: 2 } })
    assert.strictEqual(created.status, 201)
    assert.match(created.body.key, /^sb-/)
    const id = created.body.info.id as string
    assert.deepStrictEqual(created.body.info.limits, { rpm: 10, budgetUsdDay: 2 })
    const list = await call("GET", "/admin/keys")
    assert.strictEqual(list.status, 200)
    const listed = list.body.data.find((key: { id: string }) => key.id === id)
    assert.deepStrictEqual(listed.usage.day, { requests: 0, tokens: 0, usd: 0 })
    assert.notInclude(JSON.stringify(list.body), created.body.key)
    const edited = await call("PATCH", `/admin/keys/${id}`, { rpm: null, tpm: 1000 })
    assert.strictEqual(edited.status, 200)
    assert.deepStrictEqual(edited.body.limits, { tpm: 1000, budgetUsdDay: 2 })
    assert.strictEqual((await call("PATCH", `/admin/keys/${id}`, { rpm: 0 })).status, 400)
    assert.strictEqual((await call("PATCH", "/admin/keys/nope", { rpm: 1 })).status, 404)
    assert.deepStrictEqual((await call("DELETE", `/admin/keys/${id}`)).body, { id, deleted: true })
    assert.strictEqual((await call("DELETE", `/admin/keys/${id}`)).status, 404)
  }, 60_000)
})

describe.skipIf(localModelSkip !== undefined)("budgets: a local model is never blocked by a dollar budget", () => {
  let home: string
  let server: SwitchboardProcess
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "switchboard-budgets-local-"))
    mkdirSync(join(home, "models"))
    symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    server = await startSwitchboard({ home, env: { SWITCHBOARD_SECRETS: "file" } })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    if (home !== undefined) rmSync(home, { recursive: true, force: true })
  })

  it("with the day's budget smaller than anything, the local model still answers", async () => {
    const { key } = await createKey(home, ["--name", "local", "--budget-usd-day", "0.000001", "--rpm", "100"])
    const openai = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 })
    // Let the server's cached hashes take the new key (re-read every few seconds).
    await new Promise((resolve) => setTimeout(resolve, 3_500))
    for (let i = 0; i < 3; i++) {
      const answer = await openai.chat.completions.create({ model: "local/stories260K", max_tokens: 5, messages: [{ role: "user", content: "Once" }] })
      assert.strictEqual(answer.object, "chat.completion")
    }
  }, 120_000)
})
