/**
 * Gateway keys end to end: the real server listening on 0.0.0.0 (reached through 127.0.0.1), keys
 * made with the real `switchboard keys` commands in the keychain, and the real OpenAI and
 * Anthropic SDKs presenting them the way each sends its API key (`Authorization: Bearer` /
 * `x-api-key`). The fake upstreams record every request: none may ever carry a gateway key.
 * The environment variant (`SWITCHBOARD_GATEWAY_KEYS`) runs without a keychain.
 */
import Anthropic, { AuthenticationError as AnthropicAuthenticationError } from "@anthropic-ai/sdk"
import OpenAI, { AuthenticationError as OpenAiAuthenticationError } from "openai"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { anthropicProviderEntry, type FakeAnthropicUpstream, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { startSwitchboard, type SwitchboardProcess, waitUntil } from "../support/SwitchboardProcess.ts"

const KEY_OA = "sk-upstream-openai-e2e"
const KEY_CLAUDE = "sk-ant-upstream-e2e"

/** Every header value an upstream received, in one string to search. */
const everythingSeen = (requests: ReadonlyArray<RecordedRequest>) =>
  requests.map((r) => JSON.stringify(r.headers) + r.rawBody).join("\n")

/** `GET path` with a key as Bearer (or none): status and JSON body. */
const get = async (url: string, path: string, key?: string) => {
  const response = await fetch(`${url}${path}`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } })
  return { status: response.status, body: await response.json() as { error?: { code?: string | null } } }
}

