/** The Activity chart's series: every bucket of the window, quiet ones zero, a bucket of unknown prices without a cost point. */
import { describe, expect, it } from "vitest"
import type { UsageReport } from "../../src/admin/AdminApi.ts"
import { usageTotals } from "../../src/usage/UsageReport.ts"
import { bucketOf, chartSeries, errorRateText } from "../../web/src/ActivityData.ts"
import { totalsOf } from "../../src/usage/LedgerTotals.ts"
import { requestRow } from "../support/CannedLedger.ts"

const at = (iso: string) => Date.parse(iso)
const tokens = (input: number, output: number) => ({ input, output, cachedRead: 0, cacheWrite: 0, reasoning: 0 })

describe("chartSeries", () => {
  it("fills every hour of the window, oldest first, in seconds", () => {
    const rows = [
      requestRow({ id: "a", startedAt: at("2026-12-06T11:10:00Z"), tokens: tokens(100, 10), costUsd: 0.01 }),
      requestRow({ id: "b", startedAt: at("2026-12-06T11:50:00Z"), tokens: tokens(50, 5), costUsd: 0.02 }),
      requestRow({ id: "c", startedAt: at("2026-12-06T13:05:00Z"), tokens: tokens(7, 1), costUsd: null, priceSource: "unknown" })
    ]
    const groups = totalsOf("hour", rows)
    const report: UsageReport = { since: "2026-12-06T10:30:00.000Z", until: "2026-12-06T13:30:00.000Z", by: "hour", keyId: null, groups, totals: usageTotals(groups) }
    const series = chartSeries(report, "hour")
    expect(series.x.map((s) => new Date(s * 1000).toISOString().slice(11, 13))).toEqual(["10", "11", "12", "13"])
    expect(series.input).toEqual([0, 150, 0, 7])
    expect(series.output).toEqual([0, 15, 0, 1])
    expect(series.cost[1]).toBeCloseTo(0.03, 10)
    expect([series.cost[0], series.cost[2], series.cost[3]]).toEqual([0, 0, null])
    expect(series.requests).toEqual([0, 2, 0, 1])
    expect(series.unpriced).toBe(1)
  })
})

describe("bucketOf", () => {
  it.each([["1h", "hour"], ["24h", "hour"], ["7d", "day"], ["30d", "day"]] as const)("%s → %s", (since, bucket) => {
    expect(bucketOf(since, at("2026-12-06T14:00:00Z"))).toBe(bucket)
  })
})

describe("errorRateText", () => {
  it.each([[0, 0, "–"], [0, 5, "0 %"], [1, 20, "5 %"], [1, 28, "3.6 %"], [3, 3, "100 %"]] as const)("%s of %s → %s", (errors, requests, text) => {
    expect(errorRateText(errors, requests)).toBe(text)
  })
})
