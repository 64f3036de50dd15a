/**
 * The `Ledger` service, one set of tests run against each of its layers: in memory
 * (`Ledger.layerMemory`), SQLite in a temporary folder and a real Postgres (a throw-away cluster,
 * test/support/Postgres.ts) through `LedgerSql`. Rows written are read back equal, unknown stays
 * unknown, totals are grouped by every `GroupBy` as `LedgerTotals` computes them, paging and search
 * work, retention deletes old rows, and a broken database fails no write but shows in `status`,
 * without the password.
 */
import { assert, describe, it } from "@effect/vitest"
import { beforeAll } from "vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { join } from "node:path"
import { Database } from "../../src/database/Database.ts"
import { GroupBy, Ledger } from "../../src/usage/Ledger.ts"
import * as LedgerSql from "../../src/usage/LedgerSql.ts"
import * as LedgerTotals from "../../src/usage/LedgerTotals.ts"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import { describePostgres, usePostgres } from "../support/Postgres.ts"
import { freePort } from "../support/SwitchboardProcess.ts"
import { tempDir } from "../support/TempDir.ts"
import { record } from "./LedgerRows.ts"

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0)
const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Rows over two days and a few hours, models, providers, keys, clients and formats, with unknowns. */
const rows: ReadonlyArray<RequestRecord> = [
  record({ id: "r1", startedAt: NOW - 2 * HOUR, keyId: "k1", durationMs: 100, ttftMs: 10, costUsd: 0.5 }),
  record({ id: "r2", startedAt: NOW - 2 * HOUR + 5, keyId: "k1", durationMs: 300, ttftMs: 30, stream: true, mode: "translated", inboundFormat: "anthropic", path: "/v1/messages", client: "claude-cli/2.0", costUsd: 0.25 }),
  record({ id: "r3", startedAt: NOW - HOUR, keyId: "k2", provider: "anthropic", model: "anthropic/claude-haiku", upstreamModel: "claude-haiku", durationMs: 200, ttftMs: null, tokens: { input: null, output: null, cachedRead: null, cacheWrite: null, reasoning: null }, costUsd: null, priceSource: "unknown" }),
  record({ id: "r4", startedAt: NOW - HOUR + 1, provider: "anthropic", model: "anthropic/claude-haiku", status: 429, outcome: "error", errorClass: "rate_limit_error", durationMs: 50, ttftMs: 50, tokens: { input: 12, output: 0, cachedRead: 8, cacheWrite: 4, reasoning: 0 }, costUsd: 0.125, priceSource: "override" }),
  record({ id: "r5", startedAt: NOW - DAY, provider: null, model: null, upstreamModel: null, mode: null, requestedModel: "no-such-model_100%", status: 404, outcome: "error", errorClass: "model_not_found", attempts: 0, durationMs: 2, ttftMs: 2, tokens: { input: null, output: null, cachedRead: null, cacheWrite: null, reasoning: null }, costUsd: null, priceSource: "unknown" }),
  record({ id: "r6", startedAt: NOW - DAY - 3 * HOUR, provider: "local", model: "local/qwen3", upstreamModel: "qwen3", mode: "local", client: null, virtualModel: "fast", durationMs: 1000, ttftMs: 400, tokens: { input: 30, output: 60, cachedRead: null, cacheWrite: null, reasoning: 20 }, costUsd: 0, priceSource: "local" }),
  record({ id: "r7", startedAt: NOW - 10, keyId: "k2", outcome: "client_closed", status: 200, stream: true, durationMs: 700, ttftMs: 100, costUsd: 0.5 })
]

const window = { since: NOW - 3 * DAY, until: NOW + 1 }

