/**
 * The admin API storing, replacing and removing secrets, against the real `switchboard serve`
 * with the OS keychain (the private Secret Service `npm test` starts); skipped with the reason
 * printed when none is available, as the keychain tests in test/secrets are. Keys are write-only:
 * every response is checked for them.
 */
import { Effect, Option, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as KeychainSecretStore from "../../src/secrets/KeychainSecretStore.ts"
import { apiKey, header, SecretStore, type SecretName } from "../../src/secrets/SecretStore.ts"
import { type AdminClient, adminClient, type AdminErrorBody } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type SwitchboardProcess, startSwitchboard, waitUntil } from "../support/SwitchboardProcess.ts"

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED admin secret tests (keychain): ${keychainSkip}`)

const KEY_1 = `sk-admin-one-${randomBytes(12).toString("hex")}`
const KEY_2 = `sk-admin-two-${randomBytes(12).toString("hex")}`
const TOKEN = `tok-admin-${randomBytes(12).toString("hex")}`
// The keychain is shared by the whole test run: a name no other test uses.
const NAME = `Vault ${process.pid}`
const ID = `vault-${process.pid}`

interface Provider {
  readonly id: string
  readonly state: string
  readonly error: string | null
  readonly settings: Record<string, unknown>
  readonly apiKeySet: boolean
  readonly secretHeaders: ReadonlyArray<{ readonly name: string; readonly set: boolean }>
}

const readSecret = (name: SecretName) =>
  Effect.runPromise(Effect.provide(
    Effect.flatMap(SecretStore, (store) => store.get(ID, name)).pipe(Effect.map(Option.map(Redacted.value))),
    KeychainSecretStore.layer
  ))

describe.skipIf(keychainSkip !== undefined)("admin API with the keychain", () => {
  let first: FakeOpenAiUpstream
  let second: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let admin: AdminClient

  const provider = async () => (await admin.call<Provider>("GET", `/admin/providers/${ID}`)).json
  const waitForState = (state: string) =>
    waitUntil(`${ID} to be ${state}`, async () => {
      const p = await provider()
      return p.state === state ? p : undefined
    })

  beforeAll(async () => {
    first = await startFakeOpenAiUpstream({ apiKey: KEY_1, echoKeyInErrors: true, models: { "first-model": reply() } })
    second = await startFakeOpenAiUpstream({ apiKey: KEY_2, echoKeyInErrors: true, models: { "second-model": reply() } })
    switchboard = await startSwitchboard({ env: { SWITCHBOARD_SECRETS: "keychain" } })
    admin = adminClient(switchboard.port)
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([first?.close(), second?.close()])
  })

  it("creates a provider with an API key and a secret header: stored in the keychain, reported only as set", async () => {
    const created = await admin.call<Provider>("POST", "/admin/providers", {
      body: {
        preset: "custom",
        name: NAME,
        settings: { protocol: "http", host: "127.0.0.1", port: first.port },
        apiKey: KEY_1,
        secretHeaders: { "X-Vault-Token": TOKEN }
      }
    })
    expect(created.status, created.text).toBe(201)
    expect(created.json).toMatchObject({ id: ID, apiKeySet: true, secretHeaders: [{ name: "X-Vault-Token", set: true }], settings: { auth: "apiKey" } })
    await waitForState("connected")
    expect(first.requestsTo("GET", "/v1/models").at(-1)?.headers["x-vault-token"]).toBe(TOKEN)
    expect(await readSecret(apiKey)).toEqual(Option.some(KEY_1))
  })

  it("a new key alone (same endpoint) is used at once", async () => {
    first.setApiKey(KEY_2)
    const replaced = await admin.call<Provider>("PATCH", `/admin/providers/${ID}`, { body: { apiKey: KEY_2 } })
    expect(replaced.status, replaced.text).toBe(200)
    await waitUntil("the new key upstream", async () =>
      first.requestsTo("GET", "/v1/models").some((r) => r.headers.authorization === `Bearer ${KEY_2}`) ? true : undefined)
    await waitForState("connected")
  })

  it("moving to another host needs new secrets or confirmation (409 otherwise); new values are accepted", async () => {
    const moved = await admin.call<AdminErrorBody>("PATCH", `/admin/providers/${ID}`, { body: { settings: { port: second.port } } })
    expect(moved.status).toBe(409)
    expect(moved.json.error.message).toContain("API key")
    expect(moved.json.error.message).toContain("X-Vault-Token")
    const withKey = await admin.call<AdminErrorBody>("PATCH", `/admin/providers/${ID}`, { body: { settings: { port: second.port }, apiKey: KEY_2 } })
    expect(withKey.status).toBe(409)
    expect(withKey.json.error.message).not.toContain("API key")

    const both = await admin.call<Provider>("PATCH", `/admin/providers/${ID}`, {
      body: { settings: { port: second.port }, apiKey: KEY_2, secretHeaders: { "X-Vault-Token": null } }
    })
    expect(both.status, both.text).toBe(200)
    expect(both.json).toMatchObject({ apiKeySet: true, secretHeaders: [], settings: { port: second.port } })
    expect(await readSecret(header("X-Vault-Token"))).toEqual(Option.none())
    await waitForState("connected")
    expect(second.requestsTo("GET", "/v1/models").at(-1)?.headers["x-vault-token"]).toBeUndefined()
  })

  it("removing the key makes the provider keyless; deleting it removes every secret", async () => {
    const keyless = await admin.call<Provider>("PATCH", `/admin/providers/${ID}`, { body: { apiKey: null } })
    expect(keyless.json).toMatchObject({ apiKeySet: false, settings: { auth: "none" } })
    expect(await readSecret(apiKey)).toEqual(Option.none())
    // The upstream wants a key: its 401 is shown as it said it.
    const failed = await waitForState("error")
    expect(failed.error).toContain("401")

    await admin.call("PATCH", `/admin/providers/${ID}`, { body: { apiKey: KEY_2, secretHeaders: { "X-Other": TOKEN } } })
    expect((await provider()).secretHeaders).toEqual([{ name: "X-Other", set: true }])
    expect((await admin.call("DELETE", `/admin/providers/${ID}`)).status).toBe(200)
    expect(await readSecret(apiKey)).toEqual(Option.none())
    expect(await readSecret(header("X-Other"))).toEqual(Option.none())
  })

  it("never returned a secret, and never wrote one to remote.json or the log", () => {
    for (const body of admin.seen) {
      for (const secret of [KEY_1, KEY_2, TOKEN]) expect(body).not.toContain(secret)
    }
    const file = readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")
    for (const secret of [KEY_1, KEY_2, TOKEN]) {
      expect(file).not.toContain(secret)
      expect(switchboard.output()).not.toContain(secret)
    }
  })
})
