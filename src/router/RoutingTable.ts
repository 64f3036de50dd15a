/**
 * Which provider serves which model. Rebuilt whenever a provider's state changes (rare), read
 * on every request (often): so the request path does one or two map look-ups and nothing else.
 */
import type { ProviderId } from "../config/RemoteConfig.ts"
import type { Upstream } from "../providers/Upstream.ts"

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
}

export const emptyRoutingTable: RoutingTable = { routes: [], byQualifiedId: new Map(), byUpstreamId: new Map() }

export const buildRoutingTable = (providers: Iterable<RoutableProvider>): RoutingTable => {
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
  return { routes, byQualifiedId, byUpstreamId }
}

export type Resolution =
  | { readonly _tag: "Found"; readonly route: Route }
  | { readonly _tag: "NotFound"; readonly model: string }
  | { readonly _tag: "Ambiguous"; readonly model: string; readonly candidates: ReadonlyArray<string> }

/**
 * `<providerId>/<upstreamId>` first (upstream ids may themselves hold a slash, e.g. OpenRouter's
 * `openai/gpt-4o`), then a bare upstream id when exactly one connected provider serves it.
 */
export const resolveModel = (table: RoutingTable, model: string): Resolution => {
  const qualified = table.byQualifiedId.get(model)
  if (qualified) return { _tag: "Found", route: qualified }
  const bare = table.byUpstreamId.get(model)
  if (!bare || bare.length === 0) return { _tag: "NotFound", model }
  if (bare.length === 1) return { _tag: "Found", route: bare[0]! }
  return { _tag: "Ambiguous", model, candidates: bare.map((route) => route.qualifiedId) }
}
