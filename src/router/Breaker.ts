/**
 * The circuit breaker of one target (a provider's model), as a pure transition function over
 * explicit time: the registry (`TargetHealth.ts`) keeps one per target and asks it two things —
 * may a request go there now (`admit`), and what an attempt's outcome does to it (`record`).
 *
 * - `Closed`: requests go through; consecutive failures are counted, and `threshold` of them in a
 *   row trip it open. A failure that says when to come back (`Retry-After` on a 429 or 503) trips
 *   it at once, for that long: the provider said so, and asking again sooner only adds to its load.
 * - `Open`: skipped until `until`. Each trip without a success in between waits twice as long as
 *   the one before (`baseCooldownMs` · 2^(trips−1), at most `maxCooldownMs`): a target that stays
 *   down is asked less and less, one that comes back is found within minutes, never written off.
 * - `HalfOpen`: the cool-down is over; one request (the probe) goes through, the others keep
 *   skipping the target until it answers. Its success closes the breaker and forgets the trips;
 *   its failure opens it again, longer. A probe that never reports (its caller went away) stops
 *   blocking after `probeTimeoutMs`.
 *
 * A success is any answer the target gave (a 400 for a bad request too: the target is fine).
 */

export interface BreakerPolicy {
  /** Consecutive failures that open a closed breaker. */
  readonly threshold: number
  /** The first cool-down; each further trip without a success doubles it. */
  readonly baseCooldownMs: number
  readonly maxCooldownMs: number
  /** How long a half-open breaker waits for its probe's outcome before letting another through. */
  readonly probeTimeoutMs: number
}

export const defaultPolicy: BreakerPolicy = {
  threshold: 3,
  baseCooldownMs: 5_000,
  maxCooldownMs: 5 * 60_000,
  probeTimeoutMs: 60_000
}

export type BreakerState =
  | { readonly _tag: "Closed"; readonly failures: number; readonly lastFailure: string | undefined }
  | { readonly _tag: "Open"; readonly until: number; readonly trips: number; readonly lastFailure: string }
  | { readonly _tag: "HalfOpen"; readonly trips: number; readonly probeSince: number | undefined; readonly lastFailure: string }

export const closed: BreakerState = { _tag: "Closed", failures: 0, lastFailure: undefined }

export type Outcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly reason: string; readonly retryAfterMs?: number | undefined }

export const success: Outcome = { _tag: "Success" }

/** How long the `trips`-th trip in a row keeps the breaker open. */
export const cooldown = (policy: BreakerPolicy, trips: number): number =>
  Math.min(policy.maxCooldownMs, policy.baseCooldownMs * 2 ** Math.max(0, trips - 1))

const open = (policy: BreakerPolicy, now: number, trips: number, failure: Extract<Outcome, { _tag: "Failure" }>): BreakerState => ({
  _tag: "Open",
  trips,
  until: now + (failure.retryAfterMs !== undefined ? Math.min(policy.maxCooldownMs, failure.retryAfterMs) : cooldown(policy, trips)),
  lastFailure: failure.reason
})

/** The state after an attempt's outcome. */
export const record = (policy: BreakerPolicy, state: BreakerState, outcome: Outcome, now: number): BreakerState => {
  if (outcome._tag === "Success") return closed
  switch (state._tag) {
    case "Closed": {
      const failures = state.failures + 1
      return failures >= policy.threshold || outcome.retryAfterMs !== undefined
        ? open(policy, now, 1, outcome)
        : { _tag: "Closed", failures, lastFailure: outcome.reason }
    }
    case "Open":
      // A request that was under way when the breaker opened: it is open already.
      return state
    case "HalfOpen":
      return open(policy, now, state.trips + 1, outcome)
  }
}

/** Where the breaker is at `now`: an open breaker whose cool-down is over is half-open. */
export const current = (state: BreakerState, now: number): BreakerState =>
  state._tag === "Open" && now >= state.until
    ? { _tag: "HalfOpen", trips: state.trips, probeSince: undefined, lastFailure: state.lastFailure }
    : state

/** Whether a request may go to the target now without taking anything (ordering, listings). */
export const isAvailable = (policy: BreakerPolicy, state: BreakerState, now: number): boolean => {
  const at = current(state, now)
  switch (at._tag) {
    case "Closed":
      return true
    case "Open":
      return false
    case "HalfOpen":
      return at.probeSince === undefined || now - at.probeSince >= policy.probeTimeoutMs
  }
}

/**
 * A request asks to go to the target now: whether it may, and the state after (a half-open
 * breaker lets this one through as its probe, and the others not until the probe reports).
 */
export const admit = (policy: BreakerPolicy, state: BreakerState, now: number): readonly [boolean, BreakerState] => {
  const at = current(state, now)
  if (!isAvailable(policy, at, now)) return [false, at]
  return at._tag === "HalfOpen" ? [true, { ...at, probeSince: now }] : [true, at]
}