/** The tests every layer passes; `layer` makes a fresh, empty ledger per test (on the TestClock). */
const ledgerContract = (
  layer: (options?: { readonly retentionEvery?: Duration.Duration }) => Layer.Layer<Ledger, unknown>,
  options: { readonly sql: boolean }
) => {
  const withLedger = <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
    Effect.suspend(() => Effect.flatMap(Effect.service(Ledger), body).pipe(Effect.provide(layer())))

  it.effect("rows written are read back equal, newest first; unknown stays null", () =>
    withLedger((ledger) =>
      Effect.gen(function*() {
        yield* ledger.write(rows)
        const read = yield* ledger.requests({ limit: 100 })
        assert.deepStrictEqual(read, [...rows].sort((a, b) => b.startedAt - a.startedAt))
        assert.deepStrictEqual(yield* ledger.request("r3"), Option.some(rows[2]!))
        assert.isNull(Option.getOrThrow(yield* ledger.request("r3")).costUsd)
        assert.isNull(Option.getOrThrow(yield* ledger.request("r3")).tokens.input)
        assert.isTrue(Option.isNone(yield* ledger.request("nope")))
        const status = yield* ledger.status
        assert.isTrue(status.ok)
        assert.strictEqual(status.written, rows.length)
        assert.strictEqual(status.dropped, 0)
        assert.isNull(status.lastError)
      })), 60_000)

  it.effect("a batch written twice is kept once; an empty batch is nothing", () =>
    withLedger((ledger) =>
      Effect.gen(function*() {
        yield* ledger.write(rows.slice(0, 3))
        yield* ledger.write(rows.slice(0, 3))
        yield* ledger.write([])
        assert.strictEqual((yield* ledger.requests({ limit: 100 })).length, 3)
      })), 60_000)


  it.effect("a batch of any size is written whole, each row once (the SQL ledgers write it in statements of fixed sizes)", () =>
    withLedger((ledger) =>
      Effect.gen(function*() {
        // 64 + 64 + 32 + 16 + 8 + 4 + 2 + 1: every statement size, and the last row of each size distinct.
        const many = Array.from({ length: 191 }, (_, i) =>
          // Each numeric column a value of its own, so values put into the wrong column cannot pass.
          record({
            id: `m${String(i).padStart(3, "0")}`,
            startedAt: NOW - i,
            durationMs: i * 7 + 0.5,
            ttftMs: i * 3 + 0.25,
            attempts: (i % 3) + 1,
            status: i % 5 === 0 ? 429 : 200,
            tokens: { input: i * 11, output: i * 13, cachedRead: i % 2 === 0 ? i * 17 : null, cacheWrite: null, reasoning: i * 19 },
            costUsd: i % 4 === 0 ? null : i / 1000
          }))
        yield* ledger.write(many)
        const read = yield* ledger.requests({ limit: 500 })
        assert.deepStrictEqual(read, many)
        assert.strictEqual((yield* ledger.status).written, many.length)
      })), 60_000)
  it.effect("totals grouped by every GroupBy, as LedgerTotals computes them", () =>
    withLedger((ledger) =>
      Effect.gen(function*() {
        yield* ledger.write(rows)
        for (const by of GroupBy.literals) {
          assert.deepStrictEqual(yield* ledger.usage({ ...window, by }), LedgerTotals.totalsOf(by, rows), by)
        }
        // And by hand, for one grouping: unknowns skipped, unpriced counted, percentiles.
        const byModel = yield* ledger.usage({ ...window, by: "model" })
        const haiku = byModel.find((group) => group.group === "anthropic/claude-haiku")!
        assert.deepStrictEqual(haiku, {
          group: "anthropic/claude-haiku",
          requests: 2,
          errors: 1,
          tokens: { input: 12, output: 0, cachedRead: 8, cacheWrite: 4, reasoning: 0 },
          costUsd: 0.125,
          unpriced: 1,
          p50Ms: 125,
          p95Ms: 192.5,
          ttftP50Ms: 50
        })
        assert.deepStrictEqual(byModel.map((group) => group.group), ["openai/gpt-4o-mini", "anthropic/claude-haiku", "local/qwen3", null])
        const byDay = yield* ledger.usage({ ...window, by: "day" })
        assert.deepStrictEqual(byDay.map((group) => [group.group, group.requests]), [["2026-12-05", 2], ["2026-12-06", 5]])
      })), 60_000)

  it.effect("totals over a window and for one key", () =>
    withLedger((ledger) =>
      Effect.gen(function*() {
        yield* ledger.write(rows)
        const lastHours = yield* ledger.usage({ since: NOW - 2 * HOUR, until: NOW - 10, by: "provider" })
        assert.deepStrictEqual(lastHours.map((group) => [group.group, group.requests]), [["anthropic", 2], ["openai", 2]])
        const k2 = yield* ledger.usage({ ...window, by: "key", keyId: "k2" })
        assert.deepStrictEqual(k2.map((group) => [group.group, group.requests, group.costUsd, group.unpriced]), [["k2", 2, 0.5, 1]])
        assert.deepStrictEqual(yield* ledger.usage({ since: NOW + HOUR, until: NOW + 2 * HOUR, by: "model" }), [])
      })), 60_000)

  it.effect("requests: limit, paging back with before, search, one key", () =>
    withLedger((ledger) =>
      Effect.gen(function*() {
        yield* ledger.write(rows)
        const ids = (list: ReadonlyArray<RequestRecord>) => list.map((row) => row.id)
        const first = yield* ledger.requests({ limit: 3 })
        assert.deepStrictEqual(ids(first), ["r7", "r4", "r3"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 3, before: first.at(-1)!.startedAt })), ["r2", "r1", "r5"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, search: "HAIKU" })), ["r4", "r3"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, search: "rate_limit" })), ["r4"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, search: "claude-cli" })), ["r2"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, search: "fast" })), ["r6"])
        // LIKE's wildcards in a search are plain characters.
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, search: "l_100%" })), ["r5"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, search: "%" })), ["r5"])
        assert.deepStrictEqual(ids(yield* ledger.requests({ limit: 10, keyId: "k1" })), ["r2", "r1"])
        assert.deepStrictEqual(yield* ledger.requests({ limit: 0 }), [])
      })), 60_000)

  it.live("retention deletes rows older than it, at the start and then on its schedule", () =>
    Effect.suspend(() => {
      const now = Date.now()
      const recent = rows.map((row, i) => ({ ...row, startedAt: now - i * HOUR }))
      const old = [record({ id: "old", startedAt: now - 91 * DAY }), record({ id: "older", startedAt: now - 400 * DAY })]
      return Effect.gen(function*() {
        const ledger = yield* Ledger
        // Written after the start: only a later run can delete them (the SQL layers run every
        // 20 ms here; the memory layer applies retention at each call).
        yield* ledger.write([...old, ...recent])
        const ids = Effect.map(ledger.requests({ limit: 100 }), (list) => list.map((row) => row.id))
        let left = yield* ids
        for (let tries = 0; tries < 500 && left.includes("old"); tries++) {
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
          left = yield* ids
        }
        assert.deepStrictEqual([...left].sort(), recent.map((row) => row.id).sort())
        assert.isTrue((yield* ledger.status).ok)
      }).pipe(Effect.provide(layer({ retentionEvery: Duration.millis(20) })))
    }), 60_000)

  if (options.sql) {
    it.effect("questions wait for the migrations of a fresh database", () =>
      withLedger((ledger) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* ledger.requests({ limit: 10 }), [])
          assert.deepStrictEqual(yield* ledger.usage({ ...window, by: "model" }), [])
        })), 60_000)
  }
}

