/**
 * The gateway key store: create / list / revoke on a secret store (memory here; the keychain runs
 * end to end in test/e2e/gateway-keys.test.ts), only hashes stored, the environment backend, and
 * how a server's cached hashes follow changes another process makes (TestClock: no real waiting).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { GatewayKeys, MISS_REFRESH, REFRESH } from "../../src/gateway-keys/GatewayKeys.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { header, SecretStore } from "../../src/secrets/SecretStore.ts"
import { withEnv } from "../support/Environment.ts"

/** The one secret-store entry that holds the keys. */
const storedEntry = Effect.flatMap(SecretStore, (store) => store.get("_switchboard", header("gateway-keys")))

/** A key service of its own on `store`, as each process builds one. */
const keysOn = (store: SecretStore["Service"]) =>
  Effect.provide(
    Effect.gen(function*() {
      return yield* GatewayKeys
    }),
    GatewayKeys.layerStore.pipe(Layer.provide(Layer.succeed(SecretStore, store)))
  )

/** Two independent key services on one secret store: a server, and a CLI next to it. */
const twoProcesses = Effect.gen(function*() {
  const store = yield* SecretStore
  return { server: yield* keysOn(store), cli: yield* keysOn(store) }
})

describe("GatewayKeys on a secret store", () => {
  it.effect("create returns the key once; list shows id, name and date, never the key; revoke removes it", () =>
    Effect.gen(function*() {
      const keys = yield* GatewayKeys
      assert.deepStrictEqual(yield* keys.list, [])
      const first = yield* keys.create("laptop")
      const second = yield* keys.create("  ")
      const key = Redacted.value(first.key)
      assert.match(key, /^sb-[A-Za-z0-9_-]{43}$/)
      assert.strictEqual(String(first.key), "<redacted>")

      const listed = yield* keys.list
      assert.deepStrictEqual(listed.map((k) => [k.id, k.name]), [[first.info.id, "laptop"], [second.info.id, ""]])
      assert.isNotNull(listed[0]!.created)
      assert.notInclude(JSON.stringify(listed), key)

      // Only hashes are stored: the entry cannot be presented as a key.
      const entry = Option.map(yield* storedEntry, Redacted.value).pipe(Option.getOrThrow)
      assert.notInclude(entry, key)
      assert.notInclude(entry, key.slice(3))
      assert.deepStrictEqual(Object.keys(JSON.parse(entry)[0]).sort(), ["created", "id", "name", "sha256"])

      assert.isTrue(yield* keys.verify(first.key))
      assert.isFalse(yield* keys.verify(Redacted.make(`${key}x`)))

      const revoked = yield* keys.revoke(first.info.id)
      assert.strictEqual(revoked.name, "laptop")
      assert.deepStrictEqual((yield* keys.list).map((k) => k.id), [second.info.id])
      assert.isFalse(yield* keys.verify(first.key))
      const unknown = yield* Effect.flip(keys.revoke(first.info.id))
      assert.strictEqual(unknown._tag, "UnknownGatewayKey")

      // The last key gone, the entry is gone too.
      yield* keys.revoke(second.info.id)
      assert.isTrue(Option.isNone(yield* storedEntry))
    }).pipe(Effect.provide(GatewayKeys.layerStore.pipe(Layer.provideMerge(MemorySecretStore.layer())))))

  it.effect("a server picks up keys another process creates or revokes, without a keychain read per request", () =>
    Effect.gen(function*() {
      const { server, cli } = yield* twoProcesses
      const first = yield* cli.create("first")
      assert.isTrue(yield* server.verify(first.key))

      // A key created elsewhere is not known yet; an unknown key re-reads the entry, at most once per MISS_REFRESH.
      const second = yield* cli.create("second")
      yield* TestClock.adjust(Duration.sum(MISS_REFRESH, Duration.millis(1)))
      assert.isTrue(yield* server.verify(second.key))

      // Revoked elsewhere: still accepted from the cache until it is REFRESH old, then refused.
      yield* cli.revoke(first.info.id)
      assert.isTrue(yield* server.verify(first.key))
      yield* TestClock.adjust(Duration.sum(REFRESH, Duration.millis(1)))
      assert.isFalse(yield* server.verify(first.key))
      assert.isTrue(yield* server.verify(second.key))
    }).pipe(Effect.provide(MemorySecretStore.layer())))

  it.effect("the synchronous check trusts only hashes younger than REFRESH, and re-reads older ones in the background", () =>
    Effect.gen(function*() {
      const { server, cli } = yield* twoProcesses
      const first = Redacted.value((yield* cli.create("first")).key)
      /** Lets the background read run until `key` is known (or gives up). */
      const knownSoon = (key: string) =>
        Effect.gen(function*() {
          for (let i = 0; i < 1000 && !server.isKnownCurrent(key); i++) yield* Effect.yieldNow
          return server.isKnownCurrent(key)
        })

      // Never read: not known yet, and a read starts in the background.
      assert.isFalse(server.isKnownCurrent(first))
      assert.isTrue(yield* knownSoon(first))

      // Revoked elsewhere, another created: the cache holds until it is REFRESH old…
      const firstId = (yield* cli.list)[0]!.id
      yield* cli.revoke(firstId)
      const second = Redacted.value((yield* cli.create("second")).key)
      assert.isTrue(server.isKnownCurrent(first))
      assert.isFalse(server.isKnownCurrent(second))
      // …then nothing is trusted until the background read brings the new list.
      yield* TestClock.adjust(Duration.sum(REFRESH, Duration.millis(1)))
      assert.isFalse(server.isKnownCurrent(first))
      assert.isTrue(yield* knownSoon(second))
      assert.isFalse(server.isKnownCurrent(first))
    }).pipe(Effect.provide(MemorySecretStore.layer())))

  it.effect("checks do not read the store while the hashes are fresh", () =>
    Effect.gen(function*() {
      let reads = 0
      const memory = yield* SecretStore
      const counting = SecretStore.of({ ...memory, get: (id, name) => Effect.suspend(() => (reads++, memory.get(id, name))) })
      const keys = yield* keysOn(counting)
      const created = yield* keys.create("hot path")
      const before = reads
      for (let i = 0; i < 100; i++) assert.isTrue(yield* keys.verify(created.key))
      assert.strictEqual(reads, before)
      // Wrong keys re-read at most once per MISS_REFRESH, however many arrive.
      for (let i = 0; i < 100; i++) assert.isFalse(yield* keys.verify(Redacted.make(`sb-wrong-${i}`)))
      assert.isAtMost(reads - before, 1)
    }).pipe(Effect.provide(MemorySecretStore.layer())))
})

