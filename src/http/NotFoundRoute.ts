/**
 * Anything no route matched: a 404 in the OpenAI error shape, the format most callers speak.
 *
 * Two kinds of path never reach the catch-all route, because the router cannot match them at all:
 * a malformed percent-encoding (`/%zz`) and a path segment longer than the router's parameter
 * limit. The router fails those with `RouteNotFound`, which would be an empty 404; a global
 * middleware answers them with the same body.
 */
import { Cause, Effect, Layer, Option } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest } from "effect/http"
import { openAiError } from "./OpenAiError.ts"

const notFound = (request: HttpServerRequest.HttpServerRequest) =>
  openAiError(404, `Unknown request URL: ${request.method} ${request.url.split("?")[0]}. Switchboard serves the OpenAI API under /v1.`, "invalid_request_error", { code: "unknown_url" })

const isRouteNotFound = (error: unknown): boolean =>
  HttpServerError.isHttpServerError(error) && error.reason._tag === "RouteNotFound"

// Every other failure is passed on as it was (the middleware must not claim to handle them).
const unmatchable = HttpRouter.middleware((effect) =>
  Effect.catchCause(effect, (cause) =>
    Cause.findErrorOption(cause).pipe(Option.filter(isRouteNotFound), Option.isSome)
      ? Effect.map(HttpServerRequest.HttpServerRequest, notFound)
      : Effect.failCause(cause)), { global: true })

export const NotFoundRoute = Layer.mergeAll(
  HttpRouter.add("*", "/*", Effect.map(HttpServerRequest.HttpServerRequest, notFound)),
  unmatchable
)
