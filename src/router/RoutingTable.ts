/**
 * Which provider serves which model. Rebuilt whenever a provider's state changes (rare), read
 * on every request (often): so the request path does one or two map look-ups and nothing else.
 */
import type { ProviderId } from "../config/RemoteConfig.ts"
import type { Upstream } from "../providers/Upstream.ts"
import { type CompiledVirtualModels, noVirtualModels, type VirtualModel } from "./VirtualModels.ts"

/** Where one model's requests go. */
export interface Route {
  readonly providerId: ProviderId
  readonly providerName: string
  /** The model id the provider knows. */
  readonly upstreamModel: string
  /** The id callers use: `<providerId>/<upstreamModel>`. */
  readonly qualifiedId: string
  /** The provider's way of answering: pass-through when it speaks the caller's format, `generate` otherwise. */
  readonly upstream: Upstream
}

/** A connected provider as the routing table needs it. */
export interface RoutableProvider {
  readonly id: ProviderId
  readonly name: string
  readonly upstream: Upstream
  readonly models: ReadonlyArray<string>
}

export interface RoutingTable {
  /** Every routable model, grouped by provider in configuration order. */
  readonly routes: ReadonlyArray<Route>
  readonly byQualifiedId: ReadonlyMap<string, Route>
  readonly byUpstreamId: ReadonlyMap<string, ReadonlyArray<Route>>
  /** The virtual models of remote.json: names that win over bare upstream ids. */
  readonly virtual: CompiledVirtualModels
}

export const emptyRoutingTable: RoutingTable = { routes: [], byQualifiedId: new Map(), byUpstreamId: new Map(), virtual: noVirtualModels }

export const buildRoutingTable = (providers: Iterable<RoutableProvider>, virtual: CompiledVirtualModels = noVirtualModels): RoutingTable => {
  const routes: Array<Route> = []
  const byQualifiedId = new Map<string, Route>()
  const byUpstreamId = new Map<string, Array<Route>>()
  for (const provider of providers) {
    for (const upstreamModel of provider.models) {
      const route: Route = {
        providerId: provider.id,
        providerName: provider.name,
        upstreamModel,
        qualifiedId: `${provider.id}/${upstreamModel}`,
        upstream: provider.upstream
      }
      routes.push(route)
      byQualifiedId.set(route.qualifiedId, route)
      const same = byUpstreamId.get(upstreamModel)
      if (same) same.push(route)
      else byUpstreamId.set(upstreamModel, [route])
    }
  }
  return { routes, byQualifiedId, byUpstreamId, virtual }
}

/** Virtual model names that hide a bare upstream id (the virtual model wins; the provider's model stays reachable qualified). */
export const clashes = (table: RoutingTable): ReadonlyArray<string> =>
  Array.from(table.virtual.models.keys()).flatMap((name) => {
    const hidden = table.byUpstreamId.get(name)
    return hidden === undefined
      ? []
      : [`virtual model "${name}" hides the model of the same name served by ${hidden.map((route) => route.providerId).join(", ")}: call it ${hidden.map((route) => route.qualifiedId).join(" or ")}`]
  })

export type Resolution =
  | { readonly _tag: "Found"; readonly route: Route }
  | { readonly _tag: "Virtual"; readonly model: VirtualModel }
  | { readonly _tag: "NotFound"; readonly model: string }
  | { readonly _tag: "Ambiguous"; readonly model: string; readonly candidates: ReadonlyArray<string> }

/**
 * `<providerId>/<upstreamId>` first (upstream ids may themselves hold a slash, e.g. OpenRouter's
 * `openai/gpt-4o`), then a virtual model (its name has no slash), then a bare upstream id when
 * exactly one connected provider serves it.
 */
export const resolveModel = (table: RoutingTable, model: string): Resolution => {
  const qualified = table.byQualifiedId.get(model)
  if (qualified) return { _tag: "Found", route: qualified }
  const virtual = table.virtual.models.size === 0 ? undefined : table.virtual.models.get(model)
  if (virtual !== undefined) return { _tag: "Virtual", model: virtual }
  return resolveBare(table, model)
}

/**
 * A real model only (a virtual model's targets, `GET /v1/models/{id}`): a qualified id, or a bare
 * id exactly one connected provider serves.
 */
export const routeFor = (table: RoutingTable, model: string): Route | undefined => {
  const qualified = table.byQualifiedId.get(model)
  if (qualified !== undefined) return qualified
  const bare = resolveBare(table, model)
  return bare._tag === "Found" ? bare.route : undefined
}

const resolveBare = (table: RoutingTable, model: string): Resolution => {
  const bare = table.byUpstreamId.get(model)
  if (!bare || bare.length === 0) return { _tag: "NotFound", model }
  if (bare.length === 1) return { _tag: "Found", route: bare[0]! }
  return { _tag: "Ambiguous", model, candidates: bare.map((route) => route.qualifiedId) }
}
