/**
 * Where the gateway keys' counters live: per key and window (`KeyLimits.WindowKind`) the requests,
 * tokens, dollars spent and dollars reserved by requests not settled yet. A port with two
 * implementations: the database (`layerSql`, the `key_usage` table of migration
 * 0002_key_usage, SQLite or Postgres — several gateways on one Postgres share the counters), and
 * memory (`layerMemory`, tests).
 *
 * `reserve` is the one step that must be atomic: checking that a request fits and counting it
 * are one conditional write per window, all in one transaction, so concurrent requests — from
 * one process or several on one database — can never together pass a limit each alone fits.
 */
import { Context, Effect, Layer, Schema } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { Database } from "../database/Database.ts"
import {
  type Counter,
  emptyCounter,
  type Estimate,
  type Exceeded,
  exceededIn,
  type KeyLimits,
  WINDOW_KINDS,
  type WindowKind,
  windowLimits,
  windowStart
} from "./KeyLimits.ts"

/** The counters could not be read or written (the database failing). */
export class BudgetStoreError extends Schema.TaggedError<BudgetStoreError>()("BudgetStoreError", {
  message: Schema.String
}) {}

/** What a request counted, where: what `settle` corrects once its real use is known. */
export interface Reservation {
  readonly keyId: string
  /** The windows it was counted in (their starts at the time it was admitted). */
  readonly windows: ReadonlyArray<{ readonly kind: WindowKind; readonly start: number }>
  readonly tokens: number
  readonly costUsd: number
}

export type ReserveOutcome =
  | { readonly _tag: "Reserved"; readonly reservation: Reservation }
  | { readonly _tag: "Refused"; readonly exceeded: Exceeded }

/** A key's counters in the windows holding a moment. */
export interface KeyUsage {
  readonly minute: Counter
  readonly day: Counter
  readonly month: Counter
}

/** What a request really used, in the end. */
export interface Actual {
  readonly tokens: number
  readonly costUsd: number
}

export class BudgetStore extends Context.Service<BudgetStore, {
  /** Counts `estimate` in every window of `at` if it fits `limits` in each, else counts nothing and says which limit. */
  readonly reserve: (keyId: string, limits: KeyLimits, estimate: Estimate, at: number) => Effect.Effect<ReserveOutcome, BudgetStoreError>
  /** Replaces a reservation's estimate by what the request used. */
  readonly settle: (reservation: Reservation, actual: Actual) => Effect.Effect<void, BudgetStoreError>
  /** The counters of the windows holding `at`, per key (keys without any are left out). */
  readonly usage: (at: number) => Effect.Effect<ReadonlyMap<string, KeyUsage>, BudgetStoreError>
  /** Forgets windows long over (minutes after an hour, days after 40 days, months after 400 days). */
  readonly prune: (at: number) => Effect.Effect<void, BudgetStoreError>
}>()("switchboard/BudgetStore") {
  static readonly layerMemory = Layer.sync(BudgetStore, () => makeMemory())
  /** Over the `Database` at hand (its migrations run before the first statement). */
  static readonly layerSql = Layer.effect(
    BudgetStore,
    Effect.suspend(() => Effect.map(Effect.all([SqlClient.SqlClient, Database]), ([sql, db]) => makeSql(sql, db)))
  )
}

const KEEP: Record<WindowKind, number> = { minute: 3_600_000, day: 40 * 86_400_000, month: 400 * 86_400_000 }

const windowsAt = (at: number) => WINDOW_KINDS.map((kind) => ({ kind, start: windowStart(kind, at) }))

