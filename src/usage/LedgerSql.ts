/**
 * The live ledger: `RequestRecord`s in the `requests` table of the `Database` (SQLite or
 * Postgres, src/database/), through `effect/sql`.
 *
 * - `write`: a batch is one transaction of multi-row inserts (`ON CONFLICT DO NOTHING`: a batch
 *   written twice is kept once). It never fails: a failure drops the batch, counts it, and shows
 *   in `status` until a later write succeeds (logged once when it starts, once when it ends).
 * - `usage`: totals grouped in SQL; the percentiles by Postgres's `percentile_cont`, or for SQLite
 *   (which has none) from the group's durations, fetched, with the same definition
 *   (`LedgerTotals.percentile`). Groups are ordered alike everywhere (`LedgerTotals.orderGroups`).
 * - Retention: rows older than `SWITCHBOARD_RETENTION_DAYS` are deleted when the layer starts and
 *   every hour after, by a fiber of the layer's scope (with several instances on one Postgres,
 *   each does it; deleting what another already deleted is nothing).
 *
 * Numbers are read back as DOUBLE PRECISION (`CAST` in the SELECTs): Postgres hands BIGINT and
 * SUM results to the driver as strings or bigints, SQLite as numbers; casting gives JS numbers
 * from both, decoded with one Schema.
 */
import { Cause, Clock, Duration, Effect, Layer, Option, Schedule, Schema } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { Fragment } from "effect/sql/Statement"
import { Database } from "../database/Database.ts"
import { type GroupBy, Ledger, LedgerError, type LedgerStatus, type RequestsQuery, type UsageGroup, type UsageQuery } from "./Ledger.ts"
import * as LedgerTotals from "./LedgerTotals.ts"
import { Mode, Outcome, PriceSource, type RequestRecord } from "./RequestRecord.ts"

export interface SqlOptions {
  /** Days a row is kept; 0: forever. */
  readonly retentionDays: number
  /** How often retention runs after the start (default an hour; tests make it short). */
  readonly retentionEvery?: Duration.Duration | undefined
  /**
   * Whether this ledger deletes the rows past retention (default yes). Not the serving thread's
   * when the recording thread writes (`UsageRecorder.layerThread`): one deleter, on the thread
   * that writes, so the serving thread never waits on SQLite's lock for it.
   */
  readonly retain?: boolean | undefined
}

/** The table's columns, in the order `paramsOf` gives a record's values. */
const COLUMNS = [
  "id", "started_at", "key_id", "client", "inbound_format", "path", "requested_model", "virtual_model",
  "provider", "model", "upstream_model", "mode", "stream", "status", "outcome", "error_class", "attempts",
  "ttft_ms", "duration_ms", "input_tokens", "output_tokens", "cached_read_tokens", "cache_write_tokens",
  "reasoning_tokens", "cost_usd", "price_source"
] as const

/** Appends one record's values to `params`, in `COLUMNS`' order: tokens and cost NULL when unknown, `stream` 0/1. */
const paramsOf = (record: RequestRecord, params: Array<unknown>): void => {
  const tokens = record.tokens
  params.push(
    record.id, record.startedAt, record.keyId, record.client, record.inboundFormat, record.path,
    record.requestedModel, record.virtualModel, record.provider, record.model, record.upstreamModel,
    record.mode, record.stream ? 1 : 0, record.status, record.outcome, record.errorClass, record.attempts,
    record.ttftMs, record.durationMs, tokens.input, tokens.output, tokens.cachedRead, tokens.cacheWrite,
    tokens.reasoning, record.costUsd, record.priceSource
  )
}

/**
 * Rows per INSERT statement, largest first: a batch is written as statements of these sizes only
 * (1,250 rows: 19 × 64, then 32 + 2), so the database prepares at most seven statements once and
 * reuses them. Why: building and preparing a statement for each batch's own row count cost as much
 * as writing the rows (measured, ~6 µs a row of ~12); 64 rows of 26 parameters stay far below
 * SQLite's and Postgres's parameter limits.
 */
const INSERT_SIZES = [64, 32, 16, 8, 4, 2, 1] as const

/** `INSERT … VALUES (…), …` of `rows` rows, placeholders as the dialect writes them (`?`, `$1`). */
const insertText = (rows: number, postgres: boolean): string => {
  let next = 1
  const placeholder = postgres ? () => `$${next++}` : () => "?"
  const values = Array.from({ length: rows }, () => `(${COLUMNS.map(placeholder).join(", ")})`)
  return `INSERT INTO requests (${COLUMNS.join(", ")}) VALUES ${values.join(", ")} ON CONFLICT (id) DO NOTHING`
}

