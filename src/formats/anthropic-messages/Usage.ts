/**
 * Anthropic `usage` ↔ canonical usage. Anthropic's `input_tokens` excludes the tokens read from
 * and written to the prompt cache, which the canonical `inputTokens` (like OpenAI's
 * `prompt_tokens`) includes: decoding adds them, encoding subtracts them.
 *
 * @see https://docs.anthropic.com/en/api/messages#response-usage
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance
 */
import { Schema } from "effect"
import type { Usage } from "../Canonical.ts"

const Count = Schema.optionalKey(Schema.NullOr(Schema.Number))

/** The wire `usage` object of a message (and of `message_start`). */
export const AnthropicUsage = Schema.Struct({
  input_tokens: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  output_tokens: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  cache_creation_input_tokens: Count,
  cache_read_input_tokens: Count,
  output_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ thinking_tokens: Count })))
})
export type AnthropicUsage = typeof AnthropicUsage.Type

/** What we write. Cache counts the upstream did not report are `null` (the spec allows it), never a guess. */
export interface AnthropicUsageOut {
  readonly input_tokens: number
  readonly output_tokens: number
  readonly cache_creation_input_tokens: number | null
  readonly cache_read_input_tokens: number | null
  readonly output_tokens_details?: { readonly thinking_tokens: number }
}

/**
 * Canonical usage from one usage object, or from the cumulative `message_delta` usage laid over
 * the `message_start` one (a counter the delta omits keeps its start value).
 */
export const toCanonical = (usage: AnthropicUsage, earlier?: AnthropicUsage): Usage => {
  const pick = <K extends keyof AnthropicUsage>(key: K) => usage[key] ?? earlier?.[key] ?? undefined
  const cacheRead = pick("cache_read_input_tokens") ?? undefined
  const cacheWrite = pick("cache_creation_input_tokens") ?? undefined
  return {
    inputTokens: (pick("input_tokens") ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: pick("output_tokens") ?? 0,
    cachedInputTokens: cacheRead,
    cacheWriteInputTokens: cacheWrite,
    reasoningTokens: (usage.output_tokens_details ?? earlier?.output_tokens_details)?.thinking_tokens ?? undefined
  }
}

export const fromCanonical = (usage: Usage): AnthropicUsageOut => ({
  input_tokens: Math.max(0, usage.inputTokens - (usage.cachedInputTokens ?? 0) - (usage.cacheWriteInputTokens ?? 0)),
  output_tokens: usage.outputTokens,
  cache_creation_input_tokens: usage.cacheWriteInputTokens ?? null,
  cache_read_input_tokens: usage.cachedInputTokens ?? null,
  ...(usage.reasoningTokens !== undefined ? { output_tokens_details: { thinking_tokens: usage.reasoningTokens } } : {})
})
