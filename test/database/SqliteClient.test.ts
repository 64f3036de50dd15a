/**
 * Our `SqlClient` over node:sqlite (src/database/SqliteClient.ts) on a real file: what `effect/sql`
 * asks of a client (statements, values, nested transactions as savepoints, rollback, streams),
 * concurrent fibers on one connection, and two clients on one file (two processes: the server
 * writing while `switchboard usage` reads, or two writers) waiting for each other's locks.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import * as SqliteClient from "../../src/database/SqliteClient.ts"
import { tempDir } from "../support/TempDir.ts"

const count = Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
  Effect.map(sql<{ n: number }>`SELECT COUNT(*) AS n FROM t`, ([row]) => row!.n))

describe("SqliteClient", () => {
  it.effect("statements, values, streams; nested transactions roll back to their savepoint", () =>
    Effect.suspend(() =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        assert.strictEqual(sql.onDialectOrElse({ sqlite: () => "sqlite", orElse: () => "other" }), "sqlite")
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)`
        yield* sql`INSERT INTO t ${sql.insert([{ id: 1, name: "a" }, { id: 2, name: "b" }])}`
        assert.deepStrictEqual(yield* sql`SELECT id, name FROM t ORDER BY id`.values, [[1, "a"], [2, "b"]])
        assert.deepStrictEqual(yield* Stream.runCollect(sql`SELECT name FROM t ORDER BY id`.stream), [{ name: "a" }, { name: "b" }])
        yield* sql.withTransaction(
          Effect.gen(function*() {
            yield* sql`INSERT INTO t ${sql.insert({ id: 3, name: "c" })}`
            const inner = yield* sql.withTransaction(Effect.andThen(sql`INSERT INTO t ${sql.insert({ id: 4, name: "d" })}`, Effect.fail("no"))).pipe(Effect.exit)
            assert.isTrue(Exit.isFailure(inner))
          })
        )
        assert.deepStrictEqual((yield* sql<{ id: number }>`SELECT id FROM t ORDER BY id`).map((row) => row.id), [1, 2, 3])
        // A statement SQLite refuses is a SqlError, classified.
        const error = yield* Effect.flip(sql`SELEKT 1`)
        assert.strictEqual(error._tag, "SqlError")
      }).pipe(Effect.provide(SqliteClient.layer({ filename: join(tempDir("switchboard-sqlite-"), "db.sqlite") })))
    ))

  it.effect("concurrent transactions on one client never interleave", () =>
    Effect.suspend(() =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER)`
        yield* Effect.forEach(
          Array.from({ length: 20 }, (_, batch) => batch),
          (batch) =>
            sql.withTransaction(
              Effect.forEach([0, 1, 2], (i) => Effect.andThen(Effect.yieldNow, sql`INSERT INTO t ${sql.insert({ id: batch * 10 + i, batch })}`), { discard: true })
                .pipe(Effect.andThen(batch % 2 === 0 ? Effect.fail("rolled back") : Effect.void))
            ).pipe(Effect.ignore),
          { concurrency: "unbounded", discard: true }
        )
        const rows = yield* sql<{ batch: number; n: number }>`SELECT batch, COUNT(*) AS n FROM t GROUP BY batch ORDER BY batch`
        assert.deepStrictEqual(rows.map((row) => [row.batch, row.n]), Array.from({ length: 10 }, (_, i) => [i * 2 + 1, 3]))
      }).pipe(Effect.provide(SqliteClient.layer({ filename: join(tempDir("switchboard-sqlite-"), "db.sqlite") })))
    ))

  it.effect("two clients on one file (two processes) write and read alongside each other", () =>
    Effect.suspend(() => {
      const file = join(tempDir("switchboard-sqlite-"), "db.sqlite")
      const writer = (from: number) =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          for (let i = 0; i < 25; i++) {
            yield* sql.withTransaction(sql`INSERT INTO t ${sql.insert({ id: from + i })}`)
            yield* Effect.yieldNow
          }
          return yield* count
        }).pipe(Effect.provide(SqliteClient.layer({ filename: file })))
      return Effect.gen(function*() {
        yield* Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql`CREATE TABLE t (id INTEGER PRIMARY KEY)`).pipe(
          Effect.provide(SqliteClient.layer({ filename: file }))
        )
        yield* Effect.all([writer(0), writer(100)], { concurrency: 2 })
        assert.strictEqual(yield* count.pipe(Effect.provide(SqliteClient.layer({ filename: file }))), 50)
      })
    }))

  it.effect("a file that cannot be opened fails statements, not the client; opened once it can be", () =>
    Effect.suspend(() => {
      const file = join(tempDir("switchboard-sqlite-"), "missing", "db.sqlite")
      return Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const error = yield* Effect.flip(sql`SELECT 1`)
        assert.include(error.message, file)
        yield* Effect.sync(() => mkdirSync(join(file, "..")))
        assert.deepStrictEqual(yield* sql`SELECT 1 AS one`, [{ one: 1 }])
      }).pipe(Effect.provide(SqliteClient.layer({ filename: file })))
    }))
})
