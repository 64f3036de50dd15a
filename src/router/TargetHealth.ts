/**
 * The circuit breakers of every target a virtual model has sent requests to, keyed by the
 * target's qualified model id (`<provider>/<model>`): shared by every virtual model that names it,
 * kept across configuration reloads (a reload does not make a failing provider healthy).
 *
 * Synchronous on purpose: the fast lane consults it per request with no Effect. Time comes from
 * the Effect `Clock` the layer is built with, so tests drive breakers with `TestClock`.
 */
import { Context, Effect, Layer } from "effect"
import * as Breaker from "./Breaker.ts"

/** A breaker as listings show it. */
export interface TargetHealthView {
  readonly state: "closed" | "open" | "half_open"
  /** Failures in a row (closed), or trips in a row (open, half-open). */
  readonly failures: number
  /** When an open breaker lets a probe through (ISO 8601), else null. */
  readonly openUntil: string | null
  /** Why the last attempt failed, while that matters (until a success). */
  readonly lastFailure: string | null
}

export interface TargetHealthRegistry {
  /** Whether requests may go to `target` now, without taking anything (for ordering). */
  readonly isAvailable: (target: string) => boolean
  /** A request goes to `target` now: false when its breaker is open (or half-open with a probe under way). */
  readonly admit: (target: string) => boolean
  readonly record: (target: string, outcome: Breaker.Outcome) => void
  readonly view: (target: string) => TargetHealthView
  /** The moment `target` may be tried again (0: now), to order targets that all cool down. */
  readonly availableAt: (target: string) => number
}

export const makeRegistry = (now: () => number, policy: Breaker.BreakerPolicy = Breaker.defaultPolicy): TargetHealthRegistry => {
  const breakers = new Map<string, Breaker.BreakerState>()
  const stateOf = (target: string) => breakers.get(target) ?? Breaker.closed
  return {
    // Most targets never failed: no entry, no work.
    isAvailable: (target) => {
      const state = breakers.get(target)
      return state === undefined || Breaker.isAvailable(policy, state, now())
    },
    admit: (target) => {
      const state = breakers.get(target)
      if (state === undefined) return true
      const [admitted, next] = Breaker.admit(policy, state, now())
      breakers.set(target, next)
      return admitted
    },
    record: (target, outcome) => {
      const state = breakers.get(target)
      if (state === undefined && outcome._tag === "Success") return
      const next = Breaker.record(policy, state ?? Breaker.closed, outcome, now())
      if (next === Breaker.closed) breakers.delete(target)
      else breakers.set(target, next)
    },
    view: (target) => {
      const state = Breaker.current(stateOf(target), now())
      switch (state._tag) {
        case "Closed":
          return { state: "closed", failures: state.failures, openUntil: null, lastFailure: state.lastFailure ?? null }
        case "Open":
          return { state: "open", failures: state.trips, openUntil: new Date(state.until).toISOString(), lastFailure: state.lastFailure }
        case "HalfOpen":
          return { state: "half_open", failures: state.trips, openUntil: null, lastFailure: state.lastFailure }
      }
    },
    availableAt: (target) => {
      const state = breakers.get(target)
      return state?._tag === "Open" ? state.until : 0
    }
  }
}

export class TargetHealth extends Context.Service<TargetHealth, TargetHealthRegistry>()("switchboard/TargetHealth") {
  /** Breakers with `policy`, on the layer's clock (`TestClock` in tests). */
  static readonly layerWith = (policy: Breaker.BreakerPolicy) =>
    Layer.effect(
      TargetHealth,
      Effect.clockWith((clock) => Effect.succeed(makeRegistry(() => clock.currentTimeMillisUnsafe(), policy)))
    )

  /** Breakers with the default policy. */
  static readonly layer = TargetHealth.layerWith(Breaker.defaultPolicy)
}
