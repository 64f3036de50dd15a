/**
 * The virtual model form's state (text as typed) and the entry it stands for. The body is checked
 * with the very decoder the server runs on every entry (`decodeVirtualModel`, unknown keys
 * refused), so a mistake is named with the field at fault and the server's own words before
 * anything is sent — the admin client encodes its payloads with the API's schema and would refuse
 * them anyway. What only the server can tell (a target that leads back to this model) comes back
 * from the save in the same shape, `{ field, message }`.
 */
import { Result, type Schema } from "effect"
import type { VirtualModelBody, VirtualModelEntry } from "../../src/admin/AdminApi.ts"
import { decodeVirtualModel } from "../../src/config/VirtualModelConfig.ts"

type Json = Schema.Json

export interface TargetRow {
  /** A key for the list (rows move). */
  readonly key: number
  readonly model: string
  /** As typed; "" is the default weight (1). */
  readonly weight: string
  /**
   * A target as written in remote.json that is neither a model id nor `{ model, weight }`: sent
   * as it is, so the check names it (`targets.2`) and the row can be removed.
   */
  readonly raw?: Json
}

export interface Draft {
  readonly name: string
  /** `fallback` or `balance` — or, from an entry left out of remote.json, what it says instead. */
  readonly strategy: string
  readonly targets: ReadonlyArray<TargetRow>
  readonly description: string
  readonly system: string
  readonly temperature: string
  readonly top_p: string
  readonly max_tokens: string
  /** The rules as JSON text; "" for none. */
  readonly rules: string
  /** Keys of the entry the form has no control for (a typo in remote.json): the check refuses them until dropped. */
  readonly extra: Readonly<Record<string, Json>>
}

/** Why a draft cannot be saved: the field at fault (`targets.1.weight`) when known, and what is wrong. */
export interface DraftProblem {
  readonly field: string | null
  readonly message: string
}

let rowKeys = 0

export const targetRow = (model: string, weight = ""): TargetRow => ({ key: ++rowKeys, model, weight })

export const emptyDraft: Draft = {
  name: "",
  strategy: "fallback",
  targets: [],
  description: "",
  system: "",
  temperature: "",
  top_p: "",
  max_tokens: "",
  rules: "",
  extra: {}
}

const KNOWN_KEYS: ReadonlySet<string> = new Set(["name", "strategy", "targets", "description", "system", "defaults", "rules"])

const isObject = (value: Json | undefined): value is { readonly [key: string]: Json } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A value as a text field shows it: "" when absent, a string as it is, anything else as JSON (the check then names it). */
const fieldText = (value: Json | undefined): string =>
  value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value)

/** A target's row: a model id, `{ model, weight? }` with its weight as text, or anything else kept raw. */
const rowOf = (target: Json): TargetRow => {
  if (typeof target === "string") return targetRow(target)
  if (isObject(target) && typeof target.model === "string" && Object.keys(target).every((key) => key === "model" || key === "weight")) {
    return targetRow(target.model, fieldText(target.weight))
  }
  return { ...targetRow(JSON.stringify(target)), raw: target }
}

/**
 * The form for an entry as remote.json holds it (`GET /admin/virtual-models/{name}/entry`): its
 * targets as written, not expanded — and, for an entry the server left out, whatever is wrong
 * kept as written, so that the check (`bodyOf`) names the field instead of the form quietly
 * changing it.
 */
export const draftOf = (entry: VirtualModelEntry): Draft => {
  const defaults = isObject(entry.defaults) ? entry.defaults : {}
  const rules = entry.rules
  return {
    name: fieldText(entry.name),
    strategy: entry.strategy === undefined ? "fallback" : fieldText(entry.strategy),
    targets: Array.isArray(entry.targets) ? entry.targets.map(rowOf) : [],
    description: fieldText(entry.description),
    system: fieldText(entry.system),
    temperature: fieldText(defaults.temperature),
    top_p: fieldText(defaults.top_p),
    max_tokens: fieldText(defaults.max_tokens),
    rules: rules === undefined || (Array.isArray(rules) && rules.length === 0) ? "" : JSON.stringify(rules, null, 2),
    extra: Object.fromEntries(Object.entries(entry).filter(([key]) => !KNOWN_KEYS.has(key)))
  }
}

/** A number field: absent when empty, the number typed, or a problem naming the field. */
const numberField = (field: string, text: string): Result.Result<number | undefined, DraftProblem> => {
  const trimmed = text.trim()
  if (trimmed === "") return Result.succeed(undefined)
  const value = Number(trimmed)
  return Number.isFinite(value) ? Result.succeed(value) : Result.fail({ field, message: `${field}: "${trimmed}" is not a number` })
}

/** The entry the draft stands for, without its name (the path's), or the first thing wrong with it. */
export const bodyOf = (draft: Draft): Result.Result<VirtualModelBody, DraftProblem> =>
  Result.gen(function*() {
    const targets = []
    for (const [i, row] of draft.targets.entries()) {
      const weight = yield* numberField(`targets.${i}.weight`, row.weight)
      targets.push(row.raw !== undefined ? row.raw : weight === undefined ? row.model : { model: row.model, weight })
    }
    const defaults = {
      temperature: yield* numberField("defaults.temperature", draft.temperature),
      top_p: yield* numberField("defaults.top_p", draft.top_p),
      max_tokens: yield* numberField("defaults.max_tokens", draft.max_tokens)
    }
    const given = Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined))
    let rules: unknown
    if (draft.rules.trim() !== "") {
      try {
        rules = JSON.parse(draft.rules)
      } catch (error) {
        return yield* Result.fail({ field: "rules", message: `rules: not JSON: ${error instanceof Error ? error.message : String(error)}` })
      }
    }
    const entry = {
      ...draft.extra,
      name: draft.name.trim(),
      strategy: draft.strategy,
      targets,
      ...(draft.description.trim() === "" ? {} : { description: draft.description.trim() }),
      ...(draft.system.trim() === "" ? {} : { system: draft.system }),
      ...(Object.keys(given).length === 0 ? {} : { defaults: given }),
      ...(rules === undefined ? {} : { rules })
    }
    const decoded = decodeVirtualModel(entry, { unknownKeys: "refuse" })
    if (Result.isFailure(decoded)) return yield* Result.fail({ field: decoded.failure.field ?? null, message: decoded.failure.message })
    const { name: _name, ...body } = decoded.success
    return body
  })

/** The parts of the form a problem can point at. */
export type DraftControl = "name" | "strategy" | "targets" | "description" | "system" | "temperature" | "top_p" | "max_tokens" | "rules"

/** The control that holds `field` (`targets.1.weight` → targets, `defaults.top_p` → top_p), if any. */
export const controlOf = (field: string | null): DraftControl | undefined => {
  const [head, second] = (field ?? "").split(".")
  switch (head) {
    case "name":
    case "strategy":
    case "targets":
    case "description":
    case "system":
    case "rules":
      return head
    case "defaults":
      return second === "temperature" || second === "top_p" || second === "max_tokens" ? second : undefined
    default:
      return undefined
  }
}

/** The rows with the one at `index` moved by `by` (−1 up, +1 down); unchanged at either end. */
export const moved = <A>(rows: ReadonlyArray<A>, index: number, by: -1 | 1): ReadonlyArray<A> => {
  const to = index + by
  if (index < 0 || index >= rows.length || to < 0 || to >= rows.length) return rows
  const out = [...rows]
  ;[out[index], out[to]] = [out[to]!, out[index]!]
  return out
}
