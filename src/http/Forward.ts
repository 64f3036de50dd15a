/**
 * Forwarding a request to the provider that serves its model, in the provider's own format (the
 * caller's format too: pass-through). Only `model` is rewritten; every other field goes through
 * as the caller sent it, and the answer comes back as the provider sent it: status, error body,
 * and SSE bytes as they arrive. Failures of Switchboard's own (unreachable upstream, a stalled
 * stream) are told in that format.
 */
import { Duration, Effect, Option, Redacted, Result, Stream } from "effect"
import { identity } from "effect/Function"
import { HttpClient, HttpClientRequest, HttpServerResponse } from "effect/http"
import type { ErrorKind } from "../formats/Canonical.ts"
import * as Sse from "../formats/Sse.ts"
import { timeoutError, transportError, type UpstreamError } from "../providers/UpstreamError.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import type { Route } from "../router/RoutingTable.ts"
import type { HttpFormat } from "./Formats.ts"
import type { JsonObject } from "./RequestBody.ts"
import { makeEventFramer } from "./SseFraming.ts"

/** Upstream response headers worth passing to the caller; hop-by-hop and framing headers are not. */
const PASSED_RESPONSE_HEADERS = /^(content-type|content-encoding|retry-after|x-request-id|request-id|openai-.*|x-ratelimit-.*|anthropic-.*|cache-control)$/

/** The upstream response headers a caller may see (a translated answer keeps only those that do not describe the body). */
export const passedHeaders = (
  upstream: Readonly<Record<string, string>>,
  options: { readonly body: boolean } = { body: true }
): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(upstream)) {
    if (!PASSED_RESPONSE_HEADERS.test(name)) continue
    if (!options.body && (name === "content-type" || name === "content-encoding" || name === "cache-control")) continue
    headers[name] = value
  }
  return headers
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A gateway failure before any answer, in the caller's format: 504 when the upstream was too slow, 502 when it could not be reached. */
export const upstreamFailure = (format: HttpFormat, error: UpstreamError) =>
  format.renderError({ status: error.status ?? (error.timedOut === true ? 504 : 502), kind: upstreamErrorKind(error), message: error.message, code: "upstream_error" })

/** What kind of failure an upstream error is, for the caller's error types. */
export const upstreamErrorKind = (error: UpstreamError): ErrorKind => error.timedOut === true ? "timeout" : "server"

export const forward = Effect.fnUntraced(function*(
  route: Route,
  format: HttpFormat,
  body: JsonObject,
  callerHeaders: Readonly<Record<string, string | undefined>>
) {
  const client = yield* HttpClient.HttpClient
  const timeout = Duration.seconds(route.timeoutSeconds)
  const accept = callerHeaders["accept"]
  const request = HttpClientRequest.post(`${route.baseUrl}${format.upstreamPath}`).pipe(
    // The caller's own headers first, so the provider's (its credentials included) always win.
    HttpClientRequest.setHeaders(format.passThroughHeaders(callerHeaders)),
    HttpClientRequest.setHeaders(Redacted.value(route.auth.headers)),
    HttpClientRequest.setHeader("accept", accept ?? "application/json"),
    HttpClientRequest.bodyText(JSON.stringify({ ...body, model: route.upstreamModel }), "application/json")
  )

  const response = yield* client.execute(request).pipe(
    Effect.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(route.host, route.timeoutSeconds)) })
  )

  const headers = passedHeaders(response.headers)
  const isSse = (headers["content-type"] ?? "").startsWith("text/event-stream")

  // Some upstreams quote the credentials they were sent in an error message; that must never
  // reach the caller. Error bodies are small, so they are read whole and scrubbed (an encoded
  // body cannot be: Switchboard never asks for one, so it passes as it came).
  if (response.status >= 400 && !isSse && headers["content-encoding"] === undefined) {
    const text = yield* response.text.pipe(
      Effect.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(route.host, route.timeoutSeconds)) })
    )
    return HttpServerResponse.text(scrub(text, route.auth.secrets), { status: response.status, headers })
  }

  // A stalled upstream must end in an error the caller can see, never look like a normal end.
  const idleTimeout = Stream.timeoutOrElse({
    duration: timeout,
    orElse: () => Stream.fail(timeoutError(route.host, route.timeoutSeconds))
  })
  // The first and last chunks are kept (not read) so a format whose failure event must refer to
  // the stream (Open Responses: the response id, the next sequence number) can find it then.
  let first: Uint8Array | undefined
  let last: Uint8Array | undefined
  const framer = makeEventFramer()
  const body$ = response.stream.pipe(
    Stream.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
    idleTimeout,
    isSse
      ? (chunks: Stream.Stream<Uint8Array, UpstreamError>) =>
        chunks.pipe(
          Stream.filterMap((chunk: Uint8Array) => {
            const events = framer.push(chunk)
            if (events === undefined) return Result.failVoid
            first ??= events
            last = events
            return Result.succeed(events)
          }),
          // A normal end passes on whatever the upstream wrote last, even without a final blank line.
          Stream.concat(Stream.suspend(() => Stream.fromIterable(Option.toArray(Option.fromUndefinedOr(framer.rest())))))
        )
      : identity,
    Stream.catch((error: UpstreamError) => {
      if (!isSse) return Stream.fail(error)
      const seen = { model: route.upstreamModel, first: first && decoder.decode(first), last: last && decoder.decode(last) }
      const events = format.passThroughFailure({ kind: upstreamErrorKind(error), message: scrub(error.message, route.auth.secrets) }, seen)
      return Stream.fromIterable(events.map((event) => encoder.encode(Sse.encode(event))))
    })
  )
  return HttpServerResponse.stream(body$, { status: response.status, headers })
}, (effect, _route, format) => Effect.catchTag(effect, "UpstreamError", (error) => Effect.succeed(upstreamFailure(format, error))))
