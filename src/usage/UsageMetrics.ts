/**
 * The gateway's Prometheus metrics, with Effect's own `Metric`s: each finished request
 * (`RequestRecord`, streams included, when they end) counts once, from the same record the ledger
 * keeps, so the two never disagree. Served at `GET /metrics` (`MetricsRoute.ts`).
 *
 * Labels are the route's provider and qualified model (`none` when no provider was reached: an
 * unknown model, a bad body), the caller's format and the status. Only what is known is added: a
 * token count the upstream did not report adds nothing, and neither does an unknown price.
 */
import { Effect, Metric } from "effect"
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

/** Counts finished requests. */
export const record = (records: ReadonlyArray<RequestRecord>): Effect.Effect<void> =>
  Effect.forEach(records, (r) => {
    const provider = r.provider ?? "none"
    const model = r.model ?? "none"
    const route = { provider, model }
    return Effect.gen(function*() {
      yield* Metric.update(Metric.withAttributes(requests, { ...route, inbound_format: r.inboundFormat, status: String(r.status) }), 1)
      for (const [kind, field] of TOKEN_KINDS) {
        const count = r.tokens[field]
        if (count !== null && count > 0) yield* Metric.update(Metric.withAttributes(tokens, { ...route, kind }), count)
      }
      if (r.costUsd !== null && r.costUsd > 0) yield* Metric.update(Metric.withAttributes(cost, route), r.costUsd)
      yield* Metric.update(Metric.withAttributes(duration, route), r.durationMs / 1000)
      if (r.ttftMs !== null) yield* Metric.update(Metric.withAttributes(firstToken, route), r.ttftMs / 1000)
    })
  }, { discard: true })

/** Sets `switchboard_provider_up` from the providers' states (at scrape time: always current). */
export const providersUp = (providers: ReadonlyArray<ProviderStatus>): Effect.Effect<void> =>
  Effect.forEach(
    providers,
    (provider) => Metric.update(Metric.withAttributes(providerUp, { provider: provider.id }), provider.state._tag === "Connected" ? 1 : 0),
    { discard: true }
  )
