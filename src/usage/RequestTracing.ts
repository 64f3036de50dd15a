/**
 * One OpenTelemetry span per request, sent over OTLP (HTTP, JSON) with Effect's exporter when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set; nothing at all otherwise.
 *
 * The span is made from the finished `RequestRecord`, after the fact (start = arrival, end = the
 * answer's end), not around the request: the request path stays free of tracing whether it is on
 * or off, and the fast lane (which runs no Effect) is traced like the Effect path. Its attributes
 * follow the GenAI semantic conventions (`gen_ai.request.model`, `gen_ai.usage.input_tokens`, …)
 * plus `switchboard.*`; a record holds no prompt or answer text, so a span cannot either. The
 * upstream requests carry no trace headers either way (`Gateway.layerUpstreamClient`).
 */
import { Context, Effect, Exit, Layer, Option } from "effect"
import { NodeHttpClient } from "@effect/platform-node"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"
import * as Settings from "../config/Settings.ts"
import type { RequestRecord } from "./RequestRecord.ts"

export class RequestTracing extends Context.Service<RequestTracing, {
  /** Sends a span for each record (batched by the exporter); a no-op when tracing is off. */
  readonly export: (records: ReadonlyArray<RequestRecord>) => Effect.Effect<void>
  /** Sends what is buffered now (tests; shutdown does it too). */
  readonly flush: Effect.Effect<void>
  /** Whether spans are sent at all: when not, the records need not be kept whole for `export`. */
  readonly enabled: boolean
}>()("switchboard/RequestTracing") {
  static readonly layerOff = Layer.succeed(RequestTracing, RequestTracing.of({ export: () => Effect.void, flush: Effect.void, enabled: false }))
}

const OPERATION: Record<string, string> = { openai: "chat", anthropic: "chat", responses: "responses" }

/** The span attributes of a record (GenAI semantic conventions, then Switchboard's own). Pure. */
export const spanAttributes = (r: RequestRecord): Record<string, string | number | boolean> => {
  const attributes: Record<string, string | number | boolean> = {
    "gen_ai.operation.name": OPERATION[r.inboundFormat] ?? "chat",
    "http.request.method": "POST",
    "url.path": r.path,
    "http.response.status_code": r.status,
    "switchboard.request_id": r.id,
    "switchboard.inbound_format": r.inboundFormat,
    "switchboard.outcome": r.outcome,
    "switchboard.attempts": r.attempts,
    "switchboard.stream": r.stream,
    "switchboard.price_source": r.priceSource
  }
  const put = (key: string, value: string | number | null) => {
    if (value !== null) attributes[key] = value
  }
  put("gen_ai.request.model", r.requestedModel)
  put("gen_ai.response.model", r.upstreamModel)
  put("gen_ai.provider.name", r.provider)
  put("gen_ai.usage.input_tokens", r.tokens.input)
  put("gen_ai.usage.output_tokens", r.tokens.output)
  put("gen_ai.usage.cache_read.input_tokens", r.tokens.cachedRead)
  put("gen_ai.usage.cache_creation.input_tokens", r.tokens.cacheWrite)
  put("gen_ai.usage.reasoning.output_tokens", r.tokens.reasoning)
  put("error.type", r.outcome === "ok" ? null : r.errorClass ?? (r.outcome === "client_closed" ? "client_closed" : String(r.status)))
  put("switchboard.model", r.model)
  put("switchboard.virtual_model", r.virtualModel)
  put("switchboard.mode", r.mode)
  put("switchboard.key_id", r.keyId)
  put("switchboard.cost_usd", r.costUsd)
  put("switchboard.ttft_ms", r.ttftMs)
  put("user_agent.original", r.client)
  return attributes
}

const nanos = (ms: number): bigint => BigInt(Math.round(ms * 1_000_000))

/** Tracing to an OTLP/HTTP collector at `endpoint` (the base URL: spans go to `<endpoint>/v1/traces`). */
export const layerOtlp = (options: { readonly endpoint: string; readonly serviceName: string; readonly serviceVersion?: string | undefined }) =>
  Layer.effect(
    RequestTracing,
    Effect.gen(function*() {
      const tracer = yield* OtlpTracer.make({
        url: `${options.endpoint.replace(/\/+$/, "")}/v1/traces`,
        resource: { serviceName: options.serviceName, serviceVersion: options.serviceVersion },
        exportInterval: "1 second"
      })
      const flusher = yield* OtlpExporter.Flusher
      return RequestTracing.of({
        export: (records) =>
          Effect.sync(() => {
            for (const r of records) {
              const span = tracer.span({
                name: `${OPERATION[r.inboundFormat] ?? "chat"} ${r.requestedModel ?? "unknown"}`,
                parent: Option.none(),
                annotations: Context.empty(),
                links: [],
                startTime: nanos(r.startedAt),
                kind: "server",
                root: true,
                sampled: true
              })
              for (const [key, value] of Object.entries(spanAttributes(r))) span.attribute(key, value)
              span.end(nanos(r.startedAt + r.durationMs), r.outcome === "ok" ? Exit.void : Exit.fail(r.errorClass ?? r.status))
            }
          }),
        flush: flusher.flush,
        enabled: true
      })
    })
  ).pipe(
    Layer.provide(OtlpExporter.layerFlusher),
    Layer.provide(OtlpSerialization.layerJson),
    // Its own client: the upstream client is not for this, and the exporter's calls must not be traced.
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** Tracing as the environment says: OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else off. */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const endpoint = yield* Settings.otlpEndpoint.config
  if (Option.isNone(endpoint)) return RequestTracing.layerOff
  const serviceName = yield* Settings.otelServiceName.config
  return layerOtlp({ endpoint: endpoint.value, serviceName })
}))