const makeMemory = () => {
  const counters = new Map<string, Counter & { readonly keyId: string; readonly kind: WindowKind; readonly start: number }>()
  const slot = (keyId: string, kind: WindowKind, start: number) => `${keyId}\u0000${kind}\u0000${start}`
  const get = (keyId: string, kind: WindowKind, start: number) =>
    counters.get(slot(keyId, kind, start)) ?? { ...emptyCounter, keyId, kind, start }
  const add = (keyId: string, kind: WindowKind, start: number, delta: Counter) => {
    const counter = get(keyId, kind, start)
    counters.set(slot(keyId, kind, start), {
      ...counter,
      requests: counter.requests + delta.requests,
      tokens: counter.tokens + delta.tokens,
      spentUsd: counter.spentUsd + delta.spentUsd,
      reservedUsd: Math.max(0, counter.reservedUsd + delta.reservedUsd)
    })
  }
  return BudgetStore.of({
    // Synchronous, so atomic: no other fiber runs between the check and the count.
    reserve: (keyId, limits, estimate, at) =>
      Effect.sync((): ReserveOutcome => {
        const windows = windowsAt(at)
        for (const { kind, start } of windows) {
          const exceeded = exceededIn(kind, windowLimits(limits, kind, estimate.local), get(keyId, kind, start), estimate)
          if (exceeded !== undefined) return { _tag: "Refused", exceeded }
        }
        for (const { kind, start } of windows) {
          add(keyId, kind, start, { requests: 1, tokens: estimate.tokens, spentUsd: 0, reservedUsd: estimate.costUsd })
        }
        return { _tag: "Reserved", reservation: { keyId, windows, tokens: estimate.tokens, costUsd: estimate.costUsd } }
      }),
    settle: (reservation, actual) =>
      Effect.sync(() => {
        for (const { kind, start } of reservation.windows) {
          add(reservation.keyId, kind, start, {
            requests: 0,
            tokens: actual.tokens - reservation.tokens,
            spentUsd: actual.costUsd,
            reservedUsd: -reservation.costUsd
          })
        }
      }),
    usage: (at) =>
      Effect.sync(() => {
        const starts = new Map(windowsAt(at).map(({ kind, start }) => [kind, start]))
        const found = new Map<string, { minute: Counter; day: Counter; month: Counter }>()
        for (const counter of counters.values()) {
          if (starts.get(counter.kind) !== counter.start) continue
          const entry = found.get(counter.keyId) ?? { minute: emptyCounter, day: emptyCounter, month: emptyCounter }
          entry[counter.kind] = counter
          found.set(counter.keyId, entry)
        }
        return found
      }),
    prune: (at) =>
      Effect.sync(() => {
        for (const [name, counter] of counters) if (counter.start < at - KEEP[counter.kind]) counters.delete(name)
      })
  })
}

/** A refusal inside the transaction: failing it rolls the counts already made back. */
class Refused extends Schema.TaggedError<Refused>()("Refused", { exceeded: Schema.String }) {}

interface CounterRow {
  readonly key_id: string
  readonly window_kind: string
  readonly requests: unknown
  readonly tokens: unknown
  readonly spent_usd: unknown
  readonly reserved_usd: unknown
}

// Postgres answers BIGINT as text (it may not fit a double); these counts always do.
const counterOf = (row: CounterRow): Counter => ({
  requests: Number(row.requests),
  tokens: Number(row.tokens),
  spentUsd: Number(row.spent_usd),
  reservedUsd: Number(row.reserved_usd)
})

const isWindowKind = (kind: string): kind is WindowKind => (WINDOW_KINDS as ReadonlyArray<string>).includes(kind)

