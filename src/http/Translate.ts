/**
 * Serving a request with a provider of another format: the caller's body is decoded to the
 * canonical request, encoded in the provider's format and sent; the answer comes back the same
 * way in reverse. Streams are translated event by event as they arrive (upstream bytes → SSE
 * events → canonical events → the caller's events → one write each), never buffered.
 *
 * Every failure reaches the caller in its own format: a request the provider's format cannot
 * express is a 400 naming the field; an upstream error keeps its status and message; an upstream
 * that stalls or drops the connection mid-stream ends the stream with an error event.
 */
import { Duration, Effect, Redacted, Stream } from "effect"
import type { SseError } from "effect/encoding/Sse"
import { HttpClient, HttpClientRequest, HttpServerResponse } from "effect/http"
import type { Request } from "../formats/Canonical.ts"
import { type FormatError, InvalidRequest } from "../formats/FormatError.ts"
import * as Sse from "../formats/Sse.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import { timeoutError, transportError, type UpstreamError } from "../providers/UpstreamError.ts"
import type { Route } from "../router/RoutingTable.ts"
import { asInboundEvent, type HttpFormat } from "./Formats.ts"
import { passedHeaders, upstreamErrorKind, upstreamFailure } from "./Forward.ts"
import type { JsonObject } from "./RequestBody.ts"

/** A translation failure as the caller's error: its own request is a 400, an upstream body a 502. */
const formatFailure = (inbound: HttpFormat, error: FormatError) => {
  switch (error._tag) {
    case "InvalidRequest":
    case "UnsupportedField":
      return inbound.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param })
    case "InvalidUpstreamBody":
      return inbound.renderError({ status: 502, kind: "server", message: error.message, code: "upstream_error" })
  }
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } as const

export const translate = Effect.fnUntraced(function*(route: Route, inbound: HttpFormat, provider: HttpFormat, body: JsonObject) {
  const client = yield* HttpClient.HttpClient
  const timeout = Duration.seconds(route.timeoutSeconds)
  const withTimeout = Effect.timeoutOrElse({
    duration: timeout,
    orElse: () => Effect.fail(timeoutError(route.host, route.timeoutSeconds))
  })
  const canonical: Request = { ...(yield* inbound.decodeRequest(body)), model: route.upstreamModel }
  // Every format needs something to answer; instructions alone are not a conversation (Anthropic
  // rejects an empty `messages`, and an absent Responses `input` is only valid with stored state).
  if (!canonical.messages.some((message) => message.role !== "system")) {
    const param = inbound.api === "responses" ? "input" : "messages"
    return yield* new InvalidRequest({ format: inbound.wire, message: `${param} must hold at least one message besides instructions`, param })
  }
  const upstreamBody = yield* provider.encodeRequest(canonical)
  // JSON.stringify recurses: a body nested tens of thousands deep (JSON.parse takes it) overflows the stack.
  const upstreamText = yield* Effect.try({
    try: () => JSON.stringify(upstreamBody),
    catch: () => new InvalidRequest({ format: inbound.wire, message: "the request is nested too deeply to be translated" })
  })

  const request = HttpClientRequest.post(`${route.baseUrl}${provider.upstreamPath}`).pipe(
    HttpClientRequest.setHeaders(Redacted.value(route.auth.headers)),
    HttpClientRequest.setHeader("accept", canonical.stream ? "text/event-stream" : "application/json"),
    HttpClientRequest.bodyText(upstreamText, "application/json")
  )
  const response = yield* client.execute(request).pipe(
    Effect.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
    withTimeout
  )
  const headers = passedHeaders(response.headers, { body: false })

  // The provider timeout bounds every gap between chunks, as in `Forward`.
  const body$ = response.stream.pipe(
    Stream.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
    Stream.timeoutOrElse({ duration: timeout, orElse: () => Stream.fail(timeoutError(route.host, route.timeoutSeconds)) })
  )

  // A 200 that is not an event stream (a plain page, a proxy's notice) has no events to translate:
  // said now, as an error before the answer, rather than as an empty stream that fails at its end.
  const contentType = (response.headers["content-type"] ?? "").toLowerCase()
  if (canonical.stream && response.status < 400 && !contentType.startsWith("text/event-stream")) {
    yield* Stream.runDrain(body$).pipe(Effect.ignore)
    return inbound.renderError({
      status: 502,
      kind: "server",
      message: `${route.host} answered a streaming request with ${contentType === "" ? "no content type" : contentType}, not an event stream`,
      code: "upstream_error"
    })
  }

  if (response.status >= 400 || !canonical.stream) {
    const text = yield* Stream.mkString(Stream.decodeText(body$))
    if (response.status >= 400) {
      // Upstreams sometimes quote the credentials they were sent: scrubbed before anything is read.
      const error = provider.parseError(response.status, scrub(text, route.auth.secrets))
      return inbound.renderError({ status: response.status, ...error, headers })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return inbound.renderError({
        status: 502,
        kind: "server",
        message: `${route.host} answered with a body that is not JSON`,
        code: "upstream_error"
      })
    }
    const answer = yield* provider.decodeResponse(json)
    return HttpServerResponse.jsonUnsafe(inbound.encodeResponse(answer, canonical), { headers })
  }

  // A transport failure or a stall becomes the provider format's own error event before the
  // decoder, so the decoder closes its blocks and reports the error as if the upstream had.
  const events = body$.pipe(
    Sse.decodeBytes,
    Stream.catch((error: UpstreamError | SseError) =>
      Stream.succeed(asInboundEvent(provider, {
        kind: error._tag === "UpstreamError" ? upstreamErrorKind(error) : "server",
        message: scrub(error._tag === "UpstreamError" ? error.message : `${route.host} sent a malformed event stream`, route.auth.secrets)
      }))
    )
  )
  const out = events.pipe(provider.decodeStream, inbound.encodeStream(canonical), Sse.encodeBytes)
  return HttpServerResponse.stream(out, { headers: { ...headers, ...SSE_HEADERS } })
}, (effect, _route, inbound) =>
  effect.pipe(
    Effect.catchTags({
      UpstreamError: (error) => Effect.succeed(upstreamFailure(inbound, error)),
      InvalidRequest: (error) => Effect.succeed(formatFailure(inbound, error)),
      UnsupportedField: (error) => Effect.succeed(formatFailure(inbound, error)),
      InvalidUpstreamBody: (error) => Effect.succeed(formatFailure(inbound, error))
    })
  ))
