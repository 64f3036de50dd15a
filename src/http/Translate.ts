/**
 * Serving a request through the canonical hub: the caller's body is decoded to the canonical
 * request, answered by the route's `Upstream` (`generate`: a remote provider of another format, a
 * local engine — this module does not know which) and the answer encoded back in the caller's
 * format. Streams are translated event by event as they arrive (canonical events → the caller's
 * events → one write each), never buffered.
 *
 * Every failure reaches the caller in its own format: a request that does not decode is a 400
 * naming the field; an upstream's refusal keeps its status (`GenerateError`); a failure after the
 * answer started ends the stream with the caller's own error event.
 */
import { Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { Request, Usage } from "../formats/Canonical.ts"
import * as Sse from "../formats/Sse.ts"
import type { Route } from "../router/RoutingTable.ts"
import type { HttpFormat } from "./Formats.ts"
import type { JsonObject } from "./RequestBody.ts"
import { conversationProblem, noteUsage, SSE_HEADERS } from "./TranslateExchange.ts"


export const translate = Effect.fnUntraced(function*(
  route: Route,
  inbound: HttpFormat,
  body: JsonObject,
  /** Told the answer's usage, for the ledger (`TranslateExchange.noteUsage`). */
  onUsage?: (usage: Usage) => void
) {
  const canonical: Request = { ...(yield* inbound.decodeRequest(body)), model: route.upstreamModel }
  const problem = conversationProblem(inbound, canonical)
  if (problem !== undefined) return yield* problem
  const answer = yield* route.upstream.generate(canonical)
  if (answer._tag === "Complete") {
    if (onUsage !== undefined && answer.response.usage !== undefined) onUsage(answer.response.usage)
    return HttpServerResponse.jsonUnsafe(inbound.encodeResponse(answer.response, canonical), { headers: answer.headers })
  }
  const events = onUsage === undefined ? answer.events : answer.events.pipe(Stream.tap((event) => Effect.sync(() => noteUsage(event, onUsage))))
  const out = events.pipe(inbound.encodeStream(canonical), Sse.encodeBytes)
  return HttpServerResponse.stream(out, { headers: { ...answer.headers, ...SSE_HEADERS } })
}, (effect, _route, inbound) =>
  effect.pipe(
    Effect.catchTags({
      GenerateError: (error) => Effect.succeed(inbound.renderError(error)),
      InvalidRequest: (error) => Effect.succeed(inbound.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param })),
      UnsupportedField: (error) => Effect.succeed(inbound.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param }))
    })
  ))