const NullableNumber = Schema.NullOr(Schema.Number)
const NullableString = Schema.NullOr(Schema.String)

/** A row as the SELECT below reads it. */
const StoredRequest = Schema.Struct({
  id: Schema.String,
  started_at: Schema.Number,
  key_id: NullableString,
  client: NullableString,
  inbound_format: Schema.String,
  path: Schema.String,
  requested_model: NullableString,
  virtual_model: NullableString,
  provider: NullableString,
  model: NullableString,
  upstream_model: NullableString,
  mode: Schema.NullOr(Mode),
  stream: Schema.Number,
  status: Schema.Number,
  outcome: Outcome,
  error_class: NullableString,
  attempts: Schema.Number,
  ttft_ms: NullableNumber,
  duration_ms: Schema.Number,
  input_tokens: NullableNumber,
  output_tokens: NullableNumber,
  cached_read_tokens: NullableNumber,
  cache_write_tokens: NullableNumber,
  reasoning_tokens: NullableNumber,
  cost_usd: NullableNumber,
  price_source: PriceSource
})

const fromRow = (row: typeof StoredRequest.Type): RequestRecord => ({
  id: row.id,
  startedAt: row.started_at,
  keyId: row.key_id,
  client: row.client,
  inboundFormat: row.inbound_format,
  path: row.path,
  requestedModel: row.requested_model,
  virtualModel: row.virtual_model,
  provider: row.provider,
  model: row.model,
  upstreamModel: row.upstream_model,
  mode: row.mode,
  stream: row.stream !== 0,
  status: row.status,
  outcome: row.outcome,
  errorClass: row.error_class,
  attempts: row.attempts,
  ttftMs: row.ttft_ms,
  durationMs: row.duration_ms,
  tokens: {
    input: row.input_tokens,
    output: row.output_tokens,
    cachedRead: row.cached_read_tokens,
    cacheWrite: row.cache_write_tokens,
    reasoning: row.reasoning_tokens
  },
  costUsd: row.cost_usd,
  priceSource: row.price_source
})

/** Totals of one group as the SELECT below reads them (percentiles only from Postgres). */
const StoredTotals = Schema.Struct({
  grp: NullableString,
  requests: Schema.Number,
  errors: Schema.Number,
  input: NullableNumber,
  output: NullableNumber,
  cached_read: NullableNumber,
  cache_write: NullableNumber,
  reasoning: NullableNumber,
  cost: NullableNumber,
  unpriced: Schema.Number,
  p50: Schema.optionalKey(NullableNumber),
  p95: Schema.optionalKey(NullableNumber),
  ttft_p50: Schema.optionalKey(NullableNumber)
})

const StoredDuration = Schema.Struct({ grp: NullableString, duration_ms: Schema.Number, ttft_ms: NullableNumber })

const decodeRequests = Schema.decodeUnknownEffect(Schema.Array(StoredRequest))
const decodeTotals = Schema.decodeUnknownEffect(Schema.Array(StoredTotals))
const decodeDurations = Schema.decodeUnknownEffect(Schema.Array(StoredDuration))

/** The selected columns, numbers cast to DOUBLE PRECISION (see the module comment). */
const requestColumns = `id, CAST(started_at AS DOUBLE PRECISION) AS started_at, key_id, client, inbound_format, path,
  requested_model, virtual_model, provider, model, upstream_model, mode, CAST(stream AS DOUBLE PRECISION) AS stream,
  CAST(status AS DOUBLE PRECISION) AS status, outcome, error_class, CAST(attempts AS DOUBLE PRECISION) AS attempts,
  ttft_ms, duration_ms,
  CAST(input_tokens AS DOUBLE PRECISION) AS input_tokens, CAST(output_tokens AS DOUBLE PRECISION) AS output_tokens,
  CAST(cached_read_tokens AS DOUBLE PRECISION) AS cached_read_tokens, CAST(cache_write_tokens AS DOUBLE PRECISION) AS cache_write_tokens,
  CAST(reasoning_tokens AS DOUBLE PRECISION) AS reasoning_tokens, cost_usd, price_source`