/** Waits until a provider is connected, asking with a key (the status endpoint needs one too). */
const waitConnected = (url: string, id: string, key: string) =>
  waitUntil(`${id} connected`, async () => {
    const list = (await get(url, "/v1/providers", key)).body as { data?: Array<{ id: string; state: string }> }
    return list.data?.find((p) => p.id === id && p.state === "connected")
  }, 30_000)

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED keychain gateway key tests: ${keychainSkip}`)

describeEachLane("gateway keys", (lane) => {
  let oaUp: FakeOpenAiUpstream
  let claudeUp: FakeAnthropicUpstream
  beforeAll(async () => {
    oaUp = await startFakeOpenAiUpstream({ apiKey: KEY_OA })
    claudeUp = await startFakeAnthropicUpstream({ apiKey: KEY_CLAUDE })
  })
  afterAll(async () => {
    await oaUp?.close()
    await claudeUp?.close()
  })

  describe.skipIf(keychainSkip !== undefined)("gateway keys in the keychain, server on 0.0.0.0", () => {
    const oaId = `oa-gk-${process.pid}`
    const claudeId = `claude-gk-${process.pid}`
    let home: string
    let env: Record<string, string>
    let server: SwitchboardProcess
    let key: string
    let keyId: string
    const created: Array<string> = []

    const cli = async (args: ReadonlyArray<string>, input?: string, extra: Record<string, string> = {}) => {
      const result = await runCli(args, { env: { ...env, ...extra }, ...(input === undefined ? {} : { input }) })
      assert.strictEqual(result.status, 0, `${args.join(" ")}: ${result.stderr}`)
      return result
    }
    const createKey = async (name: string) => {
      const result = await cli(["keys", "create", "--name", name])
      const id = /created gateway key (\S+)/.exec(result.stderr)?.[1]
      assert.isDefined(id, result.stderr)
      created.push(id!)
      return { key: result.stdout.trim(), id: id!, stderr: result.stderr }
    }

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), "switchboard-gateway-keys-"))
      env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "keychain" }
      await cli(["secrets", "set", oaId], KEY_OA)
      await cli(["secrets", "set", claudeId], KEY_CLAUDE)
      const first = await createKey(`e2e ${process.pid}`)
      key = first.key
      keyId = first.id
      assert.match(key, /^sb-[A-Za-z0-9_-]{43}$/)
      assert.include(first.stderr, "cannot be shown again")
      server = await startSwitchboard({
        home,
        config: { version: 1, providers: [providerEntry(oaUp, oaId, { auth: "apiKey" }), anthropicProviderEntry(claudeUp, claudeId)] },
        env: { ...lane.env, SWITCHBOARD_SECRETS: "keychain", SWITCHBOARD_HOST: "0.0.0.0" }
      })
      await waitConnected(server.url, oaId, key)
      await waitConnected(server.url, claudeId, key)
    }, 60_000)

    afterAll(async () => {
      await server?.stop()
      for (const id of created) await runCli(["keys", "revoke", id], { env })
      await runCli(["secrets", "delete", oaId], { env })
      await runCli(["secrets", "delete", claudeId], { env })
      rmSync(home, { recursive: true, force: true })
    })

    it("keys list shows id, name and date, never the key", async () => {
      const list = await cli(["keys", "list"])
      assert.match(list.stdout, /^ID\s+NAME\s+CREATED/)
      assert.match(list.stdout, new RegExp(`${keyId}\\s+e2e ${process.pid}\\s+\\d{4}-\\d{2}-\\d{2}T`))
      assert.notInclude(list.stdout + list.stderr, key)
    })

    it("/health is open; everything else wants a key, in the OpenAI shape", async () => {
      assert.strictEqual((await fetch(`${server.url}/health`)).status, 200)
      const missing = await get(server.url, "/v1/models")
      assert.strictEqual(missing.status, 401)
      assert.strictEqual(missing.body.error?.code, "gateway_key_required")
      const wrong = await get(server.url, "/v1/models", "sb-wrong")
      assert.strictEqual(wrong.status, 401)
      assert.strictEqual(wrong.body.error?.code, "invalid_gateway_key")
      assert.strictEqual((await get(server.url, "/v1/models", key)).status, 200)
    })

    it("the OpenAI SDK (Bearer) and the Anthropic SDK (x-api-key) get answers with the key; the upstreams get their own keys", async () => {
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 })
      const completion = await openai.chat.completions.create({ model: `${oaId}/gpt-4o-mini`, messages: [{ role: "user", content: "hello" }] })
      assert.isString(completion.choices[0]?.message.content)

      const anthropic = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 })
      const message = await anthropic.messages.create({
        model: `${claudeId}/claude-sonnet-4-5`,
        max_tokens: 50,
        messages: [{ role: "user", content: "hello" }]
      })
      assert.strictEqual(message.type, "message")

      const oaChat = oaUp.requests.filter((r) => r.path === "/v1/chat/completions")
      assert.isAbove(oaChat.length, 0)
      assert.strictEqual(oaChat[oaChat.length - 1]!.headers.authorization, `Bearer ${KEY_OA}`)
      const claudeMessages = claudeUp.requests.filter((r) => r.path === "/v1/messages")
      assert.isAbove(claudeMessages.length, 0)
      assert.strictEqual(claudeMessages[claudeMessages.length - 1]!.headers["x-api-key"], KEY_CLAUDE)
    })

    it("a wrong key is each SDK's AuthenticationError (401)", async () => {
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sb-not-a-key", maxRetries: 0 })
      const oaError = await openai.chat.completions.create({ model: `${oaId}/gpt-4o-mini`, messages: [{ role: "user", content: "hi" }] })
        .then(() => undefined, (e: unknown) => e)
      assert.instanceOf(oaError, OpenAiAuthenticationError)
      assert.strictEqual((oaError as OpenAiAuthenticationError).status, 401)
      assert.strictEqual((oaError as OpenAiAuthenticationError).code, "invalid_gateway_key")

      const anthropic = new Anthropic({ baseURL: server.url, apiKey: "sb-not-a-key", maxRetries: 0 })
      const claudeError = await anthropic.messages.create({ model: `${claudeId}/claude-sonnet-4-5`, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
        .then(() => undefined, (e: unknown) => e)
      assert.instanceOf(claudeError, AnthropicAuthenticationError)
      assert.strictEqual((claudeError as AnthropicAuthenticationError).status, 401)
    })

    it("the CLI manages providers through the server with $SWITCHBOARD_GATEWAY_KEY, and says so without it", async () => {
      const cliEnv = { SWITCHBOARD_HOME: mkdtempSync(join(tmpdir(), "switchboard-gk-cli-")), SWITCHBOARD_PORT: String(server.port) }
      try {
        const refused = await runCli(["providers", "list"], { env: cliEnv })
        assert.strictEqual(refused.status, 1)
        assert.include(refused.stderr, "SWITCHBOARD_GATEWAY_KEY")
        const list = await runCli(["providers", "list"], { env: { ...cliEnv, SWITCHBOARD_GATEWAY_KEY: key } })
        assert.strictEqual(list.status, 0, list.stderr)
        assert.match(list.stdout, new RegExp(`${oaId}\\s+Fake ${oaId}\\s+connected`))
      } finally {
        rmSync(cliEnv.SWITCHBOARD_HOME, { recursive: true, force: true })
      }
    })

    it("a new key works and a revoked one is refused, without a restart", async () => {
      const second = await createKey(`second ${process.pid}`)
      await waitUntil("the new key accepted", async () => (await get(server.url, "/v1/models", second.key)).status === 200 || undefined)

      await cli(["keys", "revoke", keyId])
      const refused = await waitUntil("the revoked key refused", async () => {
        const answer = await get(server.url, "/v1/models", key)
        return answer.status === 401 ? answer : undefined
      })
      assert.strictEqual(refused.body.error?.code, "invalid_gateway_key")
      assert.strictEqual((await get(server.url, "/v1/models", second.key)).status, 200)
      const list = await cli(["keys", "list"])
      assert.notInclude(list.stdout, keyId)
    })

    it("no upstream ever saw a gateway key, and the server never printed one", () => {
      const seen = everythingSeen(oaUp.requests) + everythingSeen(claudeUp.requests)
      assert.notInclude(seen, key)
      assert.notInclude(seen, "sb-")
      assert.notInclude(server.output(), key)
    })
  })

  describe("gateway keys from SWITCHBOARD_GATEWAY_KEYS, server on 0.0.0.0", () => {
    it("with no key, the server starts, says loudly that it refuses everything, and does", async () => {
      const server = await startSwitchboard({ config: { version: 1, providers: [] }, env: { ...lane.env, SWITCHBOARD_HOST: "0.0.0.0" } })
      try {
        await waitUntil("the start-up error", async () => server.output().includes("switchboard keys create") || undefined)
        assert.include(server.output(), "every request except GET /health will be refused")
        assert.strictEqual((await fetch(`${server.url}/health`)).status, 200)
        assert.strictEqual((await get(server.url, "/v1/models", "sb-anything")).status, 401)
      } finally {
        await server.stop()
      }
    })

    it("a listed key lets the OpenAI SDK through; the upstream sees only the provider's key", async () => {
      const key = "sb-from-the-environment-0123456789"
      const id = `oa-env-${process.pid}`
      const server = await startSwitchboard({
        config: { version: 1, providers: [providerEntry(oaUp, id, { auth: "apiKey" })] },
        env: { ...lane.env, SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_GATEWAY_KEYS: `sb-other,${key}`, [`SWITCHBOARD_KEY_${id.toUpperCase().replace(/-/g, "_")}`]: KEY_OA }
      })
      try {
        await waitConnected(server.url, id, key)
        const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 })
        const completion = await openai.chat.completions.create({ model: `${id}/gpt-4o-mini`, messages: [{ role: "user", content: "hi" }] })
        assert.isString(completion.choices[0]?.message.content)
        const unkeyed = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sb-nope", maxRetries: 0 })
        const error = await unkeyed.models.list().then(() => undefined, (e: unknown) => e)
        assert.instanceOf(error, OpenAiAuthenticationError)
        assert.notInclude(everythingSeen(oaUp.requests), key)
      } finally {
        await server.stop()
      }
    })
  })
})
