/**
 * One request's way through a virtual model's targets: which target to try next, what each
 * attempt's outcome does (the breaker hears it, the log says why it failed), and the headers that
 * tell the caller how the answer was routed. Both lanes run requests through it, so a chain
 * behaves the same on the fast lane and on the Effect path.
 *
 * The order: the matching rule's targets (else the model's own); for `balance`, the one the
 * weighted round-robin picks among the targets that can be tried now, then the other available
 * ones by weight; for `fallback`, as configured. A target whose provider is not connected is passed
 * over (noted in the log, not an attempt). One whose breaker is open is kept for last: when every
 * target is cooling down, the request still goes to the one that recovers first rather than
 * failing without a try.
 */
import { GenerateError } from "../providers/Upstream.ts"
import type { Outcome } from "./Breaker.ts"
import type { Verdict } from "./Failover.ts"
import { type Route, routeFor, type RoutingTable } from "./RoutingTable.ts"
import { chooseList, type RuleInput } from "./Rules.ts"
import type { TargetHealthRegistry } from "./TargetHealth.ts"
import type { TargetList, VirtualModel, WeightedTarget } from "./VirtualModels.ts"

export const MODEL_HEADER = "x-switchboard-model"
export const PROVIDER_HEADER = "x-switchboard-provider"
export const ATTEMPTS_HEADER = "x-switchboard-attempts"
export const RULE_HEADER = "x-switchboard-rule"

/** The routing headers of an answer from `route` after `attempts` tries (never to be changed: the first try's are shared). */
export const routedHeaders = (route: Route, attempts: number, rule?: string): Readonly<Record<string, string>> => {
  if (attempts === 1 && rule === undefined) return firstTry(route)
  const headers: Record<string, string> = { [MODEL_HEADER]: route.qualifiedId, [PROVIDER_HEADER]: route.providerId, [ATTEMPTS_HEADER]: String(attempts) }
  if (rule !== undefined) headers[RULE_HEADER] = rule
  return headers
}

/** The usual case, a route answering at the first try, made once per route (routes live until the table is rebuilt). */
const firstTries = new WeakMap<Route, Readonly<Record<string, string>>>()
const firstTry = (route: Route): Readonly<Record<string, string>> => {
  let headers = firstTries.get(route)
  if (headers === undefined) {
    headers = { [MODEL_HEADER]: route.qualifiedId, [PROVIDER_HEADER]: route.providerId, [ATTEMPTS_HEADER]: "1" }
    firstTries.set(route, headers)
  }
  return headers
}


/**
 * Smooth weighted round-robin (as nginx balances upstreams) over the targets `eligible` allows:
 * each pick adds every eligible target's weight to its running weight, takes the largest, and
 * takes the total off it. Deterministic, and over any `sum(weights)` picks each target gets exactly
 * its share; a target left out (down) leaves its share to the others.
 */
export const pickBalanced = (list: TargetList, eligible: (index: number) => boolean): number | undefined => {
  let best: number | undefined
  let total = 0
  for (let i = 0; i < list.targets.length; i++) {
    if (!eligible(i)) continue
    const weight = list.targets[i]!.weight
    list.current[i]! += weight
    total += weight
    if (best === undefined || list.current[i]! > list.current[best]!) best = i
  }
  if (best !== undefined) list.current[best]! -= total
  return best
}

export interface ChainStep {
  readonly target: string
  readonly route: Route
}

export interface Chain {
  readonly model: VirtualModel
  /** The rule that chose the targets, if one did. */
  readonly rule: string | undefined
  /** The next target to try, or undefined when none is left. */
  readonly next: () => ChainStep | undefined
  /** The attempt on `step` failed in a way the next target may not (`Failover.verdictOf`). */
  readonly failed: (step: ChainStep, verdict: Extract<Verdict, { _tag: "FallOver" }>) => void
  /** The attempt on `step` answered (success, or an error of the caller's own): the answer is the caller's. */
  readonly answered: (step: ChainStep) => void
  /** Targets tried so far. */
  readonly attempts: () => number
  /** The routing headers for an answer from `step`. */
  readonly headers: (step: ChainStep) => Readonly<Record<string, string>>
  /** When no target could be tried at all: a 503 saying why, target by target. */
  readonly unavailable: () => GenerateError
}

