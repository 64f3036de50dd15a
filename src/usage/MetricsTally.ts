/**
 * What a batch of finished requests adds to the metrics (`UsageMetrics.ts`), summed per series:
 * plain data, so the recording thread can work it out and hand it to the thread that serves
 * `/metrics` (`RecordingThread.ts`), where each series then takes one update per batch instead of
 * one per request (per request, Effect's `Metric.update` hashes the labels: measured, it cost more
 * than all the rest of a counter's work).
 *
 * Pure. The histograms' buckets are those of Effect's histogram (`value <= boundary`, the last
 * count for values above every boundary), so a series reads the same as one fed value by value.
 */
import type { RequestRecord } from "./RequestRecord.ts"

/** Seconds: from a fast local answer to a long reasoning stream. */
export const SECONDS: ReadonlyArray<number> = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120]

export type CounterName = "requests" | "tokens" | "cost"
export type HistogramName = "duration" | "firstToken"
export type Labels = Readonly<Record<string, string>>

export interface CounterDelta {
  readonly metric: CounterName
  readonly labels: Labels
  readonly delta: number
}

export interface HistogramDelta {
  readonly metric: HistogramName
  readonly labels: Labels
  /** Per bucket of `SECONDS`, then the count above the last boundary. */
  readonly counts: ReadonlyArray<number>
  readonly count: number
  readonly sum: number
  readonly min: number
  readonly max: number
}

export interface MetricsTally {
  readonly counters: ReadonlyArray<CounterDelta>
  readonly histograms: ReadonlyArray<HistogramDelta>
}

export const TOKEN_KINDS = [
  ["input", "input"],
  ["output", "output"],
  ["cached_read", "cachedRead"],
  ["cache_write", "cacheWrite"],
  ["reasoning", "reasoning"]
] as const

/** The index of the bucket `value` falls in: the first boundary at or above it, else the overflow. */
export const bucketOf = (value: number): number => {
  let index = 0
  while (index < SECONDS.length && value > SECONDS[index]!) index++
  return index
}

interface MutableHistogram {
  readonly metric: HistogramName
  readonly labels: Labels
  counts: Array<number>
  count: number
  sum: number
  min: number
  max: number
}

/** Sums a batch of records per series: requests by route, format and status; tokens by kind; cost; the two latencies. */
export const tallyOf = (records: ReadonlyArray<RequestRecord>): MetricsTally => {
  const counters = new Map<string, { metric: CounterName; labels: Labels; delta: number }>()
  const histograms = new Map<string, MutableHistogram>()
  const count = (metric: CounterName, series: string, labels: () => Labels, delta: number) => {
    const key = `${metric}\u0000${series}`
    const found = counters.get(key)
    if (found === undefined) counters.set(key, { metric, labels: labels(), delta })
    else found.delta += delta
  }
  const observe = (metric: HistogramName, route: string, labels: Labels, value: number) => {
    const key = `${metric}\u0000${route}`
    let found = histograms.get(key)
    if (found === undefined) {
      found = { metric, labels, counts: new Array<number>(SECONDS.length + 1).fill(0), count: 0, sum: 0, min: Number.MAX_VALUE, max: -Number.MAX_VALUE }
      histograms.set(key, found)
    }
    found.counts[bucketOf(value)]! += 1
    found.count += 1
    found.sum += value
    if (value < found.min) found.min = value
    if (value > found.max) found.max = value
  }
  for (const r of records) {
    const provider = r.provider ?? "none"
    const model = r.model ?? "none"
    const route = `${provider}\u0000${model}`
    const status = String(r.status)
    count("requests", `${route}\u0000${r.inboundFormat}\u0000${status}`, () => ({ provider, model, inbound_format: r.inboundFormat, status }), 1)
    for (const [kind, field] of TOKEN_KINDS) {
      const tokens = r.tokens[field]
      if (tokens !== null && tokens > 0) count("tokens", `${route}\u0000${kind}`, () => ({ provider, model, kind }), tokens)
    }
    if (r.costUsd !== null && r.costUsd > 0) count("cost", route, () => ({ provider, model }), r.costUsd)
    const labels = { provider, model }
    observe("duration", route, labels, r.durationMs / 1000)
    if (r.ttftMs !== null) observe("firstToken", route, labels, r.ttftMs / 1000)
  }
  return { counters: [...counters.values()], histograms: [...histograms.values()] }
}
