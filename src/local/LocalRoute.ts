/**
 * Serving a request with a local model: the caller's body → canonical request (the inbound
 * format's own decoder) → `LocalModels` → canonical events → the caller's format (its own
 * encoders, as `Translate` does for remote providers). Nothing here knows a wire format.
 *
 * Before any byte is sent the model is loaded and its queue checked, so a missing or corrupt model
 * or a full queue is an HTTP error in the caller's format (500, 503) rather than a broken stream.
 * `x-switchboard-queue-position` tells how many requests were ahead (0: served at once). The
 * client going away interrupts the response stream, which aborts the generation and frees the queue.
 */
import { Effect, Option, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { type Request, streamError } from "../formats/Canonical.ts"
import type { InvalidRequest, UnsupportedField } from "../formats/FormatError.ts"
import * as Sse from "../formats/Sse.ts"
import type { HttpFormat } from "../http/Formats.ts"
import type { JsonObject } from "../http/RequestBody.ts"
import type { Route } from "../router/RoutingTable.ts"
import { collectResponse } from "./CollectResponse.ts"
import { GenerationFailed } from "./LocalEngine.ts"
import { type LocalModelError, LocalModels } from "./LocalModels.ts"
import { toTurns } from "./LocalRequest.ts"

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } as const

/** A local model's failure as the caller's error response. */
const localFailure = (inbound: HttpFormat, error: LocalModelError) => {
  switch (error._tag) {
    case "LocalModelNotFound":
      return inbound.renderError({ status: 404, kind: "not_found", message: error.message, param: "model", code: "model_not_found" })
    case "QueueFull":
      return inbound.renderError({ status: 503, kind: "overloaded", message: error.message, code: "queue_full", headers: { "retry-after": "1" } })
    case "ModelLoadFailed":
      return inbound.renderError({ status: 500, kind: "server", message: error.message, code: "model_load_failed" })
    case "GenerationFailed":
      return inbound.renderError({ status: 500, kind: "server", message: error.message, code: "generation_failed" })
  }
}

/** The caller's request does not decode, or asks for what a local model cannot do. */
const formatFailure = (inbound: HttpFormat, error: InvalidRequest | UnsupportedField) =>
  inbound.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param })

export const serveLocal = Effect.fnUntraced(function*(route: Route, inbound: HttpFormat, body: JsonObject) {
  const service = yield* Effect.serviceOption(LocalModels)
  if (Option.isNone(service)) {
    return inbound.renderError({ status: 503, kind: "overloaded", message: "local models are not available in this gateway" })
  }
  const local = service.value
  const canonical: Request = { ...(yield* inbound.decodeRequest(body)), model: route.upstreamModel }
  yield* toTurns(canonical)
  const admission = yield* local.prepare(route.upstreamModel)
  const headers = { "x-switchboard-queue-position": String(admission.ahead) }
  const events = local.generate(route.upstreamModel, canonical)

  if (!canonical.stream) {
    const answer = yield* collectResponse(events).pipe(
      Effect.catch((error) =>
        Effect.fail("_tag" in error ? error : new GenerationFailed({ model: route.upstreamModel, reason: error.message }))
      )
    )
    return HttpServerResponse.jsonUnsafe(inbound.encodeResponse(answer, canonical), { headers })
  }
  // A failure after the answer started ends the stream with the caller's own error event.
  const out = events.pipe(
    Stream.catch((error) => Stream.succeed(streamError(error._tag === "QueueFull" ? "overloaded" : "server", error.message))),
    inbound.encodeStream(canonical),
    Sse.encodeBytes
  )
  return HttpServerResponse.stream(out, { headers: { ...headers, ...SSE_HEADERS } })
}, (effect, _route, inbound) =>
  effect.pipe(
    Effect.catchTags({
      LocalModelNotFound: (error) => Effect.succeed(localFailure(inbound, error)),
      QueueFull: (error) => Effect.succeed(localFailure(inbound, error)),
      ModelLoadFailed: (error) => Effect.succeed(localFailure(inbound, error)),
      GenerationFailed: (error) => Effect.succeed(localFailure(inbound, error)),
      InvalidRequest: (error) => Effect.succeed(formatFailure(inbound, error)),
      UnsupportedField: (error) => Effect.succeed(formatFailure(inbound, error))
    })
  ))
