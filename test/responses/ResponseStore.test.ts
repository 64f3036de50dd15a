/**
 * The `ResponseStore` service, one set of tests run against each of its layers: in memory, SQLite
 * in a temporary folder and a real Postgres (test/support/Postgres.ts) through `ResponseStoreSql`.
 * A response stored is read back equal by its own key only, deleted by its own key only, replaced
 * when stored again, and not found past retention (and deleted by the retention fiber).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import * as SqlClient from "effect/sql/SqlClient"
import { join } from "node:path"
import { Database } from "../../src/database/Database.ts"
import { ResponseStore, type StoredResponse, visible } from "../../src/responses/ResponseStore.ts"
import * as ResponseStoreSql from "../../src/responses/ResponseStoreSql.ts"
import { describePostgres, usePostgres } from "../support/Postgres.ts"
import { tempDir } from "../support/TempDir.ts"

const DAY = 24 * 3_600_000

const stored = (id: string, keyId: string | null, createdAt = 0): StoredResponse => ({
  id,
  keyId,
  createdAt,
  input: [{ type: "message", role: "user", content: "Say hi — «ünïcode» 🚀" }, { type: "function_call_output", call_id: "c1", output: "{\"a\":1}" }],
  response: { id, object: "response", status: "completed", output: [{ type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: "hi", annotations: [] }] }], usage: null, nested: { n: 1.5, t: true } }
})

describe("visible", () => {
  const cases: ReadonlyArray<readonly [string, Pick<StoredResponse, "keyId" | "createdAt">, string | null, number, number, boolean]> = [
    ["its own key", { keyId: "k1", createdAt: 0 }, "k1", 0, 90, true],
    ["another key", { keyId: "k1", createdAt: 0 }, "k2", 0, 90, false],
    ["no key asks for a key's", { keyId: "k1", createdAt: 0 }, null, 0, 90, false],
    ["a key asks for a keyless one", { keyId: null, createdAt: 0 }, "k1", 0, 90, false],
    ["keyless, keyless", { keyId: null, createdAt: 0 }, null, 0, 90, true],
    ["at the cutoff", { keyId: null, createdAt: 0 }, null, 90 * DAY, 90, true],
    ["past the cutoff", { keyId: null, createdAt: 0 }, null, 90 * DAY + 1, 90, false],
    ["kept forever", { keyId: null, createdAt: 0 }, null, 9_000 * DAY, 0, true]
  ]
  for (const [name, row, keyId, now, days, expected] of cases) {
    it(name, () => assert.strictEqual(visible(row, keyId, now, days), expected))
  }
})

/** The tests every layer passes; `layer` makes a fresh, empty store per test (on the TestClock). */
const storeContract = (layer: (options?: { readonly retentionEvery?: Duration.Duration }) => Layer.Layer<ResponseStore, unknown>) => {
  const withStore = <A, E>(body: (store: ResponseStore["Service"]) => Effect.Effect<A, E>, options?: { readonly retentionEvery?: Duration.Duration }) =>
    Effect.suspend(() => Effect.flatMap(Effect.service(ResponseStore), body).pipe(Effect.provide(layer(options))))

  it.effect("a response is read back equal by its own key; another key, no key and an unknown id find nothing", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.put(stored("resp_a", "k1"))
        yield* store.put(stored("resp_b", null))
        assert.deepStrictEqual(yield* store.get("resp_a", "k1"), Option.some(stored("resp_a", "k1")))
        assert.deepStrictEqual(yield* store.get("resp_b", null), Option.some(stored("resp_b", null)))
        assert.isTrue(Option.isNone(yield* store.get("resp_a", "k2")))
        assert.isTrue(Option.isNone(yield* store.get("resp_a", null)))
        assert.isTrue(Option.isNone(yield* store.get("resp_b", "k1")))
        assert.isTrue(Option.isNone(yield* store.get("resp_nope", "k1")))
      })), 60_000)

  it.effect("stored again under its id, a response is replaced", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.put(stored("resp_a", "k1"))
        const again = { ...stored("resp_a", "k1"), input: [], response: { id: "resp_a", status: "incomplete" } }
        yield* store.put(again)
        assert.deepStrictEqual(yield* store.get("resp_a", "k1"), Option.some(again))
      })), 60_000)

  it.effect("another key storing a response under the same id replaces nothing", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.put(stored("resp_a", "k1"))
        yield* store.put({ ...stored("resp_a", "k2"), response: { id: "resp_a", status: "failed" } })
        yield* store.put({ ...stored("resp_a", null), response: { id: "resp_a", status: "failed" } })
        assert.deepStrictEqual(yield* store.get("resp_a", "k1"), Option.some(stored("resp_a", "k1")))
        assert.isTrue(Option.isNone(yield* store.get("resp_a", "k2")))
        assert.isTrue(Option.isNone(yield* store.get("resp_a", null)))
        // The same holds the other way round: a response stored without a key stays the keyless caller's.
        yield* store.put(stored("resp_b", null))
        yield* store.put({ ...stored("resp_b", "k1"), response: { id: "resp_b", status: "failed" } })
        assert.deepStrictEqual(yield* store.get("resp_b", null), Option.some(stored("resp_b", null)))
      })), 60_000)

  it.effect("delete: only by its own key, once", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.put(stored("resp_a", "k1"))
        assert.isFalse(yield* store.delete("resp_a", "k2"))
        assert.isFalse(yield* store.delete("resp_a", null))
        assert.isTrue(Option.isSome(yield* store.get("resp_a", "k1")))
        assert.isTrue(yield* store.delete("resp_a", "k1"))
        assert.isFalse(yield* store.delete("resp_a", "k1"))
        assert.isTrue(Option.isNone(yield* store.get("resp_a", "k1")))
      })), 60_000)

  it.effect("past retention a response is not found, and is deleted", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.put(stored("resp_old", null, 0))
        yield* TestClock.adjust(Duration.days(60))
        yield* store.put(stored("resp_new", null, 60 * DAY))
        yield* TestClock.adjust(Duration.days(31))
        assert.isTrue(Option.isNone(yield* store.get("resp_old", null)))
        assert.isFalse(yield* store.delete("resp_old", null))
        assert.isTrue(Option.isSome(yield* store.get("resp_new", null)))
      }), { retentionEvery: Duration.days(1) }), 60_000)
}

