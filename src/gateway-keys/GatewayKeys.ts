/**
 * The gateway keys a caller must present when Switchboard listens on a non-loopback address.
 *
 * Stored in the chosen secret store, as one entry: a keychain cannot list its entries, and the
 * gateway must be able to check a key without doing so. The entry (keychain account
 * `_switchboard.header.gateway-keys` — the `_` keeps it apart from every provider, whose ids are
 * slugs) holds a JSON list of `{ id, name, created, sha256 }`: only hashes, so even someone who
 * reads the keychain entry cannot present a key. With `SWITCHBOARD_SECRETS=env` the keys are the
 * comma-separated `SWITCHBOARD_GATEWAY_KEYS` instead, read once at start-up (read-only, like
 * every environment secret).
 *
 * Checking a key must not cost a keychain call per request (a D-Bus round trip): the server keeps
 * the hashes in memory, re-reads the entry when they are older than `REFRESH` (so a revoked key
 * stops working within seconds, without a restart), and when a presented key is not among them —
 * at most once per `MISS_REFRESH`, so a stream of wrong keys cannot hammer the keychain.
 *
 * Two checks share that cache: `isKnownCurrent`, a plain synchronous function (the fast lane runs
 * no Effect), which trusts only hashes fresher than `REFRESH` and starts a re-read in the
 * background when they are older; and `verify`, which waits for the re-reads (a key created a
 * moment ago by the CLI is accepted at once).
 */
import { Context, Duration, Effect, Layer, Option, Redacted, Schema, Semaphore } from "effect"
import type { Clock } from "effect/Clock"
import * as Settings from "../config/Settings.ts"
import * as SecretStoreLive from "../secrets/SecretStoreLive.ts"
import { header, SecretStore, type SecretStoreError } from "../secrets/SecretStore.ts"
import * as SqlClient from "effect/sql/SqlClient"
import { Database, targetFrom } from "../database/Database.ts"
import { KeyLimits as KeyLimitsSchema } from "./KeyLimits.ts"
import { generateId, generateKey, matchesAny, matchIndex, sha256, StoredKey, StoredKeys } from "./GatewayKey.ts"
import { applyChange, hasAny, type KeyLimits, type LimitsChange } from "./KeyLimits.ts"

/** The secret-store owner and name of the entry (see the module comment). */
const OWNER = "_switchboard"
const ENTRY = header("gateway-keys")

/** How old the in-memory hashes may get before a check re-reads them. */
export const REFRESH = Duration.seconds(3)
/** How soon after a read an unknown key may trigger another one. */
export const MISS_REFRESH = Duration.seconds(1)

/** The keys could not be read or changed. Never carries a key. */
export class GatewayKeysError extends Schema.TaggedError<GatewayKeysError>()("GatewayKeysError", {
  message: Schema.String
}) {}

export class UnknownGatewayKey extends Schema.TaggedError<UnknownGatewayKey>()("UnknownGatewayKey", {
  id: Schema.String
}) {
  override get message() {
    return `no gateway key with id ${this.id}: see \`switchboard keys list\``
  }
}

/** A key as `keys list` shows it: never the key, nor its hash. */
export interface KeyInfo {
  readonly id: string
  readonly name: string
  /** ISO 8601, or null for keys from the environment. */
  readonly created: string | null
  /** Its rate limits and budgets; `{}` when it has none. */
  readonly limits: KeyLimits
}

