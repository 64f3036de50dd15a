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

export interface CompiledVirtualModels {
  readonly models: ReadonlyMap<string, VirtualModel>
  /** Why entries were left out: `virtualModels[2] ("smart"): targets.0: …`. */
  readonly problems: ReadonlyArray<string>
  /** The entries compiled, as configured: an unchanged list need not be compiled again. */
  readonly source: ReadonlyArray<unknown>
}

export const noVirtualModels: CompiledVirtualModels = { models: new Map(), problems: [], source: [] }

const labelOf = (index: number, entry: unknown): string => {
  const name = typeof entry === "object" && entry !== null && "name" in entry && typeof entry.name === "string" ? ` ("${entry.name}")` : ""
  return `virtualModels[${index}]${name}`
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
  const problems: Array<string> = []
  const byName = new Map<string, VirtualModelConfig>()
  for (const [index, entry] of entries.entries()) {
    const decoded = decodeVirtualModel(entry, { unknownKeys: "keep" })
    if (Result.isFailure(decoded)) {
      problems.push(`${labelOf(index, entry)}: ${decoded.failure.message}: left out`)
      continue
    }
    if (byName.has(decoded.success.name)) {
      problems.push(`${labelOf(index, entry)}: name: another virtual model is called "${decoded.success.name}": left out`)
      continue
    }
    byName.set(decoded.success.name, decoded.success)
  }
  const models = new Map<string, VirtualModel>()
  for (const [name, config] of byName) {
    const strategy = config.strategy ?? "fallback"
    const compile = (field: string, targets: ReadonlyArray<WeightedTarget>) =>
      Result.mapError(expand(targets, byName, [name]), (message) => `${field}: ${message}`)
    const list = compile("targets", config.targets.map(targetOf))
    const rules: Array<CompiledRule> = []
    let problem = Result.isFailure(list) ? list.failure : undefined
    for (const [i, rule] of (config.rules ?? []).entries()) {
      const targets = compile(`rules.${i}.targets`, rule.targets.map(targetOf))
      if (Result.isFailure(targets)) problem ??= targets.failure
      else rules.push({ name: rule.name ?? `rule ${i + 1}`, when: rule.when, list: listOf(strategy, targets.success) })
    }
    if (problem !== undefined || Result.isFailure(list)) {
      problems.push(`virtual model "${name}": ${problem}: left out`)
      continue
    }
    models.set(name, {
      name,
      list: listOf(strategy, list.success),
      rules,
      system: config.system,
      defaults: config.defaults,
      config
    })
  }
  return { models, problems, source: entries }
}

/**
 * The loop check of one entry against the others, for an API caller adding or changing it: the
 * compiled set's problem about it, if any.
 */
export const problemOf = (name: string, compiled: CompiledVirtualModels): string | undefined =>
  compiled.models.has(name) ? undefined : compiled.problems.find((problem) => problem.includes(`"${name}"`))
