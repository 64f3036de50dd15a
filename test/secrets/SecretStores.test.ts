/**
 * The secret stores: memory and environment in-process, the OS keychain against a real Secret
 * Service (started per run by scripts/test.ts), and the `switchboard secrets` / `providers remove`
 * commands against that same keychain through the real binary.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as EnvSecretStore from "../../src/secrets/EnvSecretStore.ts"
import * as KeychainSecretStore from "../../src/secrets/KeychainSecretStore.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { accountFor, apiKey, header, SecretStore } from "../../src/secrets/SecretStore.ts"
import { withEnv } from "../support/Environment.ts"
import { writeRemoteConfig } from "../support/SwitchboardProcess.ts"
import { tempDir } from "../support/TempDir.ts"

const ROOT = new URL("../../", import.meta.url).pathname

/** Runs the real `switchboard` binary. */
const cli = (args: ReadonlyArray<string>, options: { readonly input?: string; readonly env?: Record<string, string> } = {}) => {
  const result = spawnSync(process.execPath, [join(ROOT, "bin/switchboard.js"), ...args], {
    input: options.input ?? "",
    env: { ...process.env, ...options.env },
    encoding: "utf8"
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const roundTrip = Effect.gen(function*() {
  const store = yield* SecretStore
  assert.isNull(store.unavailable)
  const id = `rt-${process.pid}`
  yield* store.set(id, apiKey, Redacted.make("sk-round-trip"))
  yield* store.set(id, header("X-Token"), Redacted.make("tok-round-trip"))
  assert.strictEqual(Option.map(yield* store.get(id, apiKey), Redacted.value).pipe(Option.getOrNull), "sk-round-trip")
  assert.strictEqual(Option.map(yield* store.get(id, header("X-Token")), Redacted.value).pipe(Option.getOrNull), "tok-round-trip")
  yield* store.delete(id, apiKey)
  yield* store.delete(id, header("X-Token"))
  assert.isTrue(Option.isNone(yield* store.get(id, apiKey)))
  // Deleting what is not there is fine: removing a provider removes whatever it has.
  yield* store.delete(id, apiKey)
})

describe("accounts", () => {
  it("are <providerId>.apiKey and <providerId>.header.<Name>", () => {
    assert.strictEqual(accountFor("openai", apiKey), "openai.apiKey")
    assert.strictEqual(accountFor("corp", header("X-Corp-Token")), "corp.header.X-Corp-Token")
  })
})

describe("MemorySecretStore", () => {
  it.effect("stores, reads and deletes", () => roundTrip.pipe(Effect.provide(MemorySecretStore.layer())))
})

describe("EnvSecretStore", () => {
  it.each([
    ["openai", apiKey, "SWITCHBOARD_KEY_OPENAI"],
    ["my-provider", apiKey, "SWITCHBOARD_KEY_MY_PROVIDER"],
    ["corp", header("X-Corp-Token"), "SWITCHBOARD_HEADER_CORP_X_CORP_TOKEN"]
  ] as const)("%s %j → %s", (id, name, variable) => {
    assert.strictEqual(EnvSecretStore.variableFor(id, name), variable)
  })

  it.effect("reads the variables and refuses to write them", () =>
    Effect.gen(function*() {
      const store = yield* SecretStore
      assert.strictEqual(Option.map(yield* store.get("my-provider", apiKey), Redacted.value).pipe(Option.getOrNull), "sk-env")
      assert.isTrue(Option.isNone(yield* store.get("other", apiKey)))
      const error = yield* Effect.flip(store.set("other", apiKey, Redacted.make("x")))
      assert.include(error.message, "SWITCHBOARD_KEY_OTHER")
      yield* store.delete("other", apiKey)
    }).pipe(Effect.provide(withEnv(EnvSecretStore.layer, { SWITCHBOARD_KEY_MY_PROVIDER: "sk-env" }))))
})

describe("an unreachable keychain", () => {
  it("is reported in one sentence that names the way out, without a stack trace", () => {
    const home = tempDir("switchboard-secrets-")
    const result = cli(["secrets", "set", "openai"], {
      input: "sk-nowhere",
      env: { SWITCHBOARD_HOME: home, DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" }
    })
    assert.strictEqual(result.status, 1)
    assert.include(result.stderr, "is not reachable")
    assert.include(result.stderr, "SWITCHBOARD_SECRETS=env")
    assert.notInclude(result.stderr, "    at ")
    assert.notInclude(result.stderr + result.stdout, "sk-nowhere")
  })
})

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED keychain tests: ${keychainSkip}`)

describe.skipIf(keychainSkip !== undefined)("KeychainSecretStore (real Secret Service)", () => {
  it.effect("stores, reads and deletes", () => roundTrip.pipe(Effect.provide(KeychainSecretStore.layer)))

  it("`secrets set` reads stdin into the keychain; `providers remove` deletes every secret of the provider", () => {
    const home = tempDir("switchboard-secrets-")
    const id = `cli-${process.pid}`
    writeRemoteConfig(home, {
      version: 1,
      providers: [{ id, name: "CLI test", host: "api.example", auth: "apiKey", secretHeaders: ["X-Corp-Token"] }]
    })
    // Port 1: no server answers there, so `providers remove` works on these files, not on a server that
    // happens to run on the default port.
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_PORT: "1" }
    const set = cli(["secrets", "set", id], { input: "sk-from-stdin\n", env })
    assert.strictEqual(set.status, 0, set.stderr)
    assert.include(set.stdout, `stored the API key of ${id}`)
    const setHeader = cli(["secrets", "set", id, "--header", "X-Corp-Token"], { input: "corp-from-stdin", env })
    assert.strictEqual(setHeader.status, 0, setHeader.stderr)

    const read = (name: Parameters<typeof accountFor>[1]) =>
      Effect.runPromise(Effect.provide(
        Effect.flatMap(SecretStore, (store) => store.get(id, name)).pipe(Effect.map(Option.map(Redacted.value))),
        KeychainSecretStore.layer
      ))
    return read(apiKey).then(async (key) => {
      // The trailing newline of `echo` is not part of the key.
      assert.deepStrictEqual(key, Option.some("sk-from-stdin"))
      assert.deepStrictEqual(await read(header("X-Corp-Token")), Option.some("corp-from-stdin"))
      assert.notInclude(readFileSync(join(home, "providers", "remote.json"), "utf8"), "from-stdin")

      const removed = cli(["providers", "remove", id], { env })
      assert.strictEqual(removed.status, 0, removed.stderr)
      assert.isTrue(Option.isNone(await read(apiKey)))
      assert.isTrue(Option.isNone(await read(header("X-Corp-Token"))))
      assert.notInclude(readFileSync(join(home, "providers", "remote.json"), "utf8"), id)
    })
  })
})