export class GatewayKeys extends Context.Service<GatewayKeys, {
  /** Where the keys live, for messages. */
  readonly backend: string
  readonly list: Effect.Effect<ReadonlyArray<KeyInfo>, GatewayKeysError>
  /** Makes, stores and returns a new key: the only time the key itself exists outside the caller's hands. */
  readonly create: (
    name: string,
    limits?: KeyLimits
  ) => Effect.Effect<{ readonly key: Redacted.Redacted<string>; readonly info: KeyInfo }, GatewayKeysError>
  readonly revoke: (id: string) => Effect.Effect<KeyInfo, GatewayKeysError | UnknownGatewayKey>
  /** Sets (a number) or clears (`null`) a key's limits, one by one; absent fields stay as they are. */
  readonly setLimits: (id: string, change: LimitsChange) => Effect.Effect<KeyInfo, GatewayKeysError | UnknownGatewayKey>
  /**
   * Whether a presented key is a current one. Cheap (a hash and a few comparisons) except when
   * the cached hashes are stale or the key unknown (see the module comment). Never fails: keys
   * that cannot be read are no keys, and the failure is logged.
   */
  readonly verify: (presented: Redacted.Redacted<string>) => Effect.Effect<boolean>
  /**
   * Whether a presented key is current by the cached hashes, without waiting: true only when it
   * is among hashes fresher than `REFRESH`; when they are older it is false and a re-read starts
   * in the background. False is "not known": `verify` has the final word (it re-reads first).
   */
  readonly isKnownCurrent: (presented: string) => boolean
  /**
   * Which key a presented one is, by the cached hashes, without waiting (a re-read starts in the
   * background when they are older than `REFRESH`, and this answers from them meanwhile): its id,
   * or undefined. For counting and limiting a request, not for letting it in: that is
   * `isKnownCurrent` / `verify`.
   */
  readonly identify: (presented: string) => string | undefined
  /** A key's limits by the cached entries, when it has any (sync: the request path asks). */
  readonly limitsOf: (id: string) => KeyLimits | undefined
}>()("switchboard/GatewayKeys") {
  /** Keys in the `SecretStore` at hand (keychain, memory). */
  static readonly layerStore = Layer.effect(GatewayKeys, Effect.suspend(() => makeStore))

  /** Keys from `SWITCHBOARD_GATEWAY_KEYS` (comma-separated, through the `ConfigProvider` at hand), read-only. */
  static readonly layerEnv = Layer.effect(
    GatewayKeys,
    Settings.gatewayKeys.config.pipe(
      Effect.map((keys) => makeEnv(keys)),
      Effect.mapError((error) => new GatewayKeysError({ message: `cannot read SWITCHBOARD_GATEWAY_KEYS: ${error.message}` }))
    )
  )

  /**
   * Keys in the database's `gateway_keys` table (hashes and limits, never keys): with Postgres,
   * several gateway instances share one set. Changes run in a transaction holding the table's
   * lock, so two instances changing keys at once do not lose one's change.
   */
  static readonly layerSql = Layer.effect(GatewayKeys, Effect.suspend(() => makeSql))

  /**
   * The store the user chose: the Postgres of `SWITCHBOARD_DATABASE_URL` when set (shared by every
   * instance), else by `SWITCHBOARD_SECRETS` the secret store, or the environment. `database`: the
   * Postgres to use then — the gateway passes its own, so one process opens one pool; without it,
   * one of the keys' own (the CLI). A URL that is not one fails, as it does for the ledger, rather
   * than leaving the keys silently in the keychain.
   */
  static readonly layerFor = <E>(database?: Layer.Layer<Database | SqlClient.SqlClient, E>) =>
    Layer.unwrap(
      Effect.gen(function*() {
        const target = yield* targetFrom(yield* Settings.home.config)
        if (target.kind === "postgres") {
          const postgres = database === undefined ? Layer.orDie(Database.layerFor(target)) : Layer.orDie(database)
          return GatewayKeys.layerSql.pipe(Layer.provide(postgres))
        }
        // An invalid SWITCHBOARD_SECRETS already fails the secret store's own layer, with the reason.
        const backend = yield* Effect.orElseSucceed(SecretStoreLive.SecretsBackend, () => "keychain" as const)
        return backend === "env" ? GatewayKeys.layerEnv : GatewayKeys.layerStore
      })
    )

  /** `layerFor` with a database of the keys' own. */
  static readonly layer = GatewayKeys.layerFor()

  /** For tests: the given keys, in memory, changeable with `create` / `revoke`. */
  static readonly layerTest = (keys: ReadonlyArray<string> = []) => Layer.effect(GatewayKeys, Effect.suspend(() => makeMemory(keys)))
}

const nowIso = Effect.clockWith((clock) => clock.currentTimeMillis).pipe(Effect.map((ms) => new Date(ms).toISOString()))
const info = (key: StoredKey): KeyInfo => ({ id: key.id, name: key.name, created: key.created, limits: key.limits ?? {} })
const toBuffer = (hex: string) => Buffer.from(hex, "hex")

/**
 * The parts every writable store shares: `load` / `save` the list, the rest is here. Checks use
 * hashes cached in memory, refreshed as the module comment says.
 */
