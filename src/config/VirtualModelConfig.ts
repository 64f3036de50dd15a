/**
 * The schema of a virtual model in remote.json (`"virtualModels": [...]`): a name callers use like
 * any model id, answered by a list of real models (`targets`) with a strategy — `fallback` (in
 * order) or `balance` (weighted) — optional presets (`system`, `defaults`) and `rules` that pick
 * another target list for some requests.
 *
 * Pure schemas only (the web page and the admin API definition import them). Each entry is decoded
 * on its own (`decodeVirtualModel`): a broken entry is reported with the field at fault and left
 * out, never taking the rest of the file down with it. Unknown keys of an entry are kept.
 */
import { Result, Schema } from "effect"
import { type IssueSummary, summariseIssue } from "./SchemaIssues.ts"

/** A virtual model's name: no `/` (that is how qualified ids `<provider>/<model>` are told apart), no spaces. */
export const VirtualModelName = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, {
    description: "a name without slashes or spaces: letters, digits and . _ : @ -, starting with a letter or digit",
    message: "expected a name without slashes or spaces (letters, digits and . _ : @ -, starting with a letter or digit)"
  }))
)

export const Strategy = Schema.Literals(["fallback", "balance"])
export type Strategy = typeof Strategy.Type

const Weight = Schema.Number.pipe(Schema.check(Schema.isGreaterThan(0)))

/** A target: a model id as callers write it (`openai/gpt-4.1`), or with a weight for `balance`. */
export const Target = Schema.Union([
  Schema.NonEmptyString,
  Schema.Struct({ model: Schema.NonEmptyString, weight: Schema.optionalKey(Weight) })
])
export type Target = typeof Target.Type

const Targets = Schema.Array(Target).pipe(Schema.check(Schema.isMinLength(1, { description: "at least one target", message: "expected at least one target" })))

/**
 * When a rule applies: every condition given must hold.
 * - `format`: the caller's API (`openai` chat completions, `anthropic` messages, `responses`);
 * - `tools`, `images`, `thinking`: whether the request has tools, images, or asks for reasoning;
 * - `minInputTokens`: the estimated input tokens (text characters / 4) are above this;
 * - `header`: the request carries this header with exactly this value.
 */
export const Condition = Schema.Struct({
  format: Schema.optionalKey(Schema.Literals(["openai", "anthropic", "responses"])),
  tools: Schema.optionalKey(Schema.Boolean),
  images: Schema.optionalKey(Schema.Boolean),
  thinking: Schema.optionalKey(Schema.Boolean),
  minInputTokens: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))),
  header: Schema.optionalKey(Schema.Struct({ name: Schema.NonEmptyString, value: Schema.String }))
})
export type Condition = typeof Condition.Type

export const Rule = Schema.Struct({
  /** Shown in logs and listings. */
  name: Schema.optionalKey(Schema.String),
  when: Condition,
  targets: Targets
})
export type Rule = typeof Rule.Type

/** Generation settings applied when the caller did not set them (mapped to each format's field). */
export const Defaults = Schema.Struct({
  temperature: Schema.optionalKey(Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 2 })))),
  top_p: Schema.optionalKey(Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))),
  max_tokens: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0))))
})
export type Defaults = typeof Defaults.Type

export const VirtualModelFields = Schema.Struct({
  name: VirtualModelName,
  strategy: Schema.optionalKey(Strategy),
  targets: Targets,
  /** Put before the caller's own system prompt, where each format keeps it. */
  system: Schema.optionalKey(Schema.String),
  defaults: Schema.optionalKey(Defaults),
  /** Tried in order; the first that matches picks the targets, else `targets`. */
  rules: Schema.optionalKey(Schema.Array(Rule)),
  description: Schema.optionalKey(Schema.String)
})

/** One entry of `virtualModels`; unknown keys are carried through untouched. */
export const VirtualModelConfig = Schema.StructWithRest(VirtualModelFields, [Schema.Record(Schema.String, Schema.Unknown)])
export type VirtualModelConfig = typeof VirtualModelConfig.Type

/** The target's model id and weight (1 unless given). */
export const targetOf = (target: Target): { readonly model: string; readonly weight: number } =>
  typeof target === "string" ? { model: target, weight: 1 } : { model: target.model, weight: target.weight ?? 1 }

/** Why an entry cannot be used: the field at fault (`targets.1.weight`) and what is wrong with it. */
export type EntryProblem = IssueSummary

const decodeEntry = Schema.decodeUnknownResult(VirtualModelConfig)
/** The known keys only: from an API caller, anything else is a typo, refused. */
const strict = Schema.decodeUnknownResult(VirtualModelFields)

/**
 * One entry decoded, or what is wrong with it (every issue, the first field named). `unknownKeys`:
 * `refuse` refuses them (what an API caller sends), `keep` carries them (a file written by a
 * newer Switchboard).
 */
export const decodeVirtualModel = (
  entry: unknown,
  options: { readonly unknownKeys: "refuse" | "keep" }
): Result.Result<VirtualModelConfig, EntryProblem> => {
  const decoded = options.unknownKeys === "refuse"
    ? strict(entry, { errors: "all", onExcessProperty: "error" })
    : decodeEntry(entry, { errors: "all" })
  return Result.mapError(decoded, (error) => summariseIssue(error.issue))
}
