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
import { httpStatusError, timeoutError, transportError, type UpstreamError } from "../providers/UpstreamError.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import type { HttpEndpoint } from "../providers/Upstream.ts"
import type { Route } from "../router/RoutingTable.ts"
import type { HttpFormat } from "./Formats.ts"
import { rewriteModel } from "./RawModel.ts"
import { makeEventFramer } from "./SseFraming.ts"

/** What pass-through needs of a route: the provider's endpoint and the model id it knows. */
export interface PassThroughRoute {
  readonly endpoint: HttpEndpoint
  readonly upstreamModel: string
}

/** The route as a pass-through target when its provider speaks `format` natively, else undefined. */
export const passThroughRoute = (route: Route, format: HttpFormat): PassThroughRoute | undefined => {
  const endpoint = route.upstream.http
  return endpoint !== undefined && endpoint.format === format.api ? { endpoint, upstreamModel: route.upstreamModel } : undefined
}

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

/**
 * How a pass-through answer is handled, from its status and (passed) headers:
 * - `stream`: an event stream, forwarded in whole events;
 * - `pass`: a body that goes through byte for byte (JSON, or an encoded body Switchboard cannot read);
 * - `scrub`: a JSON error body, read whole and scrubbed of the provider's secrets (some quote them);
 * - `wrap`: an error body that is not JSON (a proxy's HTML page): its text, scrubbed, told in the
 *   caller's error shape, so SDKs raise their usual error with a readable message;
 * - `refuse`: a success that is not JSON (a captive portal, a plain-text notice): never a success
 *   for the caller, who would get a body their SDK cannot read — a 502 instead.
 * A missing content type passes: some servers leave it out of plain JSON answers.
 */
export type AnswerHandling = "stream" | "pass" | "scrub" | "wrap" | "refuse"

export const answerHandling = (status: number, headers: Readonly<Record<string, string>>): AnswerHandling => {
  const contentType = (headers["content-type"] ?? "").toLowerCase()
  if (contentType.startsWith("text/event-stream")) return "stream"
  if (headers["content-encoding"] !== undefined) return "pass"
  const json = contentType === "" || contentType.includes("json")
  if (status >= 400) return json ? "scrub" : "wrap"
  return json ? "pass" : "refuse"
}

/** The answer for a non-JSON error body (`wrap`): the upstream's status, the page's text in the caller's shape. */
export const wrappedError = (format: HttpFormat, route: PassThroughRoute, status: number, headers: Readonly<Record<string, string>>, text: string) =>
  format.renderError({
    status,
    ...format.parseError(status, text),
    message: httpStatusError(route.endpoint.host, status, scrub(text, route.endpoint.auth.secrets)).message,
    code: "upstream_error",
    headers: passedHeaders(headers, { body: false })
  })

/** The answer for a success that is not JSON (`refuse`). */
export const refusedAnswer = (format: HttpFormat, route: PassThroughRoute, status: number, contentType: string) =>
  format.renderError({
    status: 502,
    kind: "server",
    message: `${route.endpoint.host} answered ${status} with ${contentType}, not JSON: is ${route.endpoint.baseUrl} the provider's API?`,
    code: "upstream_error"
  })

export const forward = Effect.fnUntraced(function*(
  route: PassThroughRoute,
  format: HttpFormat,
  /** The caller's body text, sent on as it is but for `model`. */
  body: string,
  callerHeaders: Readonly<Record<string, string | undefined>>
) {
  const client = yield* HttpClient.HttpClient
  const timeout = Duration.seconds(route.endpoint.timeoutSeconds)
  const accept = callerHeaders["accept"]
  const request = HttpClientRequest.post(`${route.endpoint.baseUrl}${format.upstreamPath}`).pipe(
    // The caller's own headers first, so the provider's (its credentials included) always win.
    HttpClientRequest.setHeaders(format.passThroughHeaders(callerHeaders)),
    HttpClientRequest.setHeaders(Redacted.value(route.endpoint.auth.headers)),
    HttpClientRequest.setHeader("accept", accept ?? "application/json"),
    HttpClientRequest.bodyText(rewriteModel(body, route.upstreamModel), "application/json")
  )

  const response = yield* client.execute(request).pipe(
    Effect.mapError((error) => transportError(route.endpoint.host, error.reason.cause ?? error.reason)),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(route.endpoint.host, route.endpoint.timeoutSeconds)) })
  )

  const headers = passedHeaders(response.headers)
  const handling = answerHandling(response.status, headers)
  const isSse = handling === "stream"
  const readText = response.text.pipe(
    Effect.mapError((error) => transportError(route.endpoint.host, error.reason.cause ?? error.reason)),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(route.endpoint.host, route.endpoint.timeoutSeconds)) })
  )

  // Some upstreams quote the credentials they were sent in an error message; that must never
  // reach the caller. Error bodies are small, so they are read whole and scrubbed.
  if (handling === "scrub") {
    return HttpServerResponse.text(scrub(yield* readText, route.endpoint.auth.secrets), { status: response.status, headers })
  }
  if (handling === "wrap") return wrappedError(format, route, response.status, response.headers, yield* readText)
  if (handling === "refuse") {
    // Not read to its end (it may not have one): one chunk, then the stream's end aborts the request.
    yield* Stream.runDrain(Stream.take(response.stream, 1)).pipe(Effect.timeout(timeout), Effect.ignore)
    return refusedAnswer(format, route, response.status, headers["content-type"] ?? "")
  }

  // A stalled upstream must end in an error the caller can see, never look like a normal end.
  const idleTimeout = Stream.timeoutOrElse({
    duration: timeout,
    orElse: () => Stream.fail(timeoutError(route.endpoint.host, route.endpoint.timeoutSeconds))
  })
  // The first and last chunks are kept (not read) so a format whose failure event must refer to
  // the stream (Open Responses: the response id, the next sequence number) can find it then.
  let first: Uint8Array | undefined
  let last: Uint8Array | undefined
  const framer = makeEventFramer()
  const body$ = response.stream.pipe(
    Stream.mapError((error) => transportError(route.endpoint.host, error.reason.cause ?? error.reason)),
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
      const events = format.passThroughFailure({ kind: upstreamErrorKind(error), message: scrub(error.message, route.endpoint.auth.secrets) }, seen)
      return Stream.fromIterable(events.map((event) => encoder.encode(Sse.encode(event))))
    })
  )
  return HttpServerResponse.stream(body$, { status: response.status, headers })
}, (effect, _route, format) => Effect.catchTag(effect, "UpstreamError", (error) => Effect.succeed(upstreamFailure(format, error))))
