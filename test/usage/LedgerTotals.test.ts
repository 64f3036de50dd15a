/**
 * The ledger's arithmetic (src/usage/LedgerTotals.ts), as tables: percentiles as Postgres's
 * `percentile_cont` computes them, UTC buckets, the order groups are listed in, searches, limits,
 * the retention cut-off, and totals where unknown stays unknown.
 */
import { assert, describe, it } from "@effect/vitest"
import * as LedgerTotals from "../../src/usage/LedgerTotals.ts"
import { record } from "./LedgerRows.ts"

describe("LedgerTotals", () => {
  it("percentile interpolates between ranks like percentile_cont", () => {
    const table: ReadonlyArray<readonly [ReadonlyArray<number>, number, number | null]> = [
      [[], 0.5, null],
      [[7], 0.5, 7],
      [[7], 0.95, 7],
      [[1, 2], 0.5, 1.5],
      [[1, 2, 3], 0.5, 2],
      [[10, 20, 30, 40], 0.5, 25],
      [[0, 100], 0.95, 95],
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.95, 10.5],
      [[5, 5, 5], 0.95, 5]
    ]
    for (const [values, p, expected] of table) assert.strictEqual(LedgerTotals.percentile(values, p), expected, `${p} of [${values}]`)
  })

  it("buckets are UTC days and hours", () => {
    const at = Date.UTC(2026, 11, 6, 23, 59, 59, 999)
    assert.strictEqual(LedgerTotals.bucketOf("day", at), "2026-12-06")
    assert.strictEqual(LedgerTotals.bucketOf("hour", at), "2026-12-06T23:00:00Z")
    assert.strictEqual(LedgerTotals.bucketOf("day", at + 1), "2026-12-07")
    assert.strictEqual(LedgerTotals.bucketOf("hour", 0), "1970-01-01T00:00:00Z")
  })

  it("groups a row by each GroupBy, null for none", () => {
    const row = record({ id: "a", startedAt: Date.UTC(2026, 0, 2, 3, 4), keyId: null, provider: "openai", model: "openai/gpt", client: "curl/8", inboundFormat: "anthropic" })
    const table = [
      ["model", "openai/gpt"],
      ["provider", "openai"],
      ["key", null],
      ["client", "curl/8"],
      ["inbound_format", "anthropic"],
      ["day", "2026-01-02"],
      ["hour", "2026-01-02T03:00:00Z"]
    ] as const
    for (const [by, expected] of table) assert.strictEqual(LedgerTotals.groupOf(by, row), expected, by)
  })

  it("orders time buckets oldest first, anything else busiest first then by name, none last", () => {
    const totals = LedgerTotals.totalsOf("provider", [
      record({ id: "1", provider: "b" }),
      record({ id: "2", provider: null }),
      record({ id: "3", provider: "a" }),
      record({ id: "4", provider: "c" }),
      record({ id: "5", provider: "c" })
    ])
    assert.deepStrictEqual(totals.map((group) => group.group), ["c", "a", "b", null])
    const days = LedgerTotals.totalsOf("day", [
      record({ id: "1", startedAt: Date.UTC(2026, 0, 3) }),
      record({ id: "2", startedAt: Date.UTC(2026, 0, 1) }),
      record({ id: "3", startedAt: Date.UTC(2026, 0, 3, 5) })
    ])
    assert.deepStrictEqual(days.map((group) => [group.group, group.requests]), [["2026-01-01", 1], ["2026-01-03", 2]])
  })

  it("totals skip unknown tokens and prices, count unpriced rows and errors", () => {
    const [group] = LedgerTotals.totalsOf("model", [
      record({ id: "1", durationMs: 100, ttftMs: 10, tokens: { input: 10, output: 5, cachedRead: null, cacheWrite: null, reasoning: null }, costUsd: 0.5, priceSource: "table" }),
      record({ id: "2", durationMs: 300, ttftMs: null, tokens: { input: null, output: 7, cachedRead: 4, cacheWrite: null, reasoning: 2 }, costUsd: null, priceSource: "unknown" }),
      record({ id: "3", durationMs: 200, ttftMs: 30, outcome: "error", status: 429, errorClass: "rate_limit_error", costUsd: 0, priceSource: "local" })
    ])
    assert.deepStrictEqual(group, {
      group: "openai/gpt-4o-mini",
      requests: 3,
      errors: 1,
      tokens: { input: 110, output: 32, cachedRead: 4, cacheWrite: 0, reasoning: 2 },
      costUsd: 0.5,
      unpriced: 1,
      p50Ms: 200,
      p95Ms: 290,
      ttftP50Ms: 20
    })
  })

  it("searches case-insensitively in id, models, provider, client and error class", () => {
    const row = record({ id: "req-ABC", virtualModel: "Fast", errorClass: "rate_limit_error", client: "Claude-Code/2" })
    for (const search of ["abc", "fast", "RATE_LIMIT", "claude-code", "gpt-4o", "openai"]) assert.isTrue(LedgerTotals.matchesSearch(row, search), search)
    for (const search of ["anthropic", "%", "zzz"]) assert.isFalse(LedgerTotals.matchesSearch(row, search), search)
  })

  it("limits are whole and within 0…1000", () => {
    const table = [[10, 10], [0, 0], [-5, 0], [2.7, 2], [5000, 1000], [Number.NaN, 1000], [Number.POSITIVE_INFINITY, 1000]] as const
    for (const [limit, expected] of table) assert.strictEqual(LedgerTotals.clampLimit(limit), expected, String(limit))
  })

  it("the retention cut-off is that many days back; 0 keeps everything", () => {
    const now = Date.UTC(2026, 11, 6)
    assert.strictEqual(LedgerTotals.retentionCutoff(now, 90), now - 90 * 86_400_000)
    assert.strictEqual(LedgerTotals.retentionCutoff(now, 1), now - 86_400_000)
    assert.isUndefined(LedgerTotals.retentionCutoff(now, 0))
  })
})
