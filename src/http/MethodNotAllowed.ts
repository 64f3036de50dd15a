/**
 * A known API path asked with the wrong method (`GET /v1/chat/completions`): a 405 with `Allow`,
 * in the endpoint's own format, so a client sees its mistake (a 404 would say the path is wrong).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#name-405-method-not-allowed
 */
import { Effect } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import type { HttpFormat } from "./Formats.ts"

/** The answer to a request for one of `format`'s endpoints with a method other than POST. */
export const methodNotAllowed = (format: HttpFormat): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
    format.renderError({
      status: 405,
      kind: "invalid_request",
      message: `Method ${request.method} is not allowed on ${request.url.split("?")[0]}: send POST.`,
      code: "method_not_allowed",
      headers: { allow: "POST" }
    }))