export interface ChainOptions {
  readonly table: RoutingTable
  readonly health: TargetHealthRegistry
  /** Where the chain tells why it passed a target over or an attempt failed. */
  readonly log: (message: string) => void
}

export const makeChain = (model: VirtualModel, input: RuleInput, options: ChainOptions): Chain => {
  const { table, health, log } = options
  const chosen = model.rules.length === 0 ? { rule: undefined, list: model.list } : chooseList(model, input)
  const list = chosen.list
  const routes = list.targets.map((target) => routeFor(table, target.model))

  let order: ReadonlyArray<number>
  if (list.strategy === "balance") {
    const usable = (i: number) => routes[i] !== undefined && health.isAvailable(routes[i].qualifiedId)
    const picked = pickBalanced(list, usable)
    const rest = list.targets.map((_, i) => i).filter((i) => i !== picked)
    const byWeight = (a: number, b: number) => list.targets[b]!.weight - list.targets[a]!.weight
    order = [...(picked === undefined ? [] : [picked]), ...rest.filter(usable).sort(byWeight), ...rest.filter((i) => !usable(i))]
  } else {
    order = list.targets.map((_, i) => i)
  }

  let position = 0
  let attempts = 0
  /** Targets passed over because their breaker is open: the last resort. */
  const cooling: Array<number> = []
  let lastResort: Array<number> | undefined
  const skipped: Array<string> = []
  const prefix = `virtual model ${model.name}${chosen.rule === undefined ? "" : ` (${chosen.rule.name})`}`

  const step = (i: number): ChainStep => {
    attempts++
    return { target: list.targets[i]!.model, route: routes[i]! }
  }

  const next = (): ChainStep | undefined => {
    while (position < order.length) {
      const i = order[position++]!
      const target: WeightedTarget = list.targets[i]!
      const route = routes[i]
      if (route === undefined) {
        const why = notServed(table, target.model)
        skipped.push(`${target.model} (${why})`)
        log(`${prefix}: passing over ${target.model}: ${why}`)
        continue
      }
      if (!health.admit(route.qualifiedId)) {
        cooling.push(i)
        continue
      }
      return step(i)
    }
    if (lastResort === undefined) {
      lastResort = cooling.sort((a, b) => health.availableAt(routes[a]!.qualifiedId) - health.availableAt(routes[b]!.qualifiedId))
      if (lastResort.length > 0 && attempts === 0) {
        log(`${prefix}: every available target is cooling down; trying ${list.targets[lastResort[0]!]!.model} anyway`)
      }
    }
    const i = lastResort.shift()
    if (i === undefined) return undefined
    return step(i)
  }

  const record = (step: ChainStep, outcome: Outcome) => health.record(step.route.qualifiedId, outcome)

  return {
    model,
    rule: chosen.rule?.name,
    next,
    failed: (step, verdict) => {
      record(step, { _tag: "Failure", reason: verdict.reason, retryAfterMs: verdict.retryAfterMs })
      log(`${prefix}: attempt ${attempts} on ${step.route.qualifiedId} failed (${verdict.reason})`)
    },
    answered: (step) => record(step, { _tag: "Success" }),
    attempts: () => attempts,
    headers: (step) => routedHeaders(step.route, attempts, chosen.rule?.name),
    unavailable: () =>
      new GenerateError({
        status: 503,
        kind: "overloaded",
        message: `none of the targets of the virtual model \`${model.name}\` can be reached now: ${skipped.join("; ")}`,
        param: "model",
        code: "no_target_available"
      })
  }
}

/** Why a target has no route: its provider is not connected, or nothing connected serves the id. */
const notServed = (table: RoutingTable, model: string): string => {
  const slash = model.indexOf("/")
  const bare = table.byUpstreamId.get(model)
  if (bare !== undefined && bare.length > 1) return `served by several providers: ${bare.map((route) => route.qualifiedId).join(", ")}`
  return slash > 0 ? `provider ${model.slice(0, slash)} is not connected or does not serve it` : "no connected provider serves it"
}
