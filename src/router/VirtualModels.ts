/**
 * remote.json's `virtualModels` turned into what the router uses: each entry decoded on its own
 * (a broken one is reported with its field and left out, the others work), names checked for
 * duplicates, and targets that name another virtual model expanded into that model's targets —
 * unless they lead back to where they started, which is refused as a loop.
 */
import { Result } from "effect"
import { decodeVirtualModel, type Condition, type Defaults, type Strategy, targetOf, type VirtualModelConfig } from "../config/VirtualModelConfig.ts"

export interface WeightedTarget {
  /** A model id as callers write it: `<provider>/<model>`, or a bare id one provider serves. */
  readonly model: string
  readonly weight: number
}

/** A target list with its strategy, and (for `balance`) the balancer's running weights. */
export interface TargetList {
  readonly strategy: Strategy
  readonly targets: ReadonlyArray<WeightedTarget>
  /**
   * Smooth weighted round-robin's current weights, one per target: deterministic, and exact over
   * any window of `sum(weights)` picks. Mutable and per compiled list: a reload starts afresh.
   */
  readonly current: Array<number>
}

export interface CompiledRule {
  readonly name: string
  readonly when: Condition
  readonly list: TargetList
}

export interface VirtualModel {
  readonly name: string
  readonly list: TargetList
  readonly rules: ReadonlyArray<CompiledRule>
  readonly system: string | undefined
  readonly defaults: Defaults | undefined
  /** The entry as configured (for listings and the admin API). */
  readonly config: VirtualModelConfig
}

/** An entry left out, and why: structured for whoever fixes it (the page's edit, the API's refusal), and said in one sentence. */
export interface LeftOut {
  /** Its place in `virtualModels`. */
  readonly index: number
  /** Its name, when it has a usable one. */
  readonly name: string | null
  /** The field at fault (`strategy`, `targets.0.weight`, `rules.1.targets`), when one is. */
  readonly field: string | null
  /** What is wrong, without the entry's label. */
  readonly reason: string
  /** The whole sentence, as logs and `/health` say it: `virtualModels[2] ("smart"): strategy: …: left out`. */
  readonly message: string
}

export interface CompiledVirtualModels {
  readonly models: ReadonlyMap<string, VirtualModel>
  /** The entries left out, in file order. */
  readonly problems: ReadonlyArray<LeftOut>
  /** The entries compiled, as configured: an unchanged list need not be compiled again. */
  readonly source: ReadonlyArray<unknown>
}

export const noVirtualModels: CompiledVirtualModels = { models: new Map(), problems: [], source: [] }

const nameOf = (entry: unknown): string | null =>
  typeof entry === "object" && entry !== null && "name" in entry && typeof entry.name === "string" ? entry.name : null

const leftOut = (index: number, entry: unknown, field: string | null, reason: string): LeftOut => {
  const name = nameOf(entry)
  return { index, name, field, reason, message: `virtualModels[${index}]${name === null ? "" : ` ("${name}")`}: ${reason}: left out` }
}

/** A target list's targets with virtual ones replaced by theirs; a loop names the path that closes it. */
const expand = (
  targets: ReadonlyArray<WeightedTarget>,
  byName: ReadonlyMap<string, VirtualModelConfig>,
  path: ReadonlyArray<string>
): Result.Result<ReadonlyArray<WeightedTarget>, string> => {
  const out: Array<WeightedTarget> = []
  for (const target of targets) {
    const inner = byName.get(target.model)
    if (inner === undefined) {
      out.push(target)
      continue
    }
    if (path.includes(target.model)) return Result.fail(`"${target.model}" leads back to itself (${[...path, target.model].join(" → ")})`)
    const expanded = expand(inner.targets.map(targetOf), byName, [...path, target.model])
    if (Result.isFailure(expanded)) return expanded
    for (const one of expanded.success) out.push({ model: one.model, weight: one.weight * target.weight })
  }
  return Result.succeed(out)
}

const listOf = (strategy: Strategy, targets: ReadonlyArray<WeightedTarget>): TargetList => ({
  strategy,
  targets,
  current: targets.map(() => 0)
})

export const compileVirtualModels = (entries: ReadonlyArray<unknown> | undefined): CompiledVirtualModels => {
  if (entries === undefined || entries.length === 0) return noVirtualModels
  const problems: Array<LeftOut> = []
  const byName = new Map<string, { readonly index: number; readonly config: VirtualModelConfig }>()
  for (const [index, entry] of entries.entries()) {
    const decoded = decodeVirtualModel(entry, { unknownKeys: "keep" })
    if (Result.isFailure(decoded)) {
      problems.push(leftOut(index, entry, decoded.failure.field ?? null, decoded.failure.message))
      continue
    }
    if (byName.has(decoded.success.name)) {
      problems.push(leftOut(index, entry, "name", `name: another virtual model is called "${decoded.success.name}"`))
      continue
    }
    byName.set(decoded.success.name, { index, config: decoded.success })
  }
  const configs = new Map(Array.from(byName, ([name, { config }]) => [name, config]))
  const models = new Map<string, VirtualModel>()
  for (const [name, { index, config }] of byName) {
    const strategy = config.strategy ?? "fallback"
    let problem: LeftOut | undefined
    const compile = (field: string, targets: ReadonlyArray<WeightedTarget>): TargetList | undefined => {
      const expanded = expand(targets, configs, [name])
      if (Result.isSuccess(expanded)) return listOf(strategy, expanded.success)
      problem ??= leftOut(index, config, field, `${field}: ${expanded.failure}`)
      return undefined
    }
    const list = compile("targets", config.targets.map(targetOf))
    const rules: Array<CompiledRule> = []
    for (const [i, rule] of (config.rules ?? []).entries()) {
      const ruleList = compile(`rules.${i}.targets`, rule.targets.map(targetOf))
      if (ruleList !== undefined) rules.push({ name: rule.name ?? `rule ${i + 1}`, when: rule.when, list: ruleList })
    }
    if (problem !== undefined || list === undefined) {
      if (problem !== undefined) problems.push(problem)
      continue
    }
    models.set(name, { name, list, rules, system: config.system, defaults: config.defaults, config })
  }
  problems.sort((a, b) => a.index - b.index)
  return { models, problems, source: entries }
}

/**
 * The loop check of one entry against the others, for an API caller adding or changing it: the
 * compiled set's problem about it, if any.
 */
export const problemOf = (name: string, compiled: CompiledVirtualModels): LeftOut | undefined =>
  compiled.models.has(name) ? undefined : compiled.problems.find((problem) => problem.name === name)
