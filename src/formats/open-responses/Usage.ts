/**
 * Open Responses `usage` ↔ canonical usage. `input_tokens` counts cached tokens (as OpenAI's
 * `prompt_tokens` does), the canonical meaning, so the numbers pass straight through. The spec
 * requires both detail objects; counts the upstream did not report are written as 0 there, and
 * prompt-cache writes have no field at all.
 *
 * @see https://www.openresponses.org/reference (Usage)
 */
import { Schema } from "effect"
import type { Usage } from "../Canonical.ts"

const Count = Schema.optionalKey(Schema.NullOr(Schema.Number))

/** The wire `usage` object, leniently (details optional: compatible hosts leave them out). */
export const ResponsesUsage = Schema.Struct({
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  total_tokens: Schema.optionalKey(Schema.Number),
  input_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ cached_tokens: Count }))),
  output_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ reasoning_tokens: Count })))
})
export type ResponsesUsage = typeof ResponsesUsage.Type

/** What we write: every field the spec requires. */
export interface ResponsesUsageOut {
  readonly input_tokens: number
  readonly output_tokens: number
  readonly total_tokens: number
  readonly input_tokens_details: { readonly cached_tokens: number }
  readonly output_tokens_details: { readonly reasoning_tokens: number }
}

export const toCanonical = (usage: ResponsesUsage): Usage => ({
  inputTokens: usage.input_tokens,
  outputTokens: usage.output_tokens,
  cachedInputTokens: usage.input_tokens_details?.cached_tokens ?? undefined,
  cacheWriteInputTokens: undefined,
  reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? undefined
})

export const fromCanonical = (usage: Usage): ResponsesUsageOut => ({
  input_tokens: usage.inputTokens,
  output_tokens: usage.outputTokens,
  total_tokens: usage.inputTokens + usage.outputTokens,
  input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
  output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 }
})