/** The SQL of a group's value, per dialect: both give what `LedgerTotals.groupOf` gives. */
const groupExpression = (by: GroupBy, postgres: boolean): string => {
  switch (by) {
    case "model":
      return "model"
    case "provider":
      return "provider"
    case "key":
      return "key_id"
    case "client":
      return "client"
    case "inbound_format":
      return "inbound_format"
    case "day":
      return postgres
        ? `to_char(to_timestamp(started_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
        : `strftime('%Y-%m-%d', started_at / 1000, 'unixepoch')`
    case "hour":
      return postgres
        ? `to_char(to_timestamp(started_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"')`
        : `strftime('%Y-%m-%dT%H:00:00Z', started_at / 1000, 'unixepoch')`
  }
}

/** `%needle%` for LIKE, its own `%`, `_` and `\` escaped (with `ESCAPE '\'`). */
const likePattern = (search: string) => `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

const searchedColumns = ["id", "model", "requested_model", "virtual_model", "provider", "client", "error_class"] as const

/** The live ledger over the `Database` at hand; retention in a fiber of the scope. */
export const make = (options: SqlOptions) =>
  Effect.gen(function*() {
    const db = yield* Database
    const sql = yield* SqlClient.SqlClient
    const postgres = db.dialect === "postgres"

    let written = 0
    let dropped = 0
    let lastError: string | null = null
    /** Remembers a failure for `status` (`what` says what was not done), logged when it starts. */
    const failed = (what: string | undefined) => (error: unknown) =>
      Effect.suspend(() => {
        const reason = db.describe(error)
        const message = what === undefined ? reason : `${what}: ${reason}`
        const first = lastError === null
        lastError = message
        return first ? Effect.logWarning(`usage ledger (${db.location}): ${message}`) : Effect.void
      })
    const recovered = Effect.suspend(() => {
      if (lastError === null) return Effect.void
      lastError = null
      return Effect.logInfo(`usage ledger (${db.location}): writing again`)
    })
    const queryError = (error: unknown) => new LedgerError({ message: db.describe(error) })
    /** Questions wait for the migrations; a database not ready is a `LedgerError`. */
    const asking = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.mapError(Effect.andThen(db.ready, effect), queryError)

    const insertTexts = new Map(INSERT_SIZES.map((size) => [size, insertText(size, postgres)]))
    const insert = (rows: ReadonlyArray<RequestRecord>) =>
      Effect.gen(function*() {
        let start = 0
        for (const size of INSERT_SIZES) {
          while (rows.length - start >= size) {
            const params: Array<unknown> = []
            for (let i = start; i < start + size; i++) paramsOf(rows[i]!, params)
            yield* sql.unsafe(insertTexts.get(size)!, params)
            start += size
          }
        }
      })

    const write = (rows: ReadonlyArray<RequestRecord>): Effect.Effect<void> =>
      rows.length === 0 ? Effect.void : Effect.andThen(db.ready, sql.withTransaction(insert(rows))).pipe(
        Effect.matchCauseEffect({
          // Interrupted (the server stopping) is not a database failure: it stays an interruption.
          onFailure: (cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : Effect.andThen(
              Effect.sync(() => dropped += rows.length),
              failed(`${rows.length === 1 ? "1 row" : `${rows.length} rows`} not written`)(Cause.squash(cause))
            ),
          onSuccess: () => Effect.andThen(Effect.sync(() => written += rows.length), recovered)
        })
      )

    const where = (conditions: ReadonlyArray<Fragment>) => conditions.length === 0 ? sql`` : sql`WHERE ${sql.and(conditions)}`

    const usage = (query: UsageQuery) =>
      asking(Effect.gen(function*() {
        const until = query.until ?? (yield* Clock.currentTimeMillis) + 1
        const group = sql.unsafe(groupExpression(query.by, postgres))
        const filter = where([
          sql`started_at >= ${query.since}`,
          sql`started_at < ${until}`,
          ...(query.keyId === undefined ? [] : [sql`key_id = ${query.keyId}`])
        ])
        const percentiles = postgres
          ? sql`, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p50`
          : sql``
        const totals = yield* decodeTotals(
          yield* sql`SELECT ${group} AS grp,
            CAST(COUNT(*) AS DOUBLE PRECISION) AS requests,
            CAST(SUM(CASE WHEN outcome = 'error' THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS errors,
            CAST(SUM(input_tokens) AS DOUBLE PRECISION) AS input,
            CAST(SUM(output_tokens) AS DOUBLE PRECISION) AS output,
            CAST(SUM(cached_read_tokens) AS DOUBLE PRECISION) AS cached_read,
            CAST(SUM(cache_write_tokens) AS DOUBLE PRECISION) AS cache_write,
            CAST(SUM(reasoning_tokens) AS DOUBLE PRECISION) AS reasoning,
            CAST(SUM(cost_usd) AS DOUBLE PRECISION) AS cost,
            CAST(SUM(CASE WHEN price_source = 'unknown' THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS unpriced
            ${percentiles}
            FROM requests ${filter} GROUP BY 1`
        )
        // SQLite has no percentile function: the durations of each group, sorted by the database.
        const durations = new Map<string | null, { durations: Array<number>; ttfts: Array<number> }>()
        if (!postgres) {
          const rows = yield* decodeDurations(
            yield* sql`SELECT ${group} AS grp, duration_ms, ttft_ms FROM requests ${filter} ORDER BY duration_ms`
          )
          for (const row of rows) {
            const entry = durations.get(row.grp) ?? { durations: [], ttfts: [] }
            entry.durations.push(row.duration_ms)
            if (row.ttft_ms !== null) entry.ttfts.push(row.ttft_ms)
            durations.set(row.grp, entry)
          }
        }
        const groups = totals.map((row): UsageGroup => {
          const measured = durations.get(row.grp)
          return {
            group: row.grp,
            requests: row.requests,
            errors: row.errors,
            tokens: {
              input: row.input ?? 0,
              output: row.output ?? 0,
              cachedRead: row.cached_read ?? 0,
              cacheWrite: row.cache_write ?? 0,
              reasoning: row.reasoning ?? 0
            },
            costUsd: row.cost ?? 0,
            unpriced: row.unpriced,
            p50Ms: postgres ? row.p50 ?? null : LedgerTotals.percentile(measured?.durations ?? [], 0.5),
            p95Ms: postgres ? row.p95 ?? null : LedgerTotals.percentile(measured?.durations ?? [], 0.95),
            ttftP50Ms: postgres
              ? row.ttft_p50 ?? null
              : LedgerTotals.percentile([...(measured?.ttfts ?? [])].sort((a, b) => a - b), 0.5)
          }
        })
        return LedgerTotals.orderGroups(query.by, groups)
      }))

    const requests = (query: RequestsQuery) =>
      asking(Effect.gen(function*() {
        const limit = LedgerTotals.clampLimit(query.limit)
        if (limit === 0) return []
        const conditions: Array<Fragment> = []
        if (query.before !== undefined) conditions.push(sql`started_at < ${query.before}`)
        if (query.keyId !== undefined) conditions.push(sql`key_id = ${query.keyId}`)
        if (query.search !== undefined && query.search !== "") {
          const pattern = likePattern(query.search)
          conditions.push(sql.or(searchedColumns.map((column) => sql`LOWER(${sql(column)}) LIKE ${pattern} ESCAPE '\\'`)))
        }
        const rows = yield* decodeRequests(
          yield* sql`SELECT ${sql.unsafe(requestColumns)} FROM requests ${where(conditions)}
            ORDER BY started_at DESC, id DESC LIMIT ${limit}`
        )
        return rows.map(fromRow)
      }))

    const request = (id: string) =>
      asking(Effect.gen(function*() {
        const rows = yield* decodeRequests(yield* sql`SELECT ${sql.unsafe(requestColumns)} FROM requests WHERE id = ${id}`)
        return Option.map(Option.fromNullishOr(rows[0]), fromRow)
      }))

    /**
     * Deletes the rows past retention. A database that cannot be opened or migrated, or a failed
     * delete, shows in `status` like a failed write.
     */
    const retain = Effect.gen(function*() {
      const cutoff = LedgerTotals.retentionCutoff(yield* Clock.currentTimeMillis, options.retentionDays)
      if (cutoff !== undefined) {
        yield* sql`DELETE FROM requests WHERE started_at < ${cutoff}`.pipe(Effect.catchCause((cause) => failed("retention")(Cause.squash(cause))))
      }
    })
    const housekeeping = db.ready.pipe(
      Effect.matchEffect({ onFailure: failed(undefined), onSuccess: () => options.retain === false ? Effect.void : retain })
    )

    // At the start (which also runs the migrations early, so a broken database shows in `status`
    // before the first write), then every hour.
    yield* Effect.forkScoped(Effect.repeat(housekeeping, Schedule.spaced(options.retentionEvery ?? Duration.hours(1))))

    const service: Ledger["Service"] = {
      write,
      usage,
      requests,
      request,
      status: Effect.sync((): LedgerStatus => ({
        backend: db.dialect,
        location: db.location,
        ok: lastError === null,
        lastError,
        written,
        dropped,
        retentionDays: options.retentionDays
      }))
    }
    return service
  })

/** The live ledger with the given retention, over the `Database` and its `SqlClient`. */
export const layerWith = (options: SqlOptions): Layer.Layer<Ledger, never, Database | SqlClient.SqlClient> =>
  Layer.effect(Ledger, make(options))
