/**
 * An `effect/sql` `SqlClient` over Node's built-in `node:sqlite` (`DatabaseSync`): SQLite with
 * nothing to build or download at install. No published Effect 4.1 client uses `node:sqlite`
 * (`@effect/sql-sqlite-node` 4.0 betas import `effect/unstable/sql`, which 4.1 has not), so this
 * is a small one of our own, shaped like theirs: one connection shared through a semaphore
 * (`SqlClient.makeSqliteAcquirers`), SQLite's statement compiler, prepared statements cached.
 *
 * The file is opened on first use, not when the client is made, and opening is tried again on
 * the next statement after a failure: a database that cannot be opened (a missing folder, no
 * permission, a full disk) fails statements with a `SqlError`, never the layer, so whoever uses it
 * decides what a failure means (the ledger reports it and the gateway carries on).
 *
 * Opened with WAL (readers never wait for the writer, and `switchboard usage` can read while the
 * server writes), `synchronous = NORMAL` (safe with WAL; a power cut may lose the last
 * transactions, not the file) and a busy timeout, so two processes on one file wait for each
 * other's writes instead of failing at once. Transactions begin `IMMEDIATE`: they take the write
 * lock up front, so two writers never deadlock upgrading a read lock.
 */
import { Effect, Layer, Scope, Semaphore, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as SqlClient from "effect/sql/SqlClient"
import type { Connection } from "effect/sql/SqlConnection"
import { classifySqliteError, SqlError } from "effect/sql/SqlError"
import * as Statement from "effect/sql/Statement"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"

export interface SqliteClientConfig {
  /** The database file (created when missing; its folder must exist), or `:memory:`. */
  readonly filename: string
  /** How long a statement waits for another connection's write lock, milliseconds (default 5000). */
  readonly busyTimeoutMs?: number | undefined
}

/** Prepared statements kept per connection; the ledger and the budgets use a few dozen. */
const PREPARED_CACHE_SIZE = 200

/**
 * A scoped client: the file is closed when the scope closes. Never fails (see the module's
 * comment: opening happens on first use).
 */
export const make = (config: SqliteClientConfig): Effect.Effect<SqlClient.SqlClient, never, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    let db: DatabaseSync | undefined
    const prepared = new Map<string, StatementSync>()

    const open = (): DatabaseSync => {
      const opened = new DatabaseSync(config.filename, { timeout: config.busyTimeoutMs ?? 5000 })
      try {
        // journal_mode answers with a row; exec ignores it. `:memory:` stays "memory", which is fine.
        opened.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
      } catch (error) {
        opened.close()
        throw error
      }
      return opened
    }

    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => {
        prepared.clear()
        if (db?.isOpen) db.close()
        db = undefined
      })
    )

    const connectionOf = (database: DatabaseSync): Connection => {
      const prepare = (sql: string): StatementSync => {
        const cached = prepared.get(sql)
        if (cached !== undefined) return cached
        const statement = database.prepare(sql)
        if (prepared.size >= PREPARED_CACHE_SIZE) prepared.clear()
        prepared.set(sql, statement)
        return statement
      }
      const run = (
        statement: () => StatementSync,
        params: ReadonlyArray<unknown>,
        options: { readonly arrays: boolean; readonly raw: boolean }
      ): Effect.Effect<any, SqlError> =>
        Effect.try({
          try: () => {
            const s = statement()
            s.setReturnArrays(options.arrays)
            const args = params as Array<SQLInputValue>
            if (s.columns().length > 0) return s.all(...args)
            const result = s.run(...args)
            return options.raw ? { changes: result.changes, lastInsertRowid: result.lastInsertRowid } : []
          },
          catch: (cause) => sqlError(cause, "Failed to execute statement", "execute")
        })
      const rows = (effect: Effect.Effect<ReadonlyArray<any>, SqlError>, transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined) =>
        transformRows === undefined ? effect : Effect.map(effect, transformRows)
      return {
        execute: (sql, params, transformRows) => rows(run(() => prepare(sql), params, { arrays: false, raw: false }), transformRows),
        executeRaw: (sql, params) => run(() => prepare(sql), params, { arrays: false, raw: true }),
        executeValues: (sql, params) => run(() => prepare(sql), params, { arrays: true, raw: false }),
        executeValuesUnprepared: (sql, params) => run(() => database.prepare(sql), params, { arrays: true, raw: false }),
        executeUnprepared: (sql, params, transformRows) =>
          rows(run(() => database.prepare(sql), params, { arrays: false, raw: false }), transformRows),
        // SQLite answers from memory or a local file: read the rows, then stream them.
        executeStream: (sql, params, transformRows) =>
          Stream.unwrap(Effect.map(rows(run(() => prepare(sql), params, { arrays: false, raw: false }), transformRows), Stream.fromIterable))
      }
    }

    let connection: (Connection & { readonly db: DatabaseSync }) | undefined
    const acquire = Effect.suspend((): Effect.Effect<Connection & { readonly db: DatabaseSync }, SqlError> => {
      if (connection !== undefined && connection.db.isOpen) return Effect.succeed(connection)
      return Effect.try({
        try: () => {
          db = open()
          prepared.clear()
          connection = Object.assign(connectionOf(db), { db })
          return connection
        },
        catch: (cause) => sqlError(cause, `Cannot open the SQLite database ${config.filename}`, "connect")
      })
    })

    const semaphore = yield* Semaphore.make(1)
    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: acquire,
      semaphore,
      isTransaction: (conn) => conn.db.isTransaction
    })
    return yield* SqlClient.make({
      ...acquirers,
      driver: "node-sqlite",
      compiler: Statement.makeCompilerSqlite(),
      beginTransaction: "BEGIN IMMEDIATE",
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  })

/** The client as a layer (with the `Reactivity` it needs). */
export const layer = (config: SqliteClientConfig): Layer.Layer<SqlClient.SqlClient> =>
  Layer.effect(SqlClient.SqlClient, make(config)).pipe(Layer.provide(Reactivity.layer))

/** A `SqlError` classified from node:sqlite's error, which carries SQLite's code as `errcode`. */
const sqlError = (cause: unknown, message: string, operation: string): SqlError => {
  const withErrno = typeof cause === "object" && cause !== null && "errcode" in cause && !("errno" in cause)
    ? Object.assign(cause, { errno: (cause as { readonly errcode: unknown }).errcode })
    : cause
  return new SqlError({ reason: classifySqliteError(withErrno, { message, operation }) })
}
