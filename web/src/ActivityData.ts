/**
 * The Activity section's data, pure: the window choices, and the chart's series from a usage
 * answer grouped by hour or day — every bucket of the window present (a quiet hour is a zero, not
 * a gap that joins its neighbours), times in seconds as uPlot wants them.
 */
import type { UsageReport } from "../../src/admin/AdminApi.ts"
import { type Bucket, bucketFor, bucketStart, bucketStarts, parseInstant } from "../../src/usage/UsageWindow.ts"

/** The window picker's choices, written as the admin API's `since`. */
export const WINDOWS = [
  { since: "1h", label: "1 h" },
  { since: "24h", label: "24 h" },
  { since: "7d", label: "7 d" },
  { since: "30d", label: "30 d" }
] as const
export type WindowChoice = typeof WINDOWS[number]["since"]

/** The chart's bucket for a window choice: hours up to two days, days beyond. */
export const bucketOf = (since: WindowChoice, now: number): Bucket => {
  const start = parseInstant(since, now)
  return bucketFor({ since: start._tag === "Success" ? start.success : now - 86_400_000, until: now })
}

export interface ChartSeries {
  /** Bucket starts, Unix seconds. */
  readonly x: Array<number>
  readonly input: Array<number>
  readonly output: Array<number>
  /** The known cost; a bucket holding only unpriced requests is null (no point), never 0. */
  readonly cost: Array<number | null>
  readonly requests: Array<number>
  /** How many requests of the window have no known price. */
  readonly unpriced: number
}

export const chartSeries = (report: UsageReport, bucket: Bucket): ChartSeries => {
  const byStart = new Map<number, UsageReport["groups"][number]>()
  for (const group of report.groups) {
    const start = bucketStart(group.group)
    if (start !== null) byStart.set(start, group)
  }
  const starts = bucketStarts({ since: Date.parse(report.since), until: Date.parse(report.until) }, bucket)
  const groups = starts.map((start) => byStart.get(start))
  return {
    x: starts.map((start) => start / 1000),
    input: groups.map((group) => group?.tokens.input ?? 0),
    output: groups.map((group) => group?.tokens.output ?? 0),
    cost: groups.map((group) => group === undefined ? 0 : group.unpriced >= group.requests && group.requests > 0 ? null : group.costUsd),
    requests: groups.map((group) => group?.requests ?? 0),
    unpriced: report.totals.unpriced
  }
}

/** `4 %`, `0 %`, `12.5 %`; `–` without requests. */
export const errorRateText = (errors: number, requests: number): string => {
  if (requests === 0) return "–"
  const rate = (errors / requests) * 100
  return `${Number.isInteger(rate) ? rate : rate.toFixed(1)} %`
}
