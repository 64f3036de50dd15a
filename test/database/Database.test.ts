/**
 * The database layer against a real SQLite file (node:sqlite, through our `SqliteClient`) and a
 * real Postgres (a throw-away cluster: test/support/Postgres.ts): the migrations, statements and
 * transactions, the choice made from the settings, and a database that cannot be opened or
 * reached — which fails `ready` and statements, never the layer, and never shows the password.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Database, DatabaseError } from "../../src/database/Database.ts"
import * as Migrations from "../../src/database/Migrations.ts"
import { describePostgres, usePostgres } from "../support/Postgres.ts"
import { freePort } from "../support/SwitchboardProcess.ts"
import { tempDir } from "../support/TempDir.ts"

const tables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql.onDialectOrElse({
    pg: () => sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`,
    orElse: () => sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`
  })
  return rows.map((row) => row.name).sort()
})

/** What every dialect must do the same way: statements, parameters, NULLs, transactions. */
const basics = Effect.gen(function*() {
  const db = yield* Database
  const sql = yield* SqlClient.SqlClient
  yield* db.ready
  yield* db.ready // a second time: nothing to do
  assert.includeMembers(yield* tables, ["requests", Migrations.table])
  yield* sql`CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, c DOUBLE PRECISION)`
  yield* sql.withTransaction(sql`INSERT INTO t ${sql.insert([{ id: "a", n: 1, c: null }, { id: "b", n: null, c: 0.25 }])}`)
  // A transaction that fails leaves nothing behind.
  const failed = yield* sql.withTransaction(
    Effect.andThen(sql`INSERT INTO t ${sql.insert({ id: "c", n: 3, c: 1 })}`, Effect.fail("no"))
  ).pipe(Effect.exit)
  assert.isTrue(Exit.isFailure(failed))
  // A conflicting id is skipped, not an error: a batch written twice is kept once.
  yield* sql`INSERT INTO t ${sql.insert({ id: "a", n: 9, c: 9 })} ON CONFLICT (id) DO NOTHING`
  const rows = yield* sql<{ id: string; n: unknown; c: number | null }>`SELECT id, n, c FROM t ORDER BY id`
  assert.deepStrictEqual(rows.map((row) => [row.id, row.n === null ? null : Number(row.n), row.c]), [["a", 1, null], ["b", null, 0.25]])
})

describe("Database (SQLite)", () => {
  it.effect("migrates, runs statements and transactions, in WAL mode", () =>
    Effect.gen(function*() {
      yield* basics
      const sql = yield* SqlClient.SqlClient
      const [mode] = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
      assert.strictEqual(mode?.journal_mode, "wal")
      assert.strictEqual((yield* Database).dialect, "sqlite")
    }).pipe(Effect.provide(Database.layerSqlite(join(tempDir("switchboard-db-"), "switchboard.db")))))

  it.effect("a second process's layer on the same file finds the migrations done", () =>
    Effect.gen(function*() {
      const file = join(tempDir("switchboard-db-"), "switchboard.db")
      const once = Effect.gen(function*() {
        yield* (yield* Database).ready
        const sql = yield* SqlClient.SqlClient
        return (yield* sql<{ migration_id: number }>`SELECT migration_id FROM ${sql(Migrations.table)}`).length
      })
      const first = yield* once.pipe(Effect.provide(Database.layerSqlite(file)))
      const second = yield* once.pipe(Effect.provide(Database.layerSqlite(file)))
      assert.isAbove(first, 0)
      assert.strictEqual(second, first)
    }))

  it.effect("a file that cannot be opened fails ready (saying why), not the layer; it is used once it can be", () => {
    const folder = join(tempDir("switchboard-db-"), "not-yet")
    return Effect.gen(function*() {
      const db = yield* Database
      const error = yield* Effect.flip(db.ready)
      assert.instanceOf(error, DatabaseError)
      assert.include(error.message, join(folder, "switchboard.db"))
      assert.include(error.message, "unable to open database file")
      mkdirSync(folder)
      yield* db.ready
      assert.include(yield* tables, "requests")
    }).pipe(Effect.provide(Database.layerSqlite(join(folder, "switchboard.db"))))
  })

  it.effect("from the settings: SQLite in SWITCHBOARD_HOME when no URL is set", () =>
    Effect.gen(function*() {
      const home = tempDir("switchboard-db-")
      const db = yield* Effect.service(Database).pipe(
        Effect.provide(Database.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { SWITCHBOARD_HOME: home } })))))
      )
      assert.strictEqual(db.dialect, "sqlite")
      assert.strictEqual(db.location, join(home, "switchboard.db"))
    }))

  it.effect("SWITCHBOARD_DATABASE_URL must be a postgres URL, and the error does not repeat it", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.service(Database).pipe(
        Effect.provide(Database.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { SWITCHBOARD_DATABASE_URL: "mysql://u:hunter2@h/db" } }))))),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.notInclude(String(exit), "hunter2")
      assert.include(String(exit), "postgres://")
    }))
})

