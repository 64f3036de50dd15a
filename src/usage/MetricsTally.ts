/**
 * What a batch of finished requests adds to the metrics (`UsageMetrics.ts`), summed per series:
 * plain data, so the recording thread can work it out and hand it to the thread that serves
 * `/metrics` (`RecordingWorker.ts`, `UsageRecorder.layerThread`), where each series then takes one update per batch instead of
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

const TOKEN_KINDS = [
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

const histogram = (metric: HistogramName, labels: Labels): MutableHistogram => ({
  metric,
  labels,
  counts: new Array<number>(SECONDS.length + 1).fill(0),
  count: 0,
  sum: 0,
  min: Number.MAX_VALUE,
  max: -Number.MAX_VALUE
})

const observe = (into: MutableHistogram, value: number) => {
  into.counts[bucketOf(value)]! += 1
  into.count += 1
  into.sum += value
  if (value < into.min) into.min = value
  if (value > into.max) into.max = value
}

/** One route's (provider and model's) part of a batch: what its records add up to. */
interface RouteTally {
  readonly provider: string
  readonly model: string
  /** Requests by caller's format and status. */
  readonly requests: Map<string, { readonly inbound: string; readonly status: string; count: number }>
  readonly tokens: Record<(typeof TOKEN_KINDS)[number][0], number>
  cost: number
  readonly duration: MutableHistogram
  readonly firstToken: MutableHistogram
}

/**
 * Sums a batch of records per series: requests by route, format and status; tokens by kind; cost;
 * the two latencies. Route by route: a batch is mostly a few routes, so each record costs a map
 * lookup or two, not a key per series.
 */
export const tallyOf = (records: ReadonlyArray<RequestRecord>): MetricsTally => {
  const routes = new Map<string, RouteTally>()
  for (const r of records) {
    const provider = r.provider ?? "none"
    const model = r.model ?? "none"
    const routeKey = `${provider}\u0000${model}`
    let route = routes.get(routeKey)
    if (route === undefined) {
      const labels = { provider, model }
      route = {
        provider,
        model,
        requests: new Map(),
        tokens: { input: 0, output: 0, cached_read: 0, cache_write: 0, reasoning: 0 },
        cost: 0,
        duration: histogram("duration", labels),
        firstToken: histogram("firstToken", labels)
      }
      routes.set(routeKey, route)
    }
    const requestKey = `${r.inboundFormat}\u0000${r.status}`
    const requests = route.requests.get(requestKey)
    if (requests === undefined) route.requests.set(requestKey, { inbound: r.inboundFormat, status: String(r.status), count: 1 })
    else requests.count += 1
    for (const [kind, field] of TOKEN_KINDS) {
      const tokens = r.tokens[field]
      if (tokens !== null && tokens > 0) route.tokens[kind] += tokens
    }
    if (r.costUsd !== null && r.costUsd > 0) route.cost += r.costUsd
    observe(route.duration, r.durationMs / 1000)
    if (r.ttftMs !== null) observe(route.firstToken, r.ttftMs / 1000)
  }
  const counters: Array<CounterDelta> = []
  const histograms: Array<HistogramDelta> = []
  for (const { cost, duration, firstToken, model, provider, requests, tokens } of routes.values()) {
    for (const { count, inbound, status } of requests.values()) {
      counters.push({ metric: "requests", labels: { provider, model, inbound_format: inbound, status }, delta: count })
    }
    for (const [kind] of TOKEN_KINDS) if (tokens[kind] > 0) counters.push({ metric: "tokens", labels: { provider, model, kind }, delta: tokens[kind] })
    if (cost > 0) counters.push({ metric: "cost", labels: { provider, model }, delta: cost })
    histograms.push(duration)
    if (firstToken.count > 0) histograms.push(firstToken)
  }
  return { counters, histograms }
}
