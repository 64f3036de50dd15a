/**
 * The live `ResponseStore`: the `stored_responses` table of the `Database` (SQLite or Postgres,
 * migration 0005), through `effect/sql`. Input items and response are JSON text, decoded back with
 * Schema. Retention is the ledger's: a row past it is never returned, and rows past it are deleted
 * when the layer starts and every hour after, by a fiber of the layer's scope (as `LedgerSql` does;
 * with several instances on one Postgres each does it, and deleting what another deleted is nothing).
 */
import { Cause, Clock, Duration, Effect, Layer, Option, Schedule, Schema } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { Database } from "../database/Database.ts"
import { retentionCutoff } from "../usage/LedgerTotals.ts"
import { type Json, ResponseStore, ResponseStoreError, type StoredResponse } from "./ResponseStore.ts"

export interface SqlOptions {
  /** Days a response is kept; 0: forever. */
  readonly retentionDays: number
  /** How often retention runs after the start (default an hour; tests make it short). */
  readonly retentionEvery?: Duration.Duration | undefined
}

const JsonObject = Schema.Record(Schema.String, Schema.Unknown)

/** A row as the SELECT below reads it; the JSON columns parsed and checked to be what was stored. */
const StoredRow = Schema.Struct({
  id: Schema.String,
  key_id: Schema.NullOr(Schema.String),
  created_at: Schema.Number,
  input: Schema.fromJsonString(Schema.Array(JsonObject)),
  response: Schema.fromJsonString(JsonObject)
})
const decodeRows = Schema.decodeUnknownEffect(Schema.Array(StoredRow))

/** The store over the `Database` at hand; retention in a fiber of the scope. */
const make = (options: SqlOptions) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const database = yield* Database
    const failed = (cause: unknown) => new ResponseStoreError({ message: database.describe(cause) })
    const run = <A, E, R>(statement: Effect.Effect<A, E, R>) =>
      Effect.andThen(database.ready, statement).pipe(Effect.mapError(failed))
    /** `key_id` equal to `keyId`: `IS NULL` for none (a parameter of unknown type does not compare to NULL in either dialect). */
    const ownedBy = (keyId: string | null) => keyId === null ? sql`key_id IS NULL` : sql`key_id = ${keyId}`
    /** Rows created before this are past retention (`-Infinity`-like when kept forever). */
    const cutoffNow = Effect.map(Clock.currentTimeMillis, (now) => retentionCutoff(now, options.retentionDays) ?? -1)

    const housekeeping = Effect.gen(function*() {
      const cutoff = retentionCutoff(yield* Clock.currentTimeMillis, options.retentionDays)
      if (cutoff === undefined) return
      yield* run(sql`DELETE FROM stored_responses WHERE created_at < ${cutoff}`)
    }).pipe(Effect.catchCause((cause) => Effect.logWarning(`stored responses' retention failed: ${Cause.pretty(cause)}`)))
    yield* Effect.forkScoped(Effect.repeat(housekeeping, Schedule.spaced(options.retentionEvery ?? Duration.hours(1))))

    const service: ResponseStore["Service"] = {
      put: (stored) =>
        // The upsert both dialects speak: stored again by the same key (the same id), the row is replaced;
        // another key's row is left alone (`ResponseStore.put`).
        run(sql`INSERT INTO stored_responses (id, key_id, created_at, input, response)
            VALUES (${stored.id}, ${stored.keyId}, ${stored.createdAt}, ${JSON.stringify(stored.input)}, ${JSON.stringify(stored.response)})
            ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, input = excluded.input, response = excluded.response
            WHERE stored_responses.key_id IS NOT DISTINCT FROM excluded.key_id`).pipe(Effect.asVoid),
      get: (id, keyId) =>
        Effect.gen(function*() {
          const cutoff = yield* cutoffNow
          const rows = yield* run(sql`SELECT id, key_id, CAST(created_at AS DOUBLE PRECISION) AS created_at, input, response
            FROM stored_responses WHERE id = ${id} AND ${ownedBy(keyId)} AND created_at >= ${cutoff}`)
          const [row] = yield* decodeRows(rows).pipe(Effect.mapError(failed))
          return row === undefined ? Option.none<StoredResponse>() : Option.some<StoredResponse>({
            id: row.id,
            keyId: row.key_id,
            createdAt: row.created_at,
            input: row.input as ReadonlyArray<Json>,
            response: row.response as Json
          })
        }),
      delete: (id, keyId) =>
        Effect.gen(function*() {
          const cutoff = yield* cutoffNow
          const rows = yield* run(sql`DELETE FROM stored_responses WHERE id = ${id} AND ${ownedBy(keyId)} AND created_at >= ${cutoff} RETURNING id`)
          return rows.length > 0
        })
    }
    return service
  })

/** The live store with the given retention, over the `Database` and its `SqlClient`. */
export const layerWith = (options: SqlOptions): Layer.Layer<ResponseStore, never, Database | SqlClient.SqlClient> =>
  Layer.effect(ResponseStore, make(options))