const makeWith = (
  backend: string,
  load: Effect.Effect<ReadonlyArray<StoredKey>, GatewayKeysError>,
  save: (keys: ReadonlyArray<StoredKey>) => Effect.Effect<void, GatewayKeysError>,
  /** Makes a read-change-write one step for other processes too (a database transaction); the lock covers this one. */
  atomically: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | GatewayKeysError> = (effect) => effect
) =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    const clock = yield* Effect.clockWith((clock): Effect.Effect<Clock> => Effect.succeed(clock))
    const now = Effect.sync(() => clock.currentTimeMillisUnsafe())
    // The background re-reads of `isKnownCurrent` run with this layer's services (its clock, its logger).
    const fork = Effect.runForkWith(yield* Effect.context<never>())
    let hashes: ReadonlyArray<Buffer> = []
    // The same keys as `hashes`, at the same positions.
    let stored: ReadonlyArray<StoredKey> = []
    const remember = (keys: ReadonlyArray<StoredKey>) => {
      hashes = keys.map((key) => toBuffer(key.sha256))
      stored = keys
    }
    let lastFailure: string | undefined
    // Never read: the first check reads whatever its age limits say.
    let readAt = Number.NEGATIVE_INFINITY

    const fresh = (at: number, maxAge: Duration.Duration) => at - readAt < Duration.toMillis(maxAge)

    // Fresh hashes: no lock, no read (the path of every accepted request). Otherwise one read at
    // a time; a check that waited for another's read uses its result.
    const refresh = (maxAge: Duration.Duration) =>
      Effect.flatMap(now, (at) => fresh(at, maxAge) ? Effect.void : lock.withPermits(1)(Effect.gen(function*() {
        const started = yield* now
        if (fresh(started, maxAge)) return
        // Said once per failure, not per re-read: on a loopback listener every request's
        // `identify` may ask for one, and an unreadable store must not flood the log.
        const keys = yield* load.pipe(
          Effect.tapError((error) =>
            error.message === lastFailure ? Effect.void : Effect.logError(`cannot read the gateway keys: ${lastFailure = error.message}`)
          ),
          Effect.option
        )
        if (Option.isSome(keys)) {
          remember(keys.value)
          lastFailure = undefined
        }
        // A failed read also counts: the next attempt waits like any other.
        readAt = started
      })))

    let refreshing = false
    /** Whether the cached hashes are fresh; when not, a re-read starts in the background. */
    const freshNow = (): boolean => {
      if (fresh(clock.currentTimeMillisUnsafe(), REFRESH)) return true
      if (!refreshing) {
        refreshing = true
        fork(Effect.ensuring(refresh(REFRESH), Effect.sync(() => void (refreshing = false))))
      }
      return false
    }
    const isKnownCurrent = (presented: string): boolean => freshNow() && matchesAny(hashes, presented)
    const identify = (presented: string): string | undefined => {
      freshNow()
      if (hashes.length === 0) return undefined
      const index = matchIndex(hashes, presented)
      return index === -1 ? undefined : stored[index]?.id
    }
    const limitsOf = (id: string): KeyLimits | undefined => {
      for (const key of stored) if (key.id === id) return hasAny(key.limits) ? key.limits : undefined
      return undefined
    }

    const verify = (presented: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const key = Redacted.value(presented)
        yield* refresh(REFRESH)
        if (matchesAny(hashes, key)) return true
        yield* refresh(MISS_REFRESH)
        return matchesAny(hashes, key)
      })

    // Changes re-read the entry first: another process (the CLI, a server) may have changed it.
    const change = <A, E>(f: (keys: ReadonlyArray<StoredKey>) => Effect.Effect<readonly [ReadonlyArray<StoredKey>, A], E>) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const [next, result] = yield* atomically(Effect.gen(function*() {
          const [next, result] = yield* f(yield* load)
          yield* save(next)
          return [next, result] as const
        }))
        remember(next)
        readAt = yield* now
        return result
      }))

    return GatewayKeys.of({
      backend,
      list: Effect.map(load, (keys) => keys.map(info)),
      create: (name, limits) =>
        change((keys) =>
          Effect.gen(function*() {
            const key = generateKey()
            const entry: StoredKey = {
              id: generateId(new Set(keys.map((k) => k.id))),
              name: name.trim(),
              created: yield* nowIso,
              sha256: sha256(key).toString("hex"),
              ...(hasAny(limits) ? { limits } : {})
            }
            return [[...keys, entry], { key: Redacted.make(key), info: info(entry) }] as const
          })
        ),
      setLimits: (id, limitsChange) =>
        change((keys) => {
          const found = keys.find((key) => key.id === id)
          if (found === undefined) return Effect.fail(new UnknownGatewayKey({ id }))
          const { limits: _old, ...rest } = found
          const limits = applyChange(found.limits, limitsChange)
          const updated: StoredKey = hasAny(limits) ? { ...rest, limits } : rest
          return Effect.succeed([keys.map((key) => key.id === id ? updated : key), info(updated)] as const)
        }),
      revoke: (id) =>
        change((keys) => {
          const found = keys.find((key) => key.id === id)
          return found === undefined
            ? Effect.fail(new UnknownGatewayKey({ id }))
            : Effect.succeed([keys.filter((key) => key.id !== id), info(found)] as const)
        }),
      verify,
      isKnownCurrent,
      identify,
      limitsOf
    })
  })

const decodeKeys = Schema.decodeUnknownEffect(StoredKeys)
const encodeKeys = Schema.encodeEffect(StoredKeys)

