/**
 * `POST /v1/responses` (also `/responses`): Open Responses, as the Codex CLI and the OpenAI SDK's
 * `client.responses.create` / `client.responses.stream` send it; the same path as a WebSocket
 * (`GET` with `Upgrade: websocket`, the OpenAI SDK's `ResponsesWS`) is the spec's WebSocket
 * transport (`ResponsesSocket.ts`). To a `responses` provider the
 * body passes through untouched but for `model`; to a provider of another format it is
 * translated, statelessly. A body with `store: true` or a `previous_response_id` this gateway
 * stored is first made stateless (`StatefulResponses.ts`); a `previous_response_id` it did not
 * store is the provider's business (a translated one refuses it with a 400 naming the field).
 *
 * `POST /v1/responses/compact` is `ResponsesCompactRoute.ts`; `GET /v1/responses/{id}`, its
 * `input_items` and `DELETE` read and delete the responses stored with `store: true`
 * (`StoredResponsesRoute.ts`). Anything else under the path (`cancel`: nothing runs in the
 * background) is a 404 in the Responses error shape.
 *
 * @see https://www.openresponses.org/reference
 */
import { Effect, Option } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { apiHandler } from "./ApiRoute.ts"
import { openResponses } from "./Formats.ts"
import { methodNotAllowed } from "./MethodNotAllowed.ts"
import { compactHandler } from "./ResponsesCompactRoute.ts"
import { renderResponsesError } from "./ResponsesError.ts"
import * as ResponsesSocket from "./ResponsesSocket.ts"
import { storedResponseRoute } from "./StoredResponsesRoute.ts"
import { statefulResponse } from "./StatefulResponses.ts"
import { asksForState } from "../formats/open-responses/Continuation.ts"
import { peekJsonObject } from "./RequestBody.ts"

const handler = apiHandler(openResponses)

const unknown = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
  renderResponsesError({
    status: 404,
    kind: "not_found",
    message: `Unknown request URL: ${request.method} ${request.url.split("?")[0]}. It serves POST /v1/responses, POST /v1/responses/compact, and GET and DELETE /v1/responses/{id} (GET …/input_items) for responses stored with store: true.`,
    code: "unknown_url"
  }))

/** `/responses/*` also matches `/responses` itself (empty rest), so one handler dispatches, as for Messages. */
const responsesApi = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const rest = (yield* HttpRouter.params)["*"] ?? ""
  if (request.method === "POST" && rest === "") {
    const body = yield* peekJsonObject
    const stateful = body !== undefined && asksForState(body) ? yield* statefulResponse(body) : Option.none()
    return Option.isSome(stateful) ? stateful.value : yield* handler
  }
  if (request.method === "GET" && rest === "" && ResponsesSocket.isWebSocketUpgrade(request.headers)) return yield* ResponsesSocket.serve
  if (request.method === "POST" && rest === "compact") return yield* compactHandler
  if (rest === "" || rest === "compact") return yield* methodNotAllowed(openResponses)
  const stored = yield* storedResponseRoute(request, rest)
  return Option.isSome(stored) ? stored.value : yield* unknown
})

export const ResponsesRoutes = HttpRouter.addAll([
  HttpRouter.route("*", "/v1/responses/*", responsesApi),
  HttpRouter.route("*", "/responses/*", responsesApi)
])