const sqlStore = <E>(database: Layer.Layer<Database | SqlClient.SqlClient, E>, options: { readonly retentionEvery?: Duration.Duration } = {}) =>
  ResponseStoreSql.layerWith({ retentionDays: 90, ...options }).pipe(Layer.provide(database))

describe("ResponseStore (memory)", () => {
  storeContract(() => ResponseStore.layerMemory({ retentionDays: 90 }))
})

describe("ResponseStore (SQLite)", () => {
  storeContract((options) => sqlStore(Database.layerSqlite(join(tempDir("switchboard-responses-"), "switchboard.db")), options))

  it.effect("the retention fiber deletes the rows past retention", () =>
    Effect.suspend(() => {
      const database = Database.layerSqlite(join(tempDir("switchboard-responses-"), "switchboard.db"))
      return Effect.gen(function*() {
        const store = yield* ResponseStore
        yield* store.put(stored("resp_old", null, 0))
        yield* TestClock.adjust(Duration.days(91))
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ id: string }>`SELECT id FROM stored_responses`
        assert.deepStrictEqual(rows.map((row) => row.id), [])
      }).pipe(Effect.provide(Layer.merge(sqlStore(database, { retentionEvery: Duration.days(1) }), database)))
    }), 60_000)
})

describePostgres("ResponseStore (Postgres)", () => {
  const pg = usePostgres()
  storeContract((options) => sqlStore(Database.layerPostgres(Redacted.make(pg.freshDatabase())), options))
})
