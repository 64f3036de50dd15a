/**
 * Adding and editing providers when the secret store fails: an operation that reports failure has
 * written nothing (remote.json unchanged, secrets as they were), one that writes reports success,
 * and listing never depends on reading secrets. The store here is a memory store that fails on
 * the accounts a test names, or everywhere with `unavailable` set, as a keychain that cannot be
 * reached does.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigStore } from "../../src/config/ConfigStore.ts"
import { ProviderCatalog } from "../../src/config/ProviderCatalog.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { accountFor, apiKey, header, SecretStore, SecretStoreError } from "../../src/secrets/SecretStore.ts"

/** Memory, failing every call on `failing` accounts (`"*"`: every account, as an unreachable keychain). */
const failingStore = (failing: ReadonlyArray<string>, seed: ReadonlyArray<readonly [string, string]> = []) =>
  Layer.effect(SecretStore, Effect.gen(function*() {
    const memory = yield* SecretStore
    const unreachable = failing.includes("*")
    const error = new SecretStoreError({ backend: "test store", message: "the test store refuses this" })
    const guard = <A>(account: string, effect: Effect.Effect<A, SecretStoreError>) =>
      unreachable || failing.includes(account) ? Effect.fail(error) : effect
    return SecretStore.of({
      ...memory,
      unavailable: unreachable ? "the test store is unreachable" : null,
      writable: !unreachable,
      get: (id, name) => guard(accountFor(id, name), memory.get(id, name)),
      set: (id, name, value) => guard(accountFor(id, name), memory.set(id, name, value)),
      delete: (id, name) => guard(accountFor(id, name), memory.delete(id, name))
    })
  })).pipe(Layer.provide(MemorySecretStore.layer(seed.map(([account, value]) => [account, Redacted.make(value)] as const))))

/** A catalog over a fresh home and the given store; the home is removed afterwards. */
const withCatalog = <A, E>(
  store: Layer.Layer<SecretStore>,
  body: (home: string) => Effect.Effect<A, E, ProviderCatalog | ConfigStore | SecretStore>
) => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-failing-store-"))
  return body(home).pipe(
    Effect.provide(ProviderCatalog.layer.pipe(
      Layer.provideMerge(ConfigStore.layer({ home })),
      Layer.provideMerge(store),
      Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
    )),
    Effect.ensuring(Effect.sync(() => rmSync(home, { recursive: true, force: true })))
  )
}

const fileText = (home: string) => {
  try {
    return readFileSync(join(home, "providers", "remote.json"), "utf8")
  } catch {
    return "(none)"
  }
}

const stored = (id: string, name: Parameters<typeof accountFor>[1]) =>
  Effect.flatMap(SecretStore, (store) => store.get(id, name)).pipe(Effect.map(Option.map(Redacted.value)), Effect.map(Option.getOrNull))

const custom = (name: string) => ({ preset: "custom" as const, name, settings: { host: "llm.example" } })

describe("a secret store that cannot be reached", () => {
  const unreachable = failingStore(["*"])

  it.effect("adds a provider without secrets, and reports its secrets as unknown (null), not as an error", () =>
    withCatalog(unreachable, (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        const entry = yield* catalog.add({ ...custom("Plain"), settings: { host: "llm.example", secretHeaders: [] } })
        assert.include(fileText(home), `"id": "${entry.id}"`)
        const presence = yield* catalog.secretPresence({ ...entry, secretHeaders: ["X-Token"] })
        assert.deepStrictEqual(presence, { apiKey: null, headers: [{ name: "X-Token", set: null }] })
      })))

  it.effect("refuses an add with a key and writes nothing", () =>
    withCatalog(unreachable, (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        const before = fileText(home)
        const error = yield* Effect.flip(catalog.add({ ...custom("Keyed"), apiKey: Redacted.make("sk-never-written") }))
        assert.strictEqual(error._tag, "SecretStoreError")
        assert.strictEqual(fileText(home), before)
        assert.notInclude(fileText(home), "sk-never-written")
      })))

  it.effect("refuses an edit that stores a key and leaves the file as it was", () =>
    withCatalog(unreachable, (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        const entry = yield* catalog.add(custom("Edited"))
        const before = fileText(home)
        const error = yield* Effect.flip(catalog.edit(entry.id, { name: "Renamed", apiKey: Redacted.make("sk-never-written") }))
        assert.strictEqual(error._tag, "SecretStoreError")
        assert.strictEqual(fileText(home), before)
      })))

  it.effect("moves a provider that sends no secret to another host; one that sends a key needs confirmation", () =>
    withCatalog(unreachable, (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        const plain = yield* catalog.add(custom("Mover"))
        const { entry } = yield* catalog.edit(plain.id, { settings: { host: "llm2.example" } })
        assert.strictEqual(entry.host, "llm2.example")
        assert.include(fileText(home), "llm2.example")
        // Its key cannot be read, so it may be there: it must not silently follow to a new host.
        const keyed = yield* catalog.add({ ...custom("Keyed Mover"), settings: { host: "llm.example", auth: "apiKey" } })
        const refused = yield* Effect.flip(catalog.edit(keyed.id, { settings: { host: "elsewhere.example" } }))
        assert.strictEqual(refused._tag, "SecretsWouldMove")
        yield* catalog.edit(keyed.id, { settings: { host: "elsewhere.example" }, confirmKeepSecrets: true })
        assert.include(fileText(home), "elsewhere.example")
      })))

  it.effect("removes a provider that has no secrets, without touching the store", () =>
    withCatalog(unreachable, (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        const entry = yield* catalog.add(custom("Gone"))
        yield* catalog.remove(entry.id)
        assert.notInclude(fileText(home), entry.id)
      })))
})

describe("a secret store that fails part-way", () => {
  it.effect("add: the key stored before the failing header is taken back, and the file is not written", () =>
    withCatalog(failingStore([accountFor("half", header("X-Fail"))]), (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        const error = yield* Effect.flip(catalog.add({
          ...custom("Half"),
          apiKey: Redacted.make("sk-half"),
          secretHeaders: { "X-Fail": Redacted.make("tok-half") }
        }))
        assert.strictEqual(error._tag, "SecretStoreError")
        assert.isNull(yield* stored("half", apiKey))
        assert.notInclude(fileText(home), "half")
      })))

  it.effect("edit: a replaced key is put back when a later secret fails, and the file keeps the old settings", () =>
    withCatalog(failingStore([accountFor("swap", header("X-Fail"))], [[accountFor("swap", apiKey), "sk-old"]]), (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        yield* catalog.add(custom("Swap"))
        const before = fileText(home)
        const error = yield* Effect.flip(catalog.edit("swap", {
          settings: { timeoutSeconds: 42 },
          apiKey: Redacted.make("sk-new"),
          secretHeaders: { "X-Fail": Redacted.make("tok") }
        }))
        assert.strictEqual(error._tag, "SecretStoreError")
        assert.strictEqual(yield* stored("swap", apiKey), "sk-old")
        assert.strictEqual(fileText(home), before)
      })))

  it.effect("edit that succeeds stores the secrets and writes the file", () =>
    withCatalog(failingStore([]), (home) =>
      Effect.gen(function*() {
        const catalog = yield* ProviderCatalog
        yield* catalog.add(custom("Works"))
        const { secretsChanged } = yield* catalog.edit("works", { apiKey: Redacted.make("sk-works") })
        assert.isTrue(secretsChanged)
        assert.strictEqual(yield* stored("works", apiKey), "sk-works")
        assert.include(fileText(home), `"auth": "apiKey"`)
        assert.notInclude(fileText(home), "sk-works")
      })))
})
