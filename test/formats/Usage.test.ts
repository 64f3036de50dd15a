import { describe, expect, it } from "@effect/vitest"
import * as AnthropicUsage from "../../src/formats/anthropic-messages/Usage.ts"
import type { Usage } from "../../src/formats/Canonical.ts"
import * as OpenAiUsage from "../../src/formats/openai-chat/Usage.ts"

describe("usage", () => {
  it.each<readonly [string, AnthropicUsage.AnthropicUsage, Usage, OpenAiUsage.OpenAiUsageOut]>([
    [
      "no caching",
      { input_tokens: 20, output_tokens: 5 },
      { inputTokens: 20, outputTokens: 5, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined },
      { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }
    ],
    [
      // Anthropic input_tokens (50) excludes the 1000 read from and the 200 written to the cache.
      "cache reads and writes",
      { input_tokens: 50, output_tokens: 70, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 },
      { inputTokens: 1250, outputTokens: 70, cachedInputTokens: 1000, cacheWriteInputTokens: 200, reasoningTokens: undefined },
      {
        prompt_tokens: 1250,
        completion_tokens: 70,
        total_tokens: 1320,
        prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 }
      }
    ],
    [
      "reasoning tokens",
      { input_tokens: 28, output_tokens: 106, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens_details: { thinking_tokens: 67 } },
      { inputTokens: 28, outputTokens: 106, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 67 },
      {
        prompt_tokens: 28,
        completion_tokens: 106,
        total_tokens: 134,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 67 }
      }
    ]
  ])("%s", (_, anthropic, canonical, openai) => {
    expect(AnthropicUsage.toCanonical(anthropic)).toEqual(canonical)
    expect(OpenAiUsage.fromCanonical(canonical)).toEqual(openai)
    expect(OpenAiUsage.toCanonical(openai)).toEqual(canonical)
    expect(AnthropicUsage.fromCanonical(canonical)).toEqual({
      input_tokens: anthropic.input_tokens,
      output_tokens: anthropic.output_tokens,
      cache_read_input_tokens: anthropic.cache_read_input_tokens ?? null,
      cache_creation_input_tokens: anthropic.cache_creation_input_tokens ?? null,
      ...(canonical.reasoningTokens !== undefined ? { output_tokens_details: { thinking_tokens: canonical.reasoningTokens } } : {})
    })
  })

  it("OpenAI prompt_tokens include the cached ones; Anthropic input_tokens do not", () => {
    const canonical = OpenAiUsage.toCanonical({ prompt_tokens: 120, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 64 } })
    expect(AnthropicUsage.fromCanonical(canonical)).toEqual({
      input_tokens: 56,
      output_tokens: 40,
      cache_read_input_tokens: 64,
      cache_creation_input_tokens: null
    })
  })

  it("lays message_delta's cumulative counters over message_start's", () => {
    const start = { input_tokens: 377, cache_read_input_tokens: 10, cache_creation_input_tokens: 0, output_tokens: 1 }
    expect(AnthropicUsage.toCanonical({ output_tokens: 65 }, start)).toEqual({
      inputTokens: 387,
      outputTokens: 65,
      cachedInputTokens: 10,
      cacheWriteInputTokens: 0,
      reasoningTokens: undefined
    })
    expect(AnthropicUsage.toCanonical({ input_tokens: 400, output_tokens: 65 }, start).inputTokens).toBe(410)
  })
})