describePostgres("Database (Postgres)", () => {
  const pg = usePostgres()

  it.effect("migrates, runs statements and transactions", () =>
    Effect.suspend(() =>
      Effect.gen(function*() {
        yield* basics
        const db = yield* Database
        assert.strictEqual(db.dialect, "postgres")
        assert.match(db.location, /^postgres:\/\/127\.0\.0\.1:\d+\/test_/)
        assert.notInclude(db.location, pg.password)
        assert.notInclude(db.location, pg.user)
      }).pipe(Effect.provide(Database.layerPostgres(Redacted.make(pg.freshDatabase()))))
    ), 60_000)

  it.effect("two instances migrating one database at once both end ready, with the migrations run once", () =>
    Effect.suspend(() => {
      const url = pg.freshDatabase()
      const instance = Effect.gen(function*() {
        yield* (yield* Database).ready
        const sql = yield* SqlClient.SqlClient
        return (yield* sql<{ migration_id: number }>`SELECT migration_id FROM ${sql(Migrations.table)}`).map((row) => row.migration_id)
      }).pipe(Effect.provide(Database.layerPostgres(Redacted.make(url))))
      return Effect.gen(function*() {
        const [a, b] = yield* Effect.all([instance, instance], { concurrency: 2 })
        assert.deepStrictEqual(a, b)
        assert.strictEqual(new Set(a).size, a.length)
      })
    }), 60_000)

  it.effect("from the settings: Postgres when SWITCHBOARD_DATABASE_URL is set", () =>
    Effect.suspend(() =>
      Effect.gen(function*() {
        const db = yield* Database
        assert.strictEqual(db.dialect, "postgres")
        yield* db.ready
      }).pipe(
        Effect.provide(Database.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { SWITCHBOARD_DATABASE_URL: pg.freshDatabase() } })))))
      )
    ), 60_000)

  it.effect("a server that is down fails ready, not the layer, and no message shows the password", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const secret = "s3cret-pass/+"
      const error = yield* Effect.flip(Effect.flatMap(Effect.service(Database), (db) => db.ready)).pipe(
        Effect.provide(Database.layerPostgres(Redacted.make(`postgres://switchboard:${encodeURIComponent(secret)}@127.0.0.1:${port}/ledger`)))
      )
      assert.instanceOf(error, DatabaseError)
      assert.notInclude(error.message, secret)
      assert.notInclude(error.message, encodeURIComponent(secret))
      assert.match(error.message, /ECONNREFUSED|connect/i)
      console.log(`a server that is down: ${error.message}`)
    }), 60_000)

  it.effect("a wrong password fails ready without showing it", () =>
    Effect.suspend(() => {
      const wrong = `wrong-${pg.password}`
      const url = pg.url().replace(encodeURIComponent(pg.password), encodeURIComponent(wrong))
      return Effect.gen(function*() {
        const db = yield* Database
        const error = yield* Effect.flip(db.ready)
        assert.notInclude(error.message, wrong)
        assert.notInclude(error.message, encodeURIComponent(wrong))
        assert.notInclude(error.message, pg.password)
        assert.match(error.message, /password|authentication/i)
        console.log(`a wrong password: ${error.message}`)
      }).pipe(Effect.provide(Database.layerPostgres(Redacted.make(url))))
    }), 60_000)
})
