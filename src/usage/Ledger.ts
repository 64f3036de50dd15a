/**
 * The usage ledger: one `RequestRecord` per request, kept in the database (`src/database/`:
 * SQLite at `$SWITCHBOARD_HOME/switchboard.db` by default, Postgres when
 * `SWITCHBOARD_DATABASE_URL` is set), and the questions the CLI, the admin API and the page ask
 * of it.
 *
 * Rows arrive in batches from `UsageRecorder`, off the request path. A write that fails (a full
 * disk, a database gone) never fails a request: the batch is dropped, counted, and the failure
 * shows in `status` (and so in `/health`) until a later write succeeds.
 */
import { Context, type Effect, Layer, type Option, Schema } from "effect"
import * as LedgerMemory from "./LedgerMemory.ts"
import type { RequestRecord } from "./RequestRecord.ts"

export class LedgerError extends Schema.TaggedError<LedgerError>()("LedgerError", {
  message: Schema.String
}) {}

/** What totals are grouped by. `day`/`hour` are UTC buckets (ISO date / ISO hour). */
export const GroupBy = Schema.Literals(["model", "provider", "key", "day", "hour", "client", "inbound_format"])
export type GroupBy = typeof GroupBy.Type

export const UsageQuery = Schema.Struct({
  /** Unix milliseconds, inclusive. */
  since: Schema.Number,
  /** Unix milliseconds, exclusive; default now. */
  until: Schema.optionalKey(Schema.Number),
  by: GroupBy,
  /** Only this gateway key's requests. */
  keyId: Schema.optionalKey(Schema.String)
})
export type UsageQuery = typeof UsageQuery.Type

export const UsageGroup = Schema.Struct({
  /** The group's value (a model id, a provider id, a key id, `2026-12-06`, …); null for "none" (no key, no provider reached). */
  group: Schema.NullOr(Schema.String),
  requests: Schema.Number,
  errors: Schema.Number,
  tokens: Schema.Struct({
    input: Schema.Number,
    output: Schema.Number,
    cachedRead: Schema.Number,
    cacheWrite: Schema.Number,
    reasoning: Schema.Number
  }),
  /** The sum of the known costs. */
  costUsd: Schema.Number,
  /** Requests whose price is unknown: when > 0, `costUsd` is a lower bound and is shown as such. */
  unpriced: Schema.Number,
  /** Total time, milliseconds: median and 95th percentile. */
  p50Ms: Schema.NullOr(Schema.Number),
  p95Ms: Schema.NullOr(Schema.Number),
  /** Time to first token, milliseconds, median. */
  ttftP50Ms: Schema.NullOr(Schema.Number)
})
export type UsageGroup = typeof UsageGroup.Type

export const RequestsQuery = Schema.Struct({
  limit: Schema.Number,
  /** Rows that started before this (Unix ms), for paging back. */
  before: Schema.optionalKey(Schema.Number),
  /** Case-insensitive match on id, model, requested model, virtual model, provider, client, error class. */
  search: Schema.optionalKey(Schema.String),
  keyId: Schema.optionalKey(Schema.String)
})
export type RequestsQuery = typeof RequestsQuery.Type

export const LedgerStatus = Schema.Struct({
  backend: Schema.Literals(["sqlite", "postgres", "memory"]),
  /** Where: the SQLite file, or the Postgres host/database (never a password). */
  location: Schema.String,
  ok: Schema.Boolean,
  /** The last write or migration failure, while it lasts. */
  lastError: Schema.NullOr(Schema.String),
  /** Rows written / dropped (a failed batch) since start. */
  written: Schema.Number,
  dropped: Schema.Number,
  retentionDays: Schema.Number
})
export type LedgerStatus = typeof LedgerStatus.Type

export class Ledger extends Context.Service<Ledger, {
  /** Keeps a batch. Never fails: a failure is counted and shows in `status`. */
  readonly write: (rows: ReadonlyArray<RequestRecord>) => Effect.Effect<void>
  readonly usage: (query: UsageQuery) => Effect.Effect<ReadonlyArray<UsageGroup>, LedgerError>
  /** Newest first. */
  readonly requests: (query: RequestsQuery) => Effect.Effect<ReadonlyArray<RequestRecord>, LedgerError>
  readonly request: (id: string) => Effect.Effect<Option.Option<RequestRecord>, LedgerError>
  readonly status: Effect.Effect<LedgerStatus>
}>()("switchboard/Ledger") {
  /**
   * For tests: rows in memory, answered as the database answers (`LedgerMemory.ts`). The live
   * layer is `LedgerSql.layerWith` (src/usage/LedgerSql.ts) over the `Database`, written by the
   * recording thread (`UsageRecorder.layerThread`).
   */
  static readonly layerMemory = (options?: LedgerMemory.MemoryOptions) => Layer.effect(Ledger, LedgerMemory.make(options))
}

