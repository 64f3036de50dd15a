/**
 * `GET /metrics`: the gateway's metrics (`UsageMetrics.ts`) in Prometheus' text format, rendered
 * by Effect's exporter (`effect/observability` PrometheusMetrics).
 *
 * Who may read it: on a loopback listener, the admin API's rule (`AdminGuard`: a loopback Host,
 * no foreign Origin — a web page must not read what the user's requests cost); on any other
 * address, a gateway key, which the key guard in front of every route already asks for, so that
 * a Prometheus on another machine can scrape with one.
 */
import { Effect, Option } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { guarded, listeningPort } from "../admin/AdminGuard.ts"
import { isLoopbackHost } from "../gateway-keys/GatewayKey.ts"
import { Providers } from "../providers/Providers.ts"
import { providersUp } from "./UsageMetrics.ts"

/** The exposition format's content type (version 0.0.4 is the text format Prometheus scrapes). */
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

const metrics = Effect.gen(function*() {
  yield* providersUp(yield* (yield* Providers).list)
  return HttpServerResponse.text(yield* PrometheusMetrics.format(), { contentType: CONTENT_TYPE })
})

export const MetricsRoute = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const server = yield* Effect.serviceOption(HttpServer.HttpServer)
  // Off a loopback address the gateway-key guard stands in front of every route instead.
  const loopback = Option.match(server, {
    onNone: () => true,
    onSome: (s) => {
      const formatted = HttpServer.formatAddress(s.address)
      return !formatted.startsWith("http") || isLoopbackHost(new URL(formatted).hostname)
    }
  })
  const port = Option.isSome(server) ? yield* listeningPort : undefined
  yield* router.add("GET", "/metrics", loopback ? guarded(port)(metrics) : metrics)
}))
