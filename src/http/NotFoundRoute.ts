/**
 * Anything no route matched: a 404 in the OpenAI error shape, the format most callers speak.
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { openAiError } from "./OpenAiError.ts"

export const NotFoundRoute = HttpRouter.add(
  "*",
  "/*",
  Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
    openAiError(404, `Unknown request URL: ${request.method} ${request.url.split("?")[0]}. Switchboard serves the OpenAI API under /v1.`, "invalid_request_error", { code: "unknown_url" }))
)
