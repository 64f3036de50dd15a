/**
 * OpenAI `usage` ↔ canonical usage. OpenAI's `prompt_tokens` already counts cached and
 * cache-written tokens, which is the canonical meaning, so the numbers pass straight through.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
 */
import { Schema } from "effect"
import type { Usage } from "../Canonical.ts"

const Count = Schema.optionalKey(Schema.NullOr(Schema.Number))

/** The wire `usage` object (details optional: compatible hosts often leave them out). */
export const OpenAiUsage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Schema.optionalKey(Schema.Number),
  prompt_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    cached_tokens: Count,
    cache_write_tokens: Count
  }))),
  completion_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    reasoning_tokens: Count
  })))
})
export type OpenAiUsage = typeof OpenAiUsage.Type

/** What we write: the spec's shape, details only when the upstream reported them. */
export interface OpenAiUsageOut {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
  readonly prompt_tokens_details?: { readonly cached_tokens?: number; readonly cache_write_tokens?: number }
  readonly completion_tokens_details?: { readonly reasoning_tokens: number }
}

export const toCanonical = (usage: OpenAiUsage): Usage => ({
  inputTokens: usage.prompt_tokens,
  outputTokens: usage.completion_tokens,
  cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? undefined,
  cacheWriteInputTokens: usage.prompt_tokens_details?.cache_write_tokens ?? undefined,
  reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? undefined
})

export const fromCanonical = (usage: Usage): OpenAiUsageOut => {
  const promptDetails = {
    ...(usage.cachedInputTokens !== undefined ? { cached_tokens: usage.cachedInputTokens } : {}),
    ...(usage.cacheWriteInputTokens !== undefined ? { cache_write_tokens: usage.cacheWriteInputTokens } : {})
  }
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(Object.keys(promptDetails).length > 0 ? { prompt_tokens_details: promptDetails } : {}),
    ...(usage.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {})
  }
}
