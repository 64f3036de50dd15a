/**
 * The gateway's Prometheus metrics, with Effect's own `Metric`s: each finished request
 * (`RequestRecord`, streams included, when they end) counts once, from the same record the ledger
 * keeps, so the two never disagree. Served at `GET /metrics` (`MetricsRoute.ts`).
 *
 * Labels are the route's provider and qualified model (`none` when no provider was reached: an
 * unknown model, a bad body), the caller's format and the status. Only what is known is added: a
 * token count the upstream did not report adds nothing, and neither does an unknown price.
 */
import { type Context, Effect, Metric } from "effect"
import type { ProviderStatus } from "../providers/Providers.ts"
import type { RequestRecord } from "./RequestRecord.ts"

/** Seconds: from a fast local answer to a long reasoning stream. */
const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120]

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

const TOKEN_KINDS = [
  ["input", "input"],
  ["output", "output"],
  ["cached_read", "cachedRead"],
  ["cache_write", "cacheWrite"],
  ["reasoning", "reasoning"]
] as const

/**
 * A metric with these labels, made once per label set: `Metric.withAttributes` makes a new metric
 * (and hashes its attributes) on every call, which per request cost more than the update itself.
 * Bounded: the labels come from the configured providers and models.
 */
const labelled = new Map<string, Metric.Metric<number, unknown>>()
const LABELLED_LIMIT = 10_000
const withLabels = <M extends Metric.Metric<number, unknown>>(metric: M, labels: Record<string, string>): M => {
  let key = metric.id
  for (const name in labels) key += `\u0000${labels[name]}`
  let found = labelled.get(key)
  if (found === undefined) {
    if (labelled.size >= LABELLED_LIMIT) labelled.clear()
    found = Metric.withAttributes(metric, labels)
    labelled.set(key, found)
  }
  return found as M
}

/** Counts finished requests: one synchronous pass over the batch (no Effect per update). */
export const record = (records: ReadonlyArray<RequestRecord>): Effect.Effect<void> =>
  Effect.contextWith((context: Context.Context<never>) =>
    Effect.sync(() => {
      for (const r of records) {
        const provider = r.provider ?? "none"
        const model = r.model ?? "none"
        const route = { provider, model }
        withLabels(requests, { provider, model, inbound_format: r.inboundFormat, status: String(r.status) }).updateUnsafe(1, context)
        for (const [kind, field] of TOKEN_KINDS) {
          const count = r.tokens[field]
          if (count !== null && count > 0) withLabels(tokens, { provider, model, kind }).updateUnsafe(count, context)
        }
        if (r.costUsd !== null && r.costUsd > 0) withLabels(cost, route).updateUnsafe(r.costUsd, context)
        withLabels(duration, route).updateUnsafe(r.durationMs / 1000, context)
        if (r.ttftMs !== null) withLabels(firstToken, route).updateUnsafe(r.ttftMs / 1000, context)
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
