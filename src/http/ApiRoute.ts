/**
 * The request path shared by every inbound API endpoint: read the body just far enough to take
 * `model`, resolve it, then either pass the body through untouched (the provider speaks the
 * caller's format), or answer it through the canonical hub (`Translate.ts`: the route's `Upstream.generate`). Errors are answered in the caller's format.
 */
import { Effect, Option } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { Providers } from "../providers/Providers.ts"
import { resolveModel, type Route } from "../router/RoutingTable.ts"
import type { HttpFormat } from "./Formats.ts"
import { forward } from "./Forward.ts"
import { modelUnavailable } from "./ModelUnavailable.ts"
import { passThroughRoute } from "./PassThroughExchange.ts"
import { readJsonBody, requireModel } from "./RequestBody.ts"
import { translate } from "./Translate.ts"

/**
 * An endpoint only a provider of the caller's own format can answer (Anthropic's `count_tokens`:
 * counting needs the provider's tokenizer): same-format requests go to `upstream` (its
 * `upstreamPath`); the others get `elsewhere(route)`.
 */
export interface PassThroughOnly {
  readonly upstream: HttpFormat
  readonly elsewhere: (route: Route) => HttpServerResponse.HttpServerResponse
}

/** The handler of an endpoint that speaks `inbound`. */
export const apiHandler = (inbound: HttpFormat, only?: PassThroughOnly) =>
  Effect.gen(function*() {
    const providers = yield* Providers
    const request = yield* HttpServerRequest.HttpServerRequest
    const { json: body, text } = yield* readJsonBody
    const model = yield* requireModel(body)
    const resolution = resolveModel(yield* providers.routingTable, model)
    switch (resolution._tag) {
      case "NotFound": {
        // `<providerId>/…` of a provider that exists but does not serve it now: say why.
        const slash = model.indexOf("/")
        const provider = slash > 0 ? yield* Effect.option(providers.get(model.slice(0, slash))) : Option.none()
        if (Option.isSome(provider)) return inbound.renderError(modelUnavailable(model, provider.value))
        return inbound.renderError({
          status: 404,
          kind: "not_found",
          message: `The model \`${model}\` does not exist or no connected provider serves it. GET /v1/models lists the models available.`,
          param: "model",
          code: "model_not_found"
        })
      }
      case "Ambiguous":
        return inbound.renderError({
          status: 400,
          kind: "invalid_request",
          message: `The model \`${model}\` is served by several providers; name one of: ${resolution.candidates.join(", ")}`,
          param: "model",
          code: "model_ambiguous"
        })
      case "Found": {
        const route = resolution.route
        const passThrough = passThroughRoute(route, inbound)
        if (only !== undefined) {
          return passThrough !== undefined ? yield* forward(passThrough, only.upstream, text, request.headers) : only.elsewhere(route)
        }
        return passThrough !== undefined
          ? yield* forward(passThrough, inbound, text, request.headers)
          : yield* translate(route, inbound, body)
      }
    }
  }).pipe(
    Effect.catchTag("BadRequest", (error) =>
      Effect.succeed(inbound.renderError({ status: error.status, kind: "invalid_request", message: error.message, param: error.param })))
  )
