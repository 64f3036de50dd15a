/**
 * The virtual model form's state (text as typed) and the entry it stands for. The body is checked
 * with the very decoder the server runs on every entry (`decodeVirtualModel`, unknown keys
 * refused), so a mistake is named with the field at fault and the server's own words before
 * anything is sent — the admin client encodes its payloads with the API's schema and would refuse
 * them anyway. What only the server can tell (a target that leads back to this model) comes back
 * from the save in the same shape, `{ field, message }`.
 */
import { Result } from "effect"
import type { VirtualModelBody } from "../../src/admin/AdminApi.ts"
import { decodeVirtualModel, type Strategy, targetOf, type VirtualModelConfig } from "../../src/config/VirtualModelConfig.ts"

export interface TargetRow {
  /** A key for the list (rows move). */
  readonly key: number
  readonly model: string
  /** As typed; "" is the default weight (1). */
  readonly weight: string
}

export interface Draft {
  readonly name: string
  readonly strategy: Strategy
  readonly targets: ReadonlyArray<TargetRow>
  readonly description: string
  readonly system: string
  readonly temperature: string
  readonly top_p: string
  readonly max_tokens: string
  /** The rules as JSON text; "" for none. */
  readonly rules: string
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
  rules: ""
}

const numberText = (value: number | undefined): string => value === undefined ? "" : String(value)

/** The form for an entry as configured (its targets as written, not expanded). */
export const draftOf = (entry: Pick<VirtualModelConfig, "name" | "strategy" | "targets" | "description" | "system" | "defaults" | "rules">): Draft => ({
  name: entry.name,
  strategy: entry.strategy ?? "fallback",
  targets: entry.targets.map((target) => {
    const { model, weight } = targetOf(target)
    return targetRow(model, typeof target === "string" || target.weight === undefined ? "" : String(weight))
  }),
  description: entry.description ?? "",
  system: entry.system ?? "",
  temperature: numberText(entry.defaults?.temperature),
  top_p: numberText(entry.defaults?.top_p),
  max_tokens: numberText(entry.defaults?.max_tokens),
  rules: entry.rules === undefined || entry.rules.length === 0 ? "" : JSON.stringify(entry.rules, null, 2)
})

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
      targets.push(weight === undefined ? row.model : { model: row.model, weight })
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
