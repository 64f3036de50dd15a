/**
 * Rate limits and budgets per gateway key, on the request path: which key a request presents
 * (`identify`, over the cached hashes of `GatewayKeys`), whether it has limits, `admit` before the
 * upstream is called (its estimated tokens and cost reserved in the key's counters, atomically:
 * `BudgetStore`), and `settle` once the answer is over (the estimate replaced by what it used,
 * called by the usage recorder).
 *
 * A dollar budget never refuses a local model, and local requests add $0 to it; requests and
 * tokens per minute count every request. A counter store that fails (the database down) lets
 * requests through, logged: like the ledger, a broken database never fails a request.
 */
import { Context, Effect, Layer, Schedule, Schema } from "effect"
import { presentedKeys } from "./GatewayKey.ts"
import { GatewayKeys } from "./GatewayKeys.ts"
import { BudgetStore, type BudgetStoreError, type KeyUsage, type Reservation } from "./BudgetStore.ts"
import { refusalMessage, retryAfterSeconds, windowOf } from "./KeyLimits.ts"

/** A request refused by one of its key's limits: a 429 with `retry-after`. */
export class LimitExceeded extends Schema.TaggedError<LimitExceeded>()("LimitExceeded", {
  limit: Schema.Literals(["rpm", "tpm", "budget_day", "budget_month"]),
  retryAfterSeconds: Schema.Number,
  message: Schema.String
}) {}

/** A request let through: what `settle` needs. */
export interface Admission {
  readonly keyId: string
  readonly local: boolean
  /** What was counted; undefined when the counters could not be written (nothing to correct). */
  readonly reservation: Reservation | undefined
}

export interface AdmitRequest {
  readonly local: boolean
  readonly estimatedTokens: number
  /** Dollars; null when the price is unknown (nothing is reserved, but a spent budget still refuses). */
  readonly estimatedCostUsd: number | null
}

export interface Usage {
  readonly tokens: number
  /** Dollars; null when unknown: the estimate stays counted. */
  readonly costUsd: number | null
}

export class Budgets extends Context.Service<Budgets, {
  /** The id of the current key a request presents, if any (sync, cached hashes). */
  readonly identify: (headers: Readonly<Record<string, string | undefined>>) => string | undefined
  /** Whether the key has any limit (sync): only those requests are admitted. */
  readonly hasLimits: (keyId: string) => boolean
  readonly admit: (keyId: string, request: AdmitRequest) => Effect.Effect<Admission, LimitExceeded>
  readonly settle: (admission: Admission, usage: Usage) => Effect.Effect<void>
  /** The keys' counters now (minute, UTC day, UTC month), for `keys list` and the admin API. */
  readonly usage: Effect.Effect<ReadonlyMap<string, KeyUsage>, BudgetStoreError>
  /** A request's estimated cost in dollars before the call, or null when its price is unknown. */
  readonly estimateCost: EstimateCost
}>()("switchboard/Budgets") {
  /** Over the `GatewayKeys` and `BudgetStore` at hand, no prices known yet; prunes old windows every 10 minutes. */
  static readonly layer = Layer.effect(Budgets, Effect.suspend(() => make(() => null)))
  /** With a way to price an estimate (`Prices.priceOf`, wired by the gateway). */
  static readonly layerWith = (estimateCost: EstimateCost) => Layer.effect(Budgets, Effect.suspend(() => make(estimateCost)))
}

/** Prices a request's estimated tokens on a route, before the call: dollars, or null when unknown. */
export type EstimateCost = (
  route: { readonly providerId: string; readonly upstreamModel: string },
  tokens: { readonly input: number; readonly output: number }
) => number | null

const now = Effect.clockWith((clock) => clock.currentTimeMillis)

const make = (estimateCost: EstimateCost) => Effect.gen(function*() {
  const keys = yield* GatewayKeys
  const store = yield* BudgetStore
  yield* Effect.forkScoped(
    Effect.flatMap(now, store.prune).pipe(Effect.ignore, Effect.repeat(Schedule.spaced("10 minutes")))
  )
  return Budgets.of({
    identify: (headers) => {
      for (const presented of presentedKeys(headers)) {
        const id = keys.identify(presented)
        if (id !== undefined) return id
      }
      return undefined
    },
    hasLimits: (keyId) => keys.limitsOf(keyId) !== undefined,
    admit: (keyId, request) =>
      Effect.gen(function*() {
        const limits = keys.limitsOf(keyId) ?? {}
        const at = yield* now
        const estimate = { tokens: Math.max(0, Math.ceil(request.estimatedTokens)), costUsd: request.local ? 0 : request.estimatedCostUsd ?? 0, local: request.local }
        const outcome = yield* store.reserve(keyId, limits, estimate, at).pipe(
          Effect.tapError((error) => Effect.logWarning(`${error.message}; gateway key ${keyId}'s request let through unlimited`)),
          Effect.option
        )
        if (outcome._tag === "None") return { keyId, local: request.local, reservation: undefined }
        if (outcome.value._tag === "Reserved") return { keyId, local: request.local, reservation: outcome.value.reservation }
        const exceeded = outcome.value.exceeded
        const retryAfter = retryAfterSeconds(windowOf(exceeded), at)
        return yield* new LimitExceeded({ limit: exceeded, retryAfterSeconds: retryAfter, message: refusalMessage(exceeded, limits, retryAfter) })
      }),
    settle: (admission, usage) => {
      const reservation = admission.reservation
      if (reservation === undefined) return Effect.void
      const actual = {
        tokens: Math.max(0, Math.ceil(usage.tokens)),
        costUsd: admission.local ? 0 : usage.costUsd ?? reservation.costUsd
      }
      return store.settle(reservation, actual).pipe(
        Effect.catch((error) => Effect.logWarning(`${error.message}; gateway key ${admission.keyId}'s request not settled`))
      )
    },
    usage: Effect.flatMap(now, store.usage),
    estimateCost
  })
})
