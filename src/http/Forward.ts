/**
 * Forwarding a request to the provider that serves its model, in the provider's own format.
 * Only `model` is rewritten; every other field goes through as the caller sent it, and the
 * answer comes back as the provider sent it: status, error body, and SSE bytes as they arrive.
 */
import { Duration, Effect, Redacted, Stream } from "effect"
import { HttpClient, HttpClientRequest, HttpServerResponse } from "effect/http"
import { timeoutError, transportError, type UpstreamError } from "../providers/UpstreamError.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import type { Route } from "../router/RoutingTable.ts"
import { openAiError, openAiErrorBody } from "./OpenAiError.ts"
import type { JsonObject } from "./RequestBody.ts"

/** Upstream response headers worth passing to the caller; hop-by-hop and framing headers are not. */
const PASSED_RESPONSE_HEADERS = /^(content-type|content-encoding|retry-after|x-request-id|request-id|openai-.*|x-ratelimit-.*|anthropic-.*|cache-control)$/

const encoder = new TextEncoder()

/** How an OpenAI stream reports a failure after the 200 is already sent. */
const sseErrorEvent = (message: string) =>
  encoder.encode(`data: ${JSON.stringify(openAiErrorBody(message, "server_error", { code: "upstream_error" }))}\n\n`)

const upstreamFailure = (error: UpstreamError) =>
  openAiError(error.status ?? 502, error.message, "server_error", { code: "upstream_error" })

export const forward = Effect.fnUntraced(function*(route: Route, path: string, body: JsonObject, accept: string | undefined) {
  const client = yield* HttpClient.HttpClient
  const timeout = Duration.seconds(route.timeoutSeconds)
  const request = HttpClientRequest.post(`${route.baseUrl}${path}`).pipe(
    HttpClientRequest.setHeaders(Redacted.value(route.auth.headers)),
    HttpClientRequest.setHeader("accept", accept ?? "application/json"),
    HttpClientRequest.bodyText(JSON.stringify({ ...body, model: route.upstreamModel }), "application/json")
  )

  const response = yield* client.execute(request).pipe(
    Effect.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(route.host, route.timeoutSeconds)) })
  )

  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (PASSED_RESPONSE_HEADERS.test(name)) headers[name] = value
  }
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
  const body$ = response.stream.pipe(
    Stream.mapError((error) => transportError(route.host, error.reason.cause ?? error.reason)),
    idleTimeout,
    Stream.catch((error: UpstreamError) =>
      isSse ? Stream.succeed(sseErrorEvent(scrub(error.message, route.auth.secrets))) : Stream.fail(error)
    )
  )
  return HttpServerResponse.stream(body$, { status: response.status, headers })
}, Effect.catchTag("UpstreamError", (error) => Effect.succeed(upstreamFailure(error))))
