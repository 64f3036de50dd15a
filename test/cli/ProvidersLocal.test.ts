/**
 * `switchboard providers …` and `models` with no server running: the real binary changes
 * remote.json (and the secret store) directly, and says that states are not live. Secrets come
 * from the environment here (`SWITCHBOARD_SECRETS=env`, read-only); the keychain variant runs
 * against the private Secret Service `npm test` starts.
 */
import { Effect, Option, Redacted } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import * as KeychainSecretStore from "../../src/secrets/KeychainSecretStore.ts"
import { apiKey, header, type SecretName, SecretStore } from "../../src/secrets/SecretStore.ts"
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { freePort, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const readConfig = (home: string): { providers: Array<Record<string, unknown>> } =>
  JSON.parse(readFileSync(join(home, "providers", "remote.json"), "utf8"))

let upstream: FakeOpenAiUpstream
let deadPort: number
beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ apiKey: "sk-good-upstream" })
  // Nothing listens here: the CLI must find no server and fall back to the files.
  deadPort = await freePort()
})
afterAll(() => upstream.close())

const homes: Array<string> = []
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-cli-"))
  homes.push(home)
  return home
}
afterAll(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })))

describe("providers without a server (SWITCHBOARD_SECRETS=env)", () => {
  it("add, list, edit, disable, enable, remove change remote.json; list says the states are not live", async () => {
    const home = newHome()
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) }

    const empty = await runCli(["providers", "list"], { env })
    assert.strictEqual(empty.status, 0, empty.stderr)
    assert.include(empty.stdout, "no providers configured")

    const added = await runCli(["providers", "add", "ollama", "--header", "X-Team=ml", "--header", "X-Env=dev"], { env })
    assert.strictEqual(added.status, 0, added.stderr)
    assert.strictEqual(added.stdout.trim(), "ollama")
    const corp = await runCli([
      "providers", "add", "custom", "--name", "Corp", "--host", "llm.corp.example", "--base-path", "/api/v1",
      "--timeout", "30", "--format", "anthropic"
    ], { env })
    assert.strictEqual(corp.status, 0, corp.stderr)
    assert.strictEqual(corp.stdout.trim(), "corp")
    const corpEntry = readConfig(home).providers.find((p) => p.id === "corp")
    assert.deepInclude(corpEntry, { name: "Corp", host: "llm.corp.example", basePath: "/api/v1", timeoutSeconds: 30, format: "anthropic" })

    const edited = await runCli(["providers", "edit", "ollama", "--name", "Local Llama", "--port", "11500", "--header", "X-Env=", "--header", "X-New=1"], { env })
    assert.strictEqual(edited.status, 0, edited.stderr)
    const ollama = readConfig(home).providers.find((p) => p.id === "ollama")
    assert.deepInclude(ollama, { name: "Local Llama", port: 11500, headers: { "X-Team": "ml", "X-New": "1" } })

    const disabled = await runCli(["providers", "disable", "corp"], { env })
    assert.strictEqual(disabled.status, 0, disabled.stderr)
    assert.strictEqual(readConfig(home).providers.find((p) => p.id === "corp")?.enabled, false)

    const list = await runCli(["providers", "list"], { env })
    assert.strictEqual(list.status, 0, list.stderr)
    const lines = list.stdout.split("\n")
    assert.match(lines[0]!, /^ID\s+NAME\s+STATE\s+MODELS\s+BASE URL\s+ERROR$/)
    assert.match(list.stdout, /ollama\s+Local Llama\s+not running\s+-\s+http:\/\/localhost:11500\/v1/)
    assert.match(list.stdout, /corp\s+Corp\s+disabled\s+-\s+https:\/\/llm\.corp\.example\/api\/v1/)
    assert.include(list.stdout, `Switchboard is not running (no server at http://127.0.0.1:${deadPort})`)
    assert.notInclude(list.stdout, "\u001b[", "no colour on a pipe")

    const enabled = await runCli(["providers", "enable", "corp"], { env })
    assert.strictEqual(enabled.status, 0, enabled.stderr)
    assert.strictEqual(readConfig(home).providers.find((p) => p.id === "corp")?.enabled, true)

    const removed = await runCli(["providers", "remove", "corp"], { env })
    assert.strictEqual(removed.status, 0, removed.stderr)
    assert.deepStrictEqual(readConfig(home).providers.map((p) => p.id), ["ollama"])
  })

  it("colours the state only when asked to on a pipe (FORCE_COLOR), never with NO_COLOR", async () => {
    const home = newHome()
    writeRemoteConfig(home, { version: 1, providers: [{ id: "a", name: "A", host: "a.example", enabled: false }] })
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) }
    const forced = await runCli(["providers", "list"], { env: { ...env, FORCE_COLOR: "1" } })
    assert.include(forced.stdout, "\u001b[90mdisabled\u001b[39m")
    const none = await runCli(["providers", "list"], { env: { ...env, FORCE_COLOR: "1", NO_COLOR: "1" } })
    assert.notInclude(none.stdout, "\u001b[")
  })

  it("models says no server runs and lists the models configured by hand", async () => {
    const home = newHome()
    writeRemoteConfig(home, {
      version: 1,
      providers: [
        { id: "manual", name: "Manual One", host: "m.example", models: ["m-1", "m-2"] },
        { id: "bare", name: "Bare", host: "b.example" }
      ]
    })
    const result = await runCli(["models"], { env: { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) } })
    assert.strictEqual(result.status, 0, result.stderr)
    assert.include(result.stdout, "Switchboard is not running")
    assert.include(result.stdout, "models configured by hand")
    assert.include(result.stdout, "Manual One (manual)\n  manual/m-1\n  manual/m-2")
    assert.notInclude(result.stdout, "Bare")
  })

  it("test runs one discovery with the saved key and reports the upstream's 401 text", async () => {
    const home = newHome()
    writeRemoteConfig(home, {
      version: 1,
      providers: [{ id: "fake", name: "Fake", protocol: "http", host: upstream.host, port: upstream.port, auth: "apiKey" }]
    })
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) }
    const bad = await runCli(["providers", "test", "fake"], { env: { ...env, SWITCHBOARD_KEY_FAKE: "sk-wrong-key-1234" } })
    assert.strictEqual(bad.status, 1)
    assert.match(bad.stderr, /^switchboard: fake: 401/)
    assert.include(bad.stderr, "Incorrect API key provided")
    assert.notInclude(bad.stderr + bad.stdout, "sk-wrong-key-1234")
    assert.notInclude(bad.stderr, "    at ")

    const good = await runCli(["providers", "test", "fake"], { env: { ...env, SWITCHBOARD_KEY_FAKE: "sk-good-upstream" } })
    assert.strictEqual(good.status, 0, good.stderr)
    assert.strictEqual(good.stdout.trim(), "ok: fake serves 1 model")
  })

  it("expected failures are one line and exit 1: unknown id, invalid host, a secret the env store cannot keep, a --url nobody answers", async () => {
    const home = newHome()
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) }
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string, string?]> = [
      [["providers", "enable", "nope"], "switchboard: no provider with id nope"],
      [["providers", "add", "custom", "--host", "http://x.example/v1"], "switchboard: host:"],
      [["providers", "add", "xai", "--api-key-stdin"], "switchboard: secrets come from the environment here", "sk-env-only"],
      [["providers", "list", "--url", `http://127.0.0.1:${deadPort}`], `switchboard: no Switchboard server answers at http://127.0.0.1:${deadPort}`]
    ]
    for (const [args, message, input] of cases) {
      const result = await runCli(args, { env, ...(input === undefined ? {} : { input }) })
      assert.strictEqual(result.status, 1, args.join(" "))
      assert.strictEqual(result.stderr.trim().split("\n").length, 1, result.stderr)
      assert.isTrue(result.stderr.startsWith(message), result.stderr)
      if (input !== undefined) assert.notInclude(result.stderr + result.stdout, input)
    }
  })

  it("has no --api-key flag: a key given as a flag value is refused and stored nowhere", async () => {
    const home = newHome()
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) }
    const result = await runCli(["providers", "add", "openai", "--api-key", "sk-in-the-history"], { env })
    assert.notStrictEqual(result.status, 0)
    assert.include(result.stderr, "Unrecognized flag: --api-key")
    assert.notInclude(result.stdout + result.stderr, "sk-in-the-history")
    const help = await runCli(["providers", "add", "--help"], { env })
    assert.notMatch(help.stdout, /--api-key\s/)
  })
})

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED keychain CLI tests: ${keychainSkip}`)

const readSecret = (id: string, name: SecretName) =>
  Effect.runPromise(Effect.provide(
    Effect.flatMap(SecretStore, (store) => store.get(id, name)).pipe(Effect.map(Option.map(Redacted.value))),
    KeychainSecretStore.layer
  ))

describe.skipIf(keychainSkip !== undefined)("providers without a server (real keychain)", () => {
  it("add reads the key and secret headers from stdin into the keychain, never into remote.json or the output", async () => {
    const home = newHome()
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_PORT: String(deadPort) }
    const name = `Keyed ${process.pid}`
    const added = await runCli([
      "providers", "add", "custom", "--name", name, "--protocol", "http", "--host", upstream.host, "--port", String(upstream.port),
      "--api-key-stdin", "--secret-header", "X-Corp-Token"
    ], { env, input: "sk-good-upstream\ncorp-token-secret\n" })
    assert.strictEqual(added.status, 0, added.stderr)
    const id = added.stdout.trim()
    assert.strictEqual(id, `keyed-${process.pid}`)
    assert.notInclude(added.stdout + added.stderr, "sk-good-upstream")
    const file = readFileSync(join(home, "providers", "remote.json"), "utf8")
    assert.notInclude(file, "sk-good-upstream")
    assert.notInclude(file, "corp-token-secret")
    assert.deepStrictEqual(await readSecret(id, apiKey), Option.some("sk-good-upstream"))
    assert.deepStrictEqual(await readSecret(id, header("X-Corp-Token")), Option.some("corp-token-secret"))

    const tested = await runCli(["providers", "test", id], { env })
    assert.strictEqual(tested.status, 0, tested.stderr)
    assert.include(tested.stdout, "ok:")

    // A new endpoint does not silently receive the stored key.
    const moved = await runCli(["providers", "edit", id, "--host", "localhost"], { env })
    assert.strictEqual(moved.status, 1)
    assert.include(moved.stderr, "would send its API key")
    const confirmed = await runCli(["providers", "edit", id, "--host", "localhost", "--confirm-keep-secrets"], { env })
    assert.strictEqual(confirmed.status, 0, confirmed.stderr)

    const rotated = await runCli(["providers", "edit", id, "--api-key-stdin"], { env, input: "sk-rotated\n" })
    assert.strictEqual(rotated.status, 0, rotated.stderr)
    assert.deepStrictEqual(await readSecret(id, apiKey), Option.some("sk-rotated"))

    const removed = await runCli(["providers", "remove", id], { env })
    assert.strictEqual(removed.status, 0, removed.stderr)
    assert.isTrue(Option.isNone(await readSecret(id, apiKey)))
    assert.isTrue(Option.isNone(await readSecret(id, header("X-Corp-Token"))))
  })
})