describe("GatewayKeys from SWITCHBOARD_GATEWAY_KEYS (SWITCHBOARD_SECRETS=env)", () => {
  it.effect("accepts the listed keys, lists them by position, and refuses to change them", () =>
    Effect.gen(function*() {
      const keys = yield* GatewayKeys
      assert.isTrue(yield* keys.verify(Redacted.make("sb-env-one")))
      assert.isTrue(yield* keys.verify(Redacted.make("sb-env-two")))
      assert.isFalse(yield* keys.verify(Redacted.make("sb-env-three")))
      assert.isFalse(yield* keys.verify(Redacted.make("")))
      const listed = yield* keys.list
      assert.deepStrictEqual(listed.map((k) => k.id), ["env-1", "env-2"])
      assert.notInclude(JSON.stringify(listed), "sb-env")
      const error = yield* Effect.flip(keys.create("x"))
      assert.include(error.message, "SWITCHBOARD_GATEWAY_KEYS")
      yield* Effect.flip(keys.revoke("env-1"))
    }).pipe(Effect.provide(withEnv(GatewayKeys.layerEnv, { SWITCHBOARD_GATEWAY_KEYS: " sb-env-one, sb-env-two ,," }))))

  it.effect("with none set, no key is valid", () =>
    Effect.gen(function*() {
      const keys = yield* GatewayKeys
      assert.deepStrictEqual(yield* keys.list, [])
      assert.isFalse(yield* keys.verify(Redacted.make("sb-anything")))
    }).pipe(Effect.provide(withEnv(GatewayKeys.layerEnv, {}))))
})
