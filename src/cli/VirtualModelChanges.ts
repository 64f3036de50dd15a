/**
 * What the flags of `switchboard models virtual add` / `edit` make of a virtual model's entry, as
 * pure functions: `add` applies its changes to an empty entry, `edit` to the entry as remote.json
 * has it. The result is checked by the decoder the admin API and remote.json use
 * (`decodeVirtualModel`), so the CLI refuses exactly what they refuse; a refusal names the field at
 * fault and the flag that sets it.
 */
import { Result } from "effect"
import type { VirtualModelBody } from "../admin/AdminApi.ts"
import { decodeVirtualModel, type Strategy, type Target } from "../config/VirtualModelConfig.ts"

/** The generation settings `--default` sets, as `VirtualModelConfig.Defaults` names them. */
export const DEFAULT_NAMES = ["temperature", "top_p", "max_tokens"] as const

/**
 * `--target MODEL` or `--target MODEL=WEIGHT`, split at the last `=` (model ids hold `/` and `:`,
 * never `=`). The weight is checked here as a number only; the schema checks it is above 0.
 */
export const parseTarget = (flag: string, text: string): Result.Result<Target, string> => {
  const eq = text.lastIndexOf("=")
  const model = (eq === -1 ? text : text.slice(0, eq)).trim()
  if (model === "") return Result.fail(`${flag} ${JSON.stringify(text)}: expected a model id, or MODEL=WEIGHT`)
  if (eq === -1) return Result.succeed(model)
  const weight = Number(text.slice(eq + 1))
  return text.slice(eq + 1).trim() === "" || !Number.isFinite(weight)
    ? Result.fail(`${flag} ${JSON.stringify(text)}: the weight after = must be a number, e.g. ${model}=3`)
    : Result.succeed({ model, weight })
}

/** `--default NAME=VALUE`; `NAME=` (no value) removes that default. */
export const parseDefault = (text: string): Result.Result<readonly [string, number | null], string> => {
  const eq = text.indexOf("=")
  const name = (eq === -1 ? text : text.slice(0, eq)).trim()
  if (eq === -1 || !(DEFAULT_NAMES as ReadonlyArray<string>).includes(name)) {
    return Result.fail(`--default ${JSON.stringify(text)}: expected NAME=VALUE with NAME one of ${DEFAULT_NAMES.join(", ")}`)
  }
  const raw = text.slice(eq + 1).trim()
  if (raw === "") return Result.succeed([name, null])
  const value = Number(raw)
  return Number.isFinite(value) ? Result.succeed([name, value]) : Result.fail(`--default ${JSON.stringify(text)}: ${name} must be a number`)
}

/** What the flags ask for; `undefined` leaves a field as it is. */
export interface VirtualModelChanges {
  /** `--target`: the whole list, in order (replaces the previous one on `edit`). */
  readonly targets: ReadonlyArray<Target> | undefined
  /** `--add-target`: appended. */
  readonly addTargets: ReadonlyArray<Target>
  /** `--remove-target`: by model id. */
  readonly removeTargets: ReadonlyArray<string>
  readonly strategy: Strategy | undefined
  /** An empty text removes the system prompt. */
  readonly system: string | undefined
  /** An empty text removes the description. */
  readonly description: string | undefined
  /** A value sets that default, `null` removes it. */
  readonly defaults: ReadonlyArray<readonly [string, number | null]>
  /** The parsed `--rules-file`; an empty array removes the rules. */
  readonly rules: unknown
}

export const noChanges: VirtualModelChanges = {
  targets: undefined,
  addTargets: [],
  removeTargets: [],
  strategy: undefined,
  system: undefined,
  description: undefined,
  defaults: [],
  rules: undefined
}

const modelOf = (target: unknown): string | undefined =>
  typeof target === "string"
    ? target
    : typeof target === "object" && target !== null && "model" in target && typeof target.model === "string"
    ? target.model
    : undefined

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `entry` with `key` set to `value`, or without it when `value` is undefined. */
const withKey = (entry: Readonly<Record<string, unknown>>, key: string, value: unknown): Record<string, unknown> => {
  const { [key]: _old, ...rest } = entry
  return value === undefined ? rest : { ...rest, [key]: value }
}

