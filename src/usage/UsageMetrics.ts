/**
 * The gateway's Prometheus metrics, with Effect's own `Metric`s: each finished request
 * (`RequestRecord`, streams included, when they end) counts once, from the same record the ledger
 * keeps, so the two never disagree. Served at `GET /metrics` (`MetricsRoute.ts`).
 *
 * Labels are the route's provider and qualified model (`none` when no provider was reached: an
 * unknown model, a bad body), the caller's format and the status. Only what is known is added: a
 * token count the upstream did not report adds nothing, and neither does an unknown price.
 */
import { Context, Effect, Metric } from "effect"
import type { ProviderStatus } from "../providers/Providers.ts"
import { type CounterName, type HistogramName, type Labels, type MetricsTally, SECONDS } from "./MetricsTally.ts"

const requests = Metric.counter("switchboard_requests_total", {
  description: "Requests to the API endpoints, by provider, model, the caller's API format and HTTP status (499: the caller went away before any answer).",
  incremental: true
})
const tokens = Metric.counter("switchboard_tokens_total", {
  description: "Tokens as the providers reported them, by kind: input (cache reads and writes included), output (reasoning included), cached_read, cache_write, reasoning.",
  incremental: true
})
const cost = Metric.counter("switchboard_cost_usd_total", {
  description: "Cost in US dollars of the requests whose price is known (requests of unknown price add nothing).",
  incremental: true
})
const duration = Metric.histogram("switchboard_request_duration_seconds", {
  description: "From a request's arrival to the end of its answer (a stream's last event).",
  boundaries: SECONDS
})
const firstToken = Metric.histogram("switchboard_time_to_first_token_seconds", {
  description: "From a request's arrival to the first byte of its answer's body.",
  boundaries: SECONDS
})
const providerUp = Metric.gauge("switchboard_provider_up", {
  description: "1 while a provider is connected, else 0 (connecting, error, disconnected, disabled)."
})

const counterMetrics: Record<CounterName, Metric.Metric<number, Metric.CounterState<number>>> = { requests, tokens, cost }
const histogramMetrics: Record<HistogramName, Metric.Metric<number, Metric.HistogramState>> = { duration, firstToken }

interface CounterSeries {
  count: number
}
interface HistogramSeries {
  readonly counts: Array<number>
  count: number
  sum: number
  min: number
  max: number
}

/**
 * The series one registry (one gateway) has, with their state. Each series is registered once,
 * backed by its state (`Metric.registerUnsafe`: read when scraped), and a batch's tally is added
 * to the state: no per-request `Metric.update`, whose label hashing cost more than the count.
 */
interface Series {
  readonly counters: Map<string, CounterSeries>
  readonly histograms: Map<string, HistogramSeries>
}
const seriesByRegistry = new WeakMap<object, Series>()

const keyOf = (metric: string, labels: Labels): string => {
  let key = metric
  for (const name in labels) key += `\u0000${name}=${labels[name]}`
  return key
}

const ignored = () => {}

/** Adds a tally (`MetricsTally.tallyOf`) to this gateway's metrics: one synchronous pass. */
export const apply = (tally: MetricsTally): Effect.Effect<void> =>
  Effect.contextWith((context: Context.Context<never>) =>
    Effect.sync(() => {
      const registry = Context.get(context, Metric.MetricRegistry)
      let series = seriesByRegistry.get(registry)
      if (series === undefined) {
        series = { counters: new Map(), histograms: new Map() }
        seriesByRegistry.set(registry, series)
      }
      for (const { delta, labels, metric } of tally.counters) {
        const key = keyOf(metric, labels)
        let found = series.counters.get(key)
        if (found === undefined) {
          const state: CounterSeries = { count: 0 }
          found = state
          series.counters.set(key, state)
          Metric.registerUnsafe(Metric.withAttributes(counterMetrics[metric], labels), context, {
            get: () => ({ count: state.count, incremental: true }),
            update: ignored,
            modify: ignored
          })
        }
        found.count += delta
      }
      for (const delta of tally.histograms) {
        const key = keyOf(delta.metric, delta.labels)
        let found = series.histograms.get(key)
        if (found === undefined) {
          const state: HistogramSeries = { counts: new Array<number>(SECONDS.length + 1).fill(0), count: 0, sum: 0, min: Number.MAX_VALUE, max: -Number.MAX_VALUE }
          found = state
          series.histograms.set(key, state)
          Metric.registerUnsafe(Metric.withAttributes(histogramMetrics[delta.metric], delta.labels), context, {
            // As Effect's own histogram reads: cumulative counts at each boundary.
            get: () => {
              let cumulated = 0
              const buckets = SECONDS.map((boundary, index): [number, number] => [boundary, cumulated += state.counts[index]!])
              return { buckets, count: state.count, min: state.min, max: state.max, sum: state.sum }
            },
            update: ignored,
            modify: ignored
          })
        }
        for (let index = 0; index < found.counts.length; index++) found.counts[index]! += delta.counts[index] ?? 0
        found.count += delta.count
        found.sum += delta.sum
        if (delta.min < found.min) found.min = delta.min
        if (delta.max > found.max) found.max = delta.max
      }
    })
  )

/** Sets `switchboard_provider_up` from the providers' states (at scrape time: always current). */
export const providersUp = (providers: ReadonlyArray<ProviderStatus>): Effect.Effect<void> =>
  Effect.forEach(
    providers,
    (provider) => Metric.update(Metric.withAttributes(providerUp, { provider: provider.id }), provider.state._tag === "Connected" ? 1 : 0),
    { discard: true }
  )
