/**
 * `GET /v1/models` and `GET /v1/models/{id}`: every model of every connected provider, as
 * `<providerId>/<upstreamId>`; `owned_by` / `display_name` name the provider. Local models
 * (`local/<id>`, owned by "Local") also carry `state: { state, error, engine, running, waiting }`.
 * Virtual models (remote.json `virtualModels`) come first, by name, with `virtual: { strategy, targets }`.
 *
 * One body serves both SDKs: the OpenAI list shape (`object`, `created`, `owned_by`) and the
 * Anthropic one (`type`, `display_name`, `created_at`, `has_more`, `first_id`, `last_id`) have no
 * field in common that disagrees, so each client reads its own fields and ignores the others.
 *
 * @see ../shared/specs/openai/openapi.yaml `listModels`, `retrieveModel`
 * @see https://docs.anthropic.com/en/api/models-list
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import type { ModelState } from "../providers/ProviderActor.ts"
import { Providers } from "../providers/Providers.ts"
import { type Route, routeFor } from "../router/RoutingTable.ts"
import type { VirtualModel } from "../router/VirtualModels.ts"
import { openAiError } from "./OpenAiError.ts"

/** Per-model states of the providers that have them (local engines): whether a model is in memory, its queue, why it failed to load. */
const modelStates = (providers: Providers["Service"]) =>
  Effect.map(providers.list, (list) => {
    const states = new Map<string, ModelState>()
    for (const provider of list) for (const model of provider.modelStates ?? []) states.set(`${provider.id}/${model.id}`, model)
    return states
  })

const modelObject = (route: Route, created: number, states: ReadonlyMap<string, ModelState>) => {
  const state = states.get(route.qualifiedId)
  const contextLength = route.upstream.info(route.upstreamModel)?.contextLength
  return {
    id: route.qualifiedId,
    object: "model",
    created,
    owned_by: route.providerName,
    type: "model",
    display_name: `${route.upstreamModel} (${route.providerName})`,
    created_at: new Date(created * 1000).toISOString(),
    // Switchboard's additions, so clients can group models by provider and see local models' states.
    provider: route.providerId,
    upstream_id: route.upstreamModel,
    ...(contextLength !== undefined ? { context_length: contextLength } : {}),
    ...(state !== undefined ? { state: { state: state.state, error: state.error, engine: state.engine, running: state.running, waiting: state.waiting } } : {})
  }
}

/**
 * A virtual model as a model object: callers pick it like any other. `owned_by: "switchboard"`,
 * `provider: null`, and `virtual: { strategy, targets }` for clients that group or explain it.
 */
const virtualObject = (model: VirtualModel) => ({
  id: model.name,
  object: "model",
  created: 0,
  owned_by: "switchboard",
  type: "model",
  display_name: model.config.description ?? `${model.name} (virtual: ${model.list.targets.map((target) => target.model).join(model.list.strategy === "fallback" ? " → " : ", ")})`,
  created_at: new Date(0).toISOString(),
  provider: null,
  virtual: { strategy: model.list.strategy, targets: model.list.targets.map((target) => target.model) }
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
  const states = yield* modelStates(providers)
  const data = [
    // Virtual models first: they are the names a user set up to be called.
    ...Array.from(table.virtual.models.values(), virtualObject),
    ...table.routes.map((route) => modelObject(route, created.get(route.providerId) ?? 0, states))
  ]
  return HttpServerResponse.jsonUnsafe({
    object: "list",
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null
  })
})

const retrieve = Effect.gen(function*() {
  const providers = yield* Providers
  const params = yield* HttpRouter.params
  // Qualified ids hold a slash, so the id is the rest of the path.
  const id = decodeURIComponent(params["*"] ?? "")
  const table = yield* providers.routingTable
  const virtual = table.byQualifiedId.has(id) ? undefined : table.virtual.models.get(id)
  if (virtual !== undefined) return HttpServerResponse.jsonUnsafe(virtualObject(virtual))
  const route = routeFor(table, id)
  if (!route) {
    return openAiError(404, `The model \`${id}\` does not exist or no connected provider serves it.`, "invalid_request_error", { param: "model", code: "model_not_found" })
  }
  const created = yield* connectedAt(providers)
  return HttpServerResponse.jsonUnsafe(modelObject(route, created.get(route.providerId) ?? 0, yield* modelStates(providers)))
})

// The router's `/models/*` also matches `/models` itself (with an empty rest), so one route serves both.
const listOrRetrieve = Effect.flatMap(HttpRouter.params, (params) => (params["*"] ?? "") === "" ? list : retrieve)

export const ModelsRoutes = HttpRouter.addAll([
  HttpRouter.route("GET", "/v1/models/*", listOrRetrieve),
  HttpRouter.route("GET", "/models/*", listOrRetrieve)
])