/**
 * The entry with `changes` applied, fields it does not name kept as they are (whatever they hold:
 * the check comes after). Fails on contradictions and on targets to remove that are not there.
 */
export const applyChanges = (
  name: string,
  entry: Readonly<Record<string, unknown>>,
  changes: VirtualModelChanges
): Result.Result<Record<string, unknown>, string> => {
  if (changes.targets !== undefined && (changes.addTargets.length > 0 || changes.removeTargets.length > 0)) {
    return Result.fail("--target replaces the whole list; --add-target and --remove-target change it: give one or the other")
  }
  let targets: ReadonlyArray<unknown> = changes.targets ?? (Array.isArray(entry.targets) ? entry.targets : [])
  for (const model of changes.removeTargets) {
    if (!targets.some((target) => modelOf(target) === model)) {
      const present = targets.map(modelOf).filter((one) => one !== undefined)
      return Result.fail(`--remove-target ${model}: not a target of ${name} (its targets: ${present.length === 0 ? "none" : present.join(", ")})`)
    }
    targets = targets.filter((target) => modelOf(target) !== model)
  }
  for (const target of changes.addTargets) {
    const model = modelOf(target)
    if (targets.some((one) => modelOf(one) === model)) return Result.fail(`--add-target ${model}: already a target of ${name}`)
    targets = [...targets, target]
  }
  let next: Record<string, unknown> = { ...entry }
  if (changes.targets !== undefined || changes.addTargets.length > 0 || changes.removeTargets.length > 0) next.targets = targets
  if (changes.strategy !== undefined) next.strategy = changes.strategy
  if (changes.system !== undefined) next = withKey(next, "system", changes.system === "" ? undefined : changes.system)
  if (changes.description !== undefined) next = withKey(next, "description", changes.description === "" ? undefined : changes.description)
  if (changes.defaults.length > 0) {
    let defaults: Record<string, unknown> = isRecord(entry.defaults) ? { ...entry.defaults } : {}
    for (const [key, value] of changes.defaults) defaults = withKey(defaults, key, value ?? undefined)
    next = withKey(next, "defaults", Object.keys(defaults).length === 0 ? undefined : defaults)
  }
  if (changes.rules !== undefined) next = withKey(next, "rules", Array.isArray(changes.rules) && changes.rules.length === 0 ? undefined : changes.rules)
  return Result.succeed(next)
}

/** The flag that sets `field` (a schema path such as `defaults.temperature` or `rules.0.targets`). */
export const flagFor = (field: string | undefined): string | undefined => {
  const [head, second] = (field ?? "").split(".")
  switch (head) {
    case "targets":
      return "--target"
    case "strategy":
      return "--strategy"
    case "system":
      return "--system"
    case "description":
      return "--description"
    case "defaults":
      return second === undefined ? "--default" : `--default ${second}=…`
    case "rules":
      return "--rules-file"
    case "name":
    case "":
      return undefined
    default:
      // A key the file has and this version does not know: the API refuses it, so the edit cannot keep it.
      return "a key this version does not know: remove it from remote.json"
  }
}

/** The body of `PUT /admin/virtual-models/{name}`, or why the entry is refused (the field, then the flag). */
export const checkedBody = (name: string, entry: Readonly<Record<string, unknown>>): Result.Result<VirtualModelBody, string> => {
  const decoded = decodeVirtualModel({ ...entry, name }, { unknownKeys: "refuse" })
  if (Result.isFailure(decoded)) {
    const flag = flagFor(decoded.failure.field)
    return Result.fail(`virtual model "${name}": ${decoded.failure.message}${flag === undefined ? "" : ` (${flag})`}`)
  }
  const { name: _name, ...body } = decoded.success
  return Result.succeed(body)
}

/** Weights given to a model that falls back in order, where they count for nothing: worth a note. */
export const weightsIgnored = (body: VirtualModelBody): boolean =>
  (body.strategy ?? "fallback") === "fallback" &&
  [...body.targets, ...(body.rules ?? []).flatMap((rule) => rule.targets)].some((target) => typeof target !== "string" && target.weight !== undefined)