/** A ledger over a database that cannot be used: writes never fail, the status says why. */
const brokenContract = (layer: () => Layer.Layer<Ledger, unknown>, expected: { readonly reason: RegExp; readonly secret?: string }) =>
  it.effect("a broken database fails no write; status is not ok, says why, never the password", () =>
    Effect.suspend(() =>
      Effect.gen(function*() {
        const ledger = yield* Ledger
        yield* ledger.write(rows.slice(0, 2))
        yield* ledger.write(rows.slice(2, 3))
        const status = yield* ledger.status
        assert.isFalse(status.ok)
        assert.strictEqual(status.written, 0)
        assert.strictEqual(status.dropped, 3)
        assert.match(status.lastError ?? "", expected.reason)
        if (expected.secret !== undefined) {
          assert.notInclude(JSON.stringify(status), expected.secret)
          assert.notInclude(JSON.stringify(status), encodeURIComponent(expected.secret))
        }
        // Questions fail with a LedgerError, saying why too.
        const error = yield* Effect.flip(ledger.requests({ limit: 1 }))
        assert.strictEqual(error._tag, "LedgerError")
        if (expected.secret !== undefined) assert.notInclude(error.message, expected.secret)
        console.log(`broken ledger status: ${JSON.stringify(status)}`)
      }).pipe(Effect.provide(layer()))
    ), 60_000)

