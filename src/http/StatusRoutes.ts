/**
 * `GET /health` (liveness and a per-provider summary) and `GET /v1/providers`: what each
 * provider is doing (`/admin/providers` adds settings and secret presence, see src/admin/).
 * Never a secret: statuses are built from `ProviderStatus`, which holds none.
 */
import { Effect, Option } from "effect"
import { Ledger } from "../usage/Ledger.ts"
import { UsageRecorder } from "../usage/UsageRecorder.ts"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { ConfigSync } from "../providers/ConfigSync.ts"
import { ServerLoad } from "./ServerLoad.ts"
import { virtualModelList } from "./VirtualModelsRoute.ts"
import { type ProviderStatus, Providers } from "../providers/Providers.ts"
import { servedModels, stateName } from "../providers/ProviderState.ts"
import { SecretStore } from "../secrets/SecretStore.ts"

/** The JSON form of a provider's status, shared by the status endpoints and the state stream. */
export const providerStatusJson = (status: ProviderStatus) => {
  const state = status.state
  return {
    id: status.id,
    name: status.name,
    format: status.format,
    base_url: status.baseUrl,
    state: stateName(state),
    error: state._tag === "Error" ? state.reason : null,
    retrying: state._tag === "Error" ? state.retrying : null,
    model_count: servedModels(state).length,
    models: servedModels(state),
    since: state._tag === "Connected" || state._tag === "Error" ? new Date(state.at).toISOString() : null,
    built_in: status.builtIn,
    // Providers that know each model's state (local engines: unloaded, loading, loaded, error; queue).
    ...(status.modelStates !== undefined ? { model_states: status.modelStates } : {})
  }
}

const providersJson = Effect.gen(function*() {
  const providers = yield* Providers
  return (yield* providers.list).map(providerStatusJson)
})

const health = Effect.gen(function*() {
  const providers = yield* providersJson
  const config = yield* (yield* ConfigSync).status
  const secrets = yield* SecretStore
  const load = yield* Effect.serviceOption(ServerLoad)
  const virtual = yield* virtualModelList
  const ledger = yield* Effect.serviceOption(Ledger)
  const recorder = yield* Effect.serviceOption(UsageRecorder)
  return HttpServerResponse.jsonUnsafe({
    status: "ok",
    config: { path: config.path, error: config.error, warnings: config.warnings },
    secrets: { backend: secrets.backend, error: secrets.unavailable },
    providers: providers.map(({ models: _models, ...summary }) => summary),
    // Each virtual model's targets: served now or not, and their breakers; names that hide a provider's model.
    virtual_models: virtual.data.map((model) => ({
      id: model.id,
      strategy: model.strategy,
      targets: model.targets.map((target) => ({ model: target.model, serves: target.serves, available: target.available, breaker: target.breaker.state, last_failure: target.breaker.last_failure }))
    })),
    virtual_model_warnings: [...virtual.problems.map((problem) => problem.message), ...virtual.warnings],
    // The usage ledger: where, whether its writes succeed (a failing one never fails a request: it shows here).
    ledger: Option.isSome(ledger)
      ? {
        ...(yield* ledger.value.status),
        dropped_observations: Option.isSome(recorder) ? yield* recorder.value.dropped : 0
      }
      : null,
    // Leak checks: both fall back to their resting values when traffic stops (null: not Switchboard's own server).
    runtime: {
      open_requests: Option.isSome(load) ? load.value.openRequests() : null,
      provider_fibers: yield* (yield* Providers).actorFibers
    }
  })
})

const list = Effect.map(providersJson, (data) => HttpServerResponse.jsonUnsafe({ object: "list", data }))

export const StatusRoutes = HttpRouter.addAll([
  HttpRouter.route("GET", "/health", health),
  HttpRouter.route("GET", "/v1/providers", list)
])
