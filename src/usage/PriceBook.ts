/**
 * What pricing needs to know of the configured providers — each one's preset and its `"prices"`
 * overrides from remote.json — kept current as the file changes. Read by the usage recorder (the
 * cost of a finished request) and by the budgets (the estimate reserved before one is sent), so
 * both price alike (`Prices.priceOf`).
 */
import { Context, Effect, Layer, Option, Stream } from "effect"
import { ConfigStore } from "../config/ConfigStore.ts"
import { modelPrices, type RemoteConfig } from "../config/RemoteConfig.ts"
import { presetOf, type PricedProvider, priceOf } from "./Prices.ts"

/** Each provider's preset and price overrides, by id. */
export const pricedProviders = (config: RemoteConfig): ReadonlyMap<string, PricedProvider> => {
  const map = new Map<string, PricedProvider>()
  for (const provider of config.providers) map.set(provider.id, { preset: provider.preset, prices: modelPrices(provider) })
  return map
}

export class PriceBook extends Context.Service<PriceBook, {
  /** The providers as remote.json says now. */
  readonly providers: () => ReadonlyMap<string, PricedProvider>
  /** The price of `tokens` on a route, before the call: dollars, or null when unknown. */
  readonly estimate: (
    route: { readonly providerId: string; readonly upstreamModel: string },
    tokens: { readonly input: number; readonly output: number }
  ) => number | null
}>()("switchboard/PriceBook") {
  static readonly layer = Layer.effect(
    PriceBook,
    Effect.gen(function*() {
      const config = yield* ConfigStore
      let current: ReadonlyMap<string, PricedProvider> = new Map()
      const initial = yield* Effect.option(config.load)
      if (Option.isSome(initial)) current = pricedProviders(initial.value)
      yield* config.changes.pipe(
        Stream.runForEach((change) => Effect.sync(() => change._tag === "Loaded" ? void (current = pricedProviders(change.config)) : undefined)),
        Effect.forkScoped
      )
      return PriceBook.of({
        providers: () => current,
        estimate: (route, tokens) =>
          priceOf({
            providerId: route.providerId,
            preset: presetOf(current, route.providerId),
            upstreamModel: route.upstreamModel,
            tokens: { input: tokens.input, output: tokens.output, cachedRead: null, cacheWrite: null, reasoning: null },
            reportedCostUsd: null,
            override: current.get(route.providerId)?.prices.get(route.upstreamModel),
            at: new Date()
          }).costUsd
      })
    })
  )
}
