/**
 * `GET /v1/models` and `GET /v1/models/{id}`: every model of every connected provider, as
 * `<providerId>/<upstreamId>`, in the OpenAI list shape; `owned_by` names the provider.
 *
 * @see ../shared/specs/openai/openapi.yaml `listModels`, `retrieveModel`
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { Providers } from "../providers/Providers.ts"
import type { Route } from "../router/RoutingTable.ts"
import { openAiError } from "./OpenAiError.ts"

const modelObject = (route: Route, created: number) => ({
  id: route.qualifiedId,
  object: "model",
  created,
  owned_by: route.providerName,
  // Switchboard's additions, so clients can group models by provider.
  provider: route.providerId,
  upstream_id: route.upstreamModel
})

const connectedAt = (providers: Providers["Service"]) =>
  Effect.map(providers.list, (list) => {
    const at = new Map<string, number>()
    for (const p of list) if (p.state._tag === "Connected") at.set(p.id, Math.floor(p.state.at / 1000))
    return at
  })

const list = Effect.gen(function*() {
  const providers = yield* Providers
  const table = yield* providers.routingTable
  const created = yield* connectedAt(providers)
  return HttpServerResponse.jsonUnsafe({
    object: "list",
    data: table.routes.map((route) => modelObject(route, created.get(route.providerId) ?? 0))
  })
})

const retrieve = Effect.gen(function*() {
  const providers = yield* Providers
  const params = yield* HttpRouter.params
  // Qualified ids hold a slash, so the id is the rest of the path.
  const id = decodeURIComponent(params["*"] ?? "")
  const table = yield* providers.routingTable
  const route = table.byQualifiedId.get(id) ?? (table.byUpstreamId.get(id)?.length === 1 ? table.byUpstreamId.get(id)![0] : undefined)
  if (!route) {
    return openAiError(404, `The model \`${id}\` does not exist or no connected provider serves it.`, "invalid_request_error", { param: "model", code: "model_not_found" })
  }
  const created = yield* connectedAt(providers)
  return HttpServerResponse.jsonUnsafe(modelObject(route, created.get(route.providerId) ?? 0))
})

// The router's `/models/*` also matches `/models` itself (with an empty rest), so one route serves both.
const listOrRetrieve = Effect.flatMap(HttpRouter.params, (params) => (params["*"] ?? "") === "" ? list : retrieve)

export const ModelsRoutes = HttpRouter.addAll([
  HttpRouter.route("GET", "/v1/models/*", listOrRetrieve),
  HttpRouter.route("GET", "/models/*", listOrRetrieve)
])
