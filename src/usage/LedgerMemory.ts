/**
 * The ledger in memory, for tests (`Ledger.layerMemory`): the same answers as the SQL layers
 * (the arithmetic is `LedgerTotals`), rows kept in an array. It can be made broken, to test how a
 * ledger that cannot write shows (`status`, `/health`): every write is then dropped and counted.
 */
import { Clock, Effect, Option } from "effect"
import { type Ledger, LedgerError, type LedgerStatus } from "./Ledger.ts"
import * as LedgerTotals from "./LedgerTotals.ts"
import type { RequestRecord } from "./RequestRecord.ts"

export interface MemoryOptions {
  /** Rows there from the start. */
  readonly rows?: ReadonlyArray<RequestRecord> | undefined
  /** Rows older than this many days are forgotten (default 90; 0: kept forever), checked at each call. */
  readonly retentionDays?: number | undefined
  /** When set, every write is dropped and every question fails, with this reason. */
  readonly broken?: string | undefined
}

export const make = (options: MemoryOptions = {}): Effect.Effect<Ledger["Service"]> =>
  Effect.sync(() => {
    const retentionDays = options.retentionDays ?? 90
    // Kept by id (a batch written twice is kept once, as the database's primary key does).
    const rows = new Map<string, RequestRecord>((options.rows ?? []).map((row) => [row.id, row]))
    let written = 0
    let dropped = 0
    const forgetOld = (now: number) => {
      const cutoff = LedgerTotals.retentionCutoff(now, retentionDays)
      if (cutoff === undefined) return
      for (const [id, row] of rows) if (row.startedAt < cutoff) rows.delete(id)
    }
    /** The rows now, after retention; or the failure of a broken ledger. */
    const current = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (options.broken !== undefined) return Effect.fail(new LedgerError({ message: options.broken }))
      forgetOld(now)
      return Effect.succeed({ now, all: [...rows.values()] })
    })
    return {
      write: (batch) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            if (options.broken !== undefined) {
              dropped += batch.length
              return
            }
            for (const row of batch) if (!rows.has(row.id)) rows.set(row.id, row)
            written += batch.length
            forgetOld(now)
          })),
      usage: (query) =>
        Effect.map(current, ({ all, now }) => {
          const until = query.until ?? now + 1
          return LedgerTotals.totalsOf(
            query.by,
            all.filter((row) =>
              row.startedAt >= query.since && row.startedAt < until && (query.keyId === undefined || row.keyId === query.keyId)
            )
          )
        }),
      requests: (query) =>
        Effect.map(current, ({ all }) =>
          all
            .filter((row) =>
              (query.before === undefined || row.startedAt < query.before) &&
              (query.keyId === undefined || row.keyId === query.keyId) &&
              (query.search === undefined || query.search === "" || LedgerTotals.matchesSearch(row, query.search))
            )
            .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
            .slice(0, LedgerTotals.clampLimit(query.limit))
        ),
      request: (id) => Effect.map(current, ({ all }) => Option.fromNullishOr(all.find((row) => row.id === id))),
      status: Effect.sync((): LedgerStatus => ({
        backend: "memory",
        location: "memory",
        ok: options.broken === undefined,
        lastError: options.broken ?? null,
        written,
        dropped,
        retentionDays
      }))
    }
  })