const makeSql = (sql: SqlClient.SqlClient, db: Database["Service"]) => {
  const failed = (error: SqlError | { readonly message: string }) =>
    new BudgetStoreError({ message: `the gateway keys' counters: ${db.describe(error)}` })
  /** Every operation runs the migrations first (once; again after a failure). */
  const ready = <A>(effect: Effect.Effect<A, BudgetStoreError>) =>
    Effect.flatMap(Effect.mapError(db.ready, failed), () => effect)

  /**
   * One window's conditional count: an upsert whose update only happens when the request fits
   * (the same rule as `exceededIn`, in SQL); no row back means it does not. A new row cannot break
   * a limit the request fits alone, which `reserve` checks before.
   */
  const countIn = (keyId: string, kind: WindowKind, start: number, limits: KeyLimits, estimate: Estimate) => {
    const caps = windowLimits(limits, kind, estimate.local)
    const conditions = [
      sql`1 = 1`,
      ...(caps.requests === null ? [] : [sql`key_usage.requests + 1 <= ${caps.requests}`]),
      ...(caps.tokens === null ? [] : [sql`(key_usage.tokens = 0 OR key_usage.tokens + ${estimate.tokens} <= ${caps.tokens})`]),
      ...(caps.usd === null ? [] : [
        sql`key_usage.spent_usd + key_usage.reserved_usd < ${caps.usd}`,
        sql`key_usage.spent_usd + key_usage.reserved_usd + ${estimate.costUsd} <= ${caps.usd}`
      ])
    ]
    return sql<{ readonly requests: unknown }>`
      INSERT INTO key_usage (key_id, window_kind, window_start, requests, tokens, spent_usd, reserved_usd)
      VALUES (${keyId}, ${kind}, ${start}, 1, ${estimate.tokens}, 0, ${estimate.costUsd})
      ON CONFLICT (key_id, window_kind, window_start) DO UPDATE SET
        requests = key_usage.requests + 1,
        tokens = key_usage.tokens + ${estimate.tokens},
        reserved_usd = key_usage.reserved_usd + ${estimate.costUsd}
      WHERE ${sql.and(conditions)}
      RETURNING requests`
  }

  /** Which limit a window's counter breaks, read after its conditional count refused. */
  const whyRefused = (keyId: string, kind: WindowKind, start: number, limits: KeyLimits, estimate: Estimate) =>
    Effect.map(
      sql<CounterRow>`SELECT * FROM key_usage WHERE key_id = ${keyId} AND window_kind = ${kind} AND window_start = ${start}`,
      (rows): Exceeded => {
        const caps = windowLimits(limits, kind, estimate.local)
        const said = exceededIn(kind, caps, rows[0] === undefined ? emptyCounter : counterOf(rows[0]), estimate)
        // Refused by the database, so some limit of this window is set; name the first.
        return said ?? (caps.requests !== null ? "rpm" : caps.tokens !== null ? "tpm" : kind === "month" ? "budget_month" : "budget_day")
      }
    )

  return BudgetStore.of({
    reserve: (keyId, limits, estimate, at) => {
      const windows = windowsAt(at)
      // A request over a whole limit on its own never fits, however empty the window.
      for (const { kind } of windows) {
        const exceeded = exceededIn(kind, windowLimits(limits, kind, estimate.local), emptyCounter, estimate)
        if (exceeded !== undefined) return Effect.succeed<ReserveOutcome>({ _tag: "Refused", exceeded })
      }
      // One transaction, windows always in the same order (minute, day, month): concurrent
      // reservations of one key lock the rows in one order and cannot deadlock.
      return ready(sql.withTransaction(Effect.forEach(windows, ({ kind, start }) =>
        Effect.flatMap(countIn(keyId, kind, start, limits, estimate), (rows) =>
          rows.length > 0
            ? Effect.void
            : Effect.flatMap(whyRefused(keyId, kind, start, limits, estimate), (exceeded) => Effect.fail(new Refused({ exceeded }))))
      , { discard: true })).pipe(
        Effect.as<ReserveOutcome>({ _tag: "Reserved", reservation: { keyId, windows, tokens: estimate.tokens, costUsd: estimate.costUsd } }),
        Effect.catchTag("Refused", (refused) => Effect.succeed<ReserveOutcome>({ _tag: "Refused", exceeded: refused.exceeded as Exceeded })),
        Effect.mapError(failed)
      ))
    },
    settle: (reservation, actual) =>
      ready(sql.withTransaction(Effect.forEach(reservation.windows, ({ kind, start }) =>
        sql`UPDATE key_usage SET
          tokens = tokens + ${actual.tokens - reservation.tokens},
          spent_usd = spent_usd + ${actual.costUsd},
          reserved_usd = CASE WHEN reserved_usd > ${reservation.costUsd} THEN reserved_usd - ${reservation.costUsd} ELSE 0 END
          WHERE key_id = ${reservation.keyId} AND window_kind = ${kind} AND window_start = ${start}`, { discard: true })).pipe(
        Effect.mapError(failed)
      )),
    usage: (at) => {
      const [minute, day, month] = windowsAt(at)
      return ready(sql<CounterRow>`SELECT * FROM key_usage WHERE
          (window_kind = 'minute' AND window_start = ${minute!.start})
          OR (window_kind = 'day' AND window_start = ${day!.start})
          OR (window_kind = 'month' AND window_start = ${month!.start})`.pipe(
        Effect.map((rows) => {
          const found = new Map<string, { minute: Counter; day: Counter; month: Counter }>()
          for (const row of rows) {
            if (!isWindowKind(row.window_kind)) continue
            const entry = found.get(row.key_id) ?? { minute: emptyCounter, day: emptyCounter, month: emptyCounter }
            entry[row.window_kind] = counterOf(row)
            found.set(row.key_id, entry)
          }
          return found as ReadonlyMap<string, KeyUsage>
        }),
        Effect.mapError(failed)
      ))
    },
    prune: (at) =>
      ready(sql`DELETE FROM key_usage WHERE
          (window_kind = 'minute' AND window_start < ${at - KEEP.minute})
          OR (window_kind = 'day' AND window_start < ${at - KEEP.day})
          OR (window_kind = 'month' AND window_start < ${at - KEEP.month})`.pipe(Effect.asVoid, Effect.mapError(failed)))
  })
}