const sqlLedger = <E>(database: Layer.Layer<Database | SqlClient.SqlClient, E>, options: { readonly retentionEvery?: Duration.Duration } = {}) =>
  LedgerSql.layerWith({ retentionDays: 90, ...options }).pipe(Layer.provide(database))

describe("Ledger (memory)", () => {
  ledgerContract(() => Ledger.layerMemory({ retentionDays: 90 }), { sql: false })
  brokenContract(() => Ledger.layerMemory({ broken: "disk full" }), { reason: /disk full/ })
})

describe("Ledger (SQLite)", () => {
  ledgerContract((options) => sqlLedger(Database.layerSqlite(join(tempDir("switchboard-ledger-"), "switchboard.db")), options), { sql: true })
  brokenContract(() => sqlLedger(Database.layerSqlite(join(tempDir("switchboard-ledger-"), "missing", "switchboard.db"))), {
    reason: /unable to open database file/
  })

  it.effect("status names the file and the retention", () =>
    Effect.suspend(() => {
      const file = join(tempDir("switchboard-ledger-"), "switchboard.db")
      return Effect.gen(function*() {
        const status = yield* (yield* Ledger).status
        assert.deepStrictEqual(status, { backend: "sqlite", location: file, ok: true, lastError: null, written: 0, dropped: 0, retentionDays: 30 })
      }).pipe(Effect.provide(LedgerSql.layerWith({ retentionDays: 30 }).pipe(Layer.provide(Database.layerSqlite(file)))))
    }))
})

describePostgres("Ledger (Postgres)", () => {
  const pg = usePostgres()
  ledgerContract((options) => sqlLedger(Database.layerPostgres(Redacted.make(pg.freshDatabase())), options), { sql: true })

  const secret = "down-pass/+word"
  let port = 0
  beforeAll(async () => {
    port = await freePort()
  })
  brokenContract(
    () => sqlLedger(Database.layerPostgres(Redacted.make(`postgres://switchboard:${encodeURIComponent(secret)}@127.0.0.1:${port}/ledger`))),
    { reason: /ECONNREFUSED/, secret }
  )

  // Last in the file: it stops the cluster and starts it again.
  it.live("a Postgres that goes down and comes back: the batches meanwhile are dropped, then writing resumes", () =>
    Effect.suspend(() =>
      Effect.gen(function*() {
        const ledger = yield* Ledger
        yield* ledger.write(rows.slice(0, 2))
        assert.isTrue((yield* ledger.status).ok)
        yield* Effect.sync(() => pg.stop())
        yield* ledger.write(rows.slice(2, 3))
        const down = yield* ledger.status
        assert.isFalse(down.ok)
        assert.notInclude(JSON.stringify(down), pg.password)
        yield* Effect.sync(() => pg.start())
        // A pooled connection the restart broke may fail the first statement after it (that batch
        // would be dropped, as any while it was down): wait until the database answers again.
        for (let i = 0; i < 50; i++) {
          if ((yield* Effect.result(ledger.requests({ limit: 1 })))._tag === "Success") break
          yield* Effect.sleep("100 millis")
        }
        yield* ledger.write(rows.slice(3))
        const up = yield* ledger.status
        assert.deepStrictEqual([up.ok, up.lastError, up.written, up.dropped], [true, null, rows.length - 1, 1])
        assert.deepStrictEqual((yield* ledger.requests({ limit: 100 })).map((row) => row.id).sort(), ["r1", "r2", "r4", "r5", "r6", "r7"])
        console.log(`while Postgres was down: ${down.lastError}`)
      }).pipe(Effect.provide(sqlLedger(Database.layerPostgres(Redacted.make(pg.freshDatabase())))))
    ), 120_000)
})