const makeStore = Effect.gen(function*() {
  const store = yield* SecretStore
  const fromStore = (error: SecretStoreError) => new GatewayKeysError({ message: error.message })
  const load = store.get(OWNER, ENTRY).pipe(
    Effect.mapError(fromStore),
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeed<ReadonlyArray<StoredKey>>([]),
      onSome: (json) =>
        decodeKeys(Redacted.value(json)).pipe(
          Effect.mapError(() =>
            new GatewayKeysError({
              message: `the gateway keys entry in the ${store.backend} (account ${OWNER}.header.gateway-keys) is not a list of keys: ` +
                "delete it and create new keys with `switchboard keys create`"
            })
          )
        )
    }))
  )
  const save = (keys: ReadonlyArray<StoredKey>) =>
    encodeKeys(keys).pipe(
      Effect.mapError(() => new GatewayKeysError({ message: "cannot encode the gateway keys" })),
      Effect.flatMap((json) => keys.length === 0 ? store.delete(OWNER, ENTRY) : store.set(OWNER, ENTRY, Redacted.make(json))),
      Effect.mapError((error) => error._tag === "SecretStoreError" ? fromStore(error) : error)
    )
  return yield* makeWith(store.backend, load, save)
})

const envId = (index: number) => `env-${index + 1}`

interface KeyRow {
  readonly id: string
  readonly name: string
  readonly created: string
  readonly sha256: string
  readonly limits: string | null
}

const decodeLimits = Schema.decodeUnknownOption(Schema.fromJsonString(KeyLimitsSchema))

const makeSql = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const db = yield* Database
  const failed = (error: unknown) => new GatewayKeysError({ message: `the gateway keys in the database: ${db.describe(error)}` })
  const ready = Effect.mapError(db.ready, failed)
  const load = ready.pipe(
    Effect.andThen(sql<KeyRow>`SELECT id, name, created, sha256, limits FROM gateway_keys ORDER BY created, id`),
    Effect.mapError(failed),
    Effect.map((rows) =>
      rows.map((row): StoredKey => {
        const limits = row.limits === null ? undefined : Option.getOrUndefined(decodeLimits(row.limits))
        return { id: row.id, name: row.name, created: row.created, sha256: row.sha256, ...(limits === undefined ? {} : { limits }) }
      })
    )
  )
  const save = (keys: ReadonlyArray<StoredKey>) =>
    Effect.gen(function*() {
      yield* sql`DELETE FROM gateway_keys`
      for (const key of keys) {
        const limits = key.limits === undefined ? null : JSON.stringify(key.limits)
        yield* sql`INSERT INTO gateway_keys (id, name, created, sha256, limits) VALUES (${key.id}, ${key.name}, ${key.created}, ${key.sha256}, ${limits})`
      }
    }).pipe(Effect.mapError(failed))
  const atomically = <A, E>(effect: Effect.Effect<A, E>) =>
    ready.pipe(
      Effect.andThen(sql.withTransaction(
        Effect.andThen(
          db.dialect === "postgres" ? Effect.mapError(sql`LOCK TABLE gateway_keys IN SHARE ROW EXCLUSIVE MODE`, failed) : Effect.void,
          effect
        )
      )),
      Effect.catchTag("SqlError", (error) => Effect.fail(failed(error)))
    )
  return yield* makeWith(`database (${db.location})`, load, save, atomically)
})

const ENV_BACKEND = "environment variable SWITCHBOARD_GATEWAY_KEYS (SWITCHBOARD_SECRETS=env)"

const makeEnv = (keys: ReadonlyArray<string>) => {
  const hashes = keys.map(sha256)
  const readOnly = () =>
    Effect.fail(new GatewayKeysError({
      message: "gateway keys come from the environment here: set SWITCHBOARD_GATEWAY_KEYS=<key>[,<key>…] where Switchboard starts"
    }))
  return GatewayKeys.of({
    backend: ENV_BACKEND,
    // The position is the only id an environment key has; its hash would be a fingerprint of it.
    list: Effect.succeed(keys.map((_, i): KeyInfo => ({ id: envId(i), name: `SWITCHBOARD_GATEWAY_KEYS #${i + 1}`, created: null, limits: {} }))),
    create: readOnly,
    revoke: readOnly,
    setLimits: readOnly,
    verify: (presented) => Effect.sync(() => matchesAny(hashes, Redacted.value(presented))),
    isKnownCurrent: (presented) => matchesAny(hashes, presented),
    identify: (presented) => {
      const index = hashes.length === 0 ? -1 : matchIndex(hashes, presented)
      return index === -1 ? undefined : envId(index)
    },
    // Environment keys have no place to keep limits.
    limitsOf: () => undefined
  })
}

const makeMemory = (initial: ReadonlyArray<string>) => {
  let stored: ReadonlyArray<StoredKey> = initial.map((key, i) => ({
    id: `test-${i + 1}`,
    name: `test key ${i + 1}`,
    created: new Date(0).toISOString(),
    sha256: sha256(key).toString("hex")
  }))
  return makeWith("memory", Effect.sync(() => stored), (keys) => Effect.sync(() => void (stored = keys)))
}
