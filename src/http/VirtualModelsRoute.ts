/**
 * `GET /v1/virtual-models`: every virtual model with its targets as routing sees them now — which
 * connected provider serves each, that provider's state, the target's circuit breaker — and the
 * entries of remote.json that were left out, with why. The admin API lists the same
 * (`/admin/virtual-models`), and `/health` a summary.
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import type { TargetStatus, VirtualModelList, VirtualModelStatus } from "../admin/AdminApi.ts"
import { Providers, type ProviderStatus } from "../providers/Providers.ts"
import { stateName } from "../providers/ProviderState.ts"
import { clashes, routeFor, type RoutingTable } from "../router/RoutingTable.ts"
import { TargetHealth, type TargetHealthRegistry } from "../router/TargetHealth.ts"
import type { TargetList, VirtualModel } from "../router/VirtualModels.ts"

const targetsJson = (
  list: TargetList,
  table: RoutingTable,
  providers: ReadonlyMap<string, ProviderStatus>,
  health: TargetHealthRegistry
): Array<TargetStatus> =>
  list.targets.map((target) => {
    const route = routeFor(table, target.model)
    const slash = target.model.indexOf("/")
    const providerId = route?.providerId ?? (slash > 0 ? target.model.slice(0, slash) : undefined)
    const provider = providerId === undefined ? undefined : providers.get(providerId)
    const breaker = health.view(route?.qualifiedId ?? target.model)
    return {
      model: target.model,
      weight: target.weight,
      serves: route?.qualifiedId ?? null,
      provider: provider?.id ?? providerId ?? null,
      provider_state: provider === undefined ? null : stateName(provider.state),
      breaker: { state: breaker.state, failures: breaker.failures, open_until: breaker.openUntil, last_failure: breaker.lastFailure },
      available: route !== undefined && health.isAvailable(route.qualifiedId)
    }
  })

export const virtualModelJson = (
  model: VirtualModel,
  table: RoutingTable,
  providers: ReadonlyMap<string, ProviderStatus>,
  health: TargetHealthRegistry
): VirtualModelStatus => ({
  id: model.name,
  object: "virtual_model",
  strategy: model.list.strategy,
  description: model.config.description ?? null,
  targets: targetsJson(model.list, table, providers, health),
  rules: model.rules.map((rule) => ({ name: rule.name, when: rule.when, targets: targetsJson(rule.list, table, providers, health) })),
  system: model.system ?? null,
  defaults: model.defaults ?? null
})

/** Every virtual model in configuration order, as the listings show them. */
export const virtualModelList: Effect.Effect<VirtualModelList, never, Providers | TargetHealth> = Effect.gen(function*() {
  const providers = yield* Providers
  const health = yield* TargetHealth
  const table = yield* providers.routingTable
  const statuses = new Map((yield* providers.list).map((status) => [status.id as string, status]))
  return {
    object: "list",
    data: Array.from(table.virtual.models.values(), (model) => virtualModelJson(model, table, statuses, health)),
    problems: table.virtual.problems,
    warnings: clashes(table)
  }
})

export const VirtualModelsRoutes = HttpRouter.addAll([
  HttpRouter.route("GET", "/v1/virtual-models", Effect.map(virtualModelList, (list) => HttpServerResponse.jsonUnsafe(list)))
])
