import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as AnthropicChoice from "../../src/formats/anthropic-messages/ToolChoice.ts"
import type { ToolChoice } from "../../src/formats/Canonical.ts"
import * as OpenAiChoice from "../../src/formats/openai-chat/ToolChoice.ts"

const table: ReadonlyArray<readonly [string, OpenAiChoice.OpenAiToolChoiceOut, ToolChoice, AnthropicChoice.AnthropicToolChoice]> = [
  ["auto", "auto", { _tag: "Auto" }, { type: "auto" }],
  ["none", "none", { _tag: "None" }, { type: "none" }],
  ["required ↔ any", "required", { _tag: "Required" }, { type: "any" }],
  ["named ↔ tool", { type: "function", function: { name: "get_weather" } }, { _tag: "Named", name: "get_weather" }, {
    type: "tool",
    name: "get_weather"
  }]
]

describe("tool_choice", () => {
  it.each(table)("%s", (_, openai, canonical, anthropic) => {
    expect(Result.getOrThrow(OpenAiChoice.toCanonical(openai))).toEqual(canonical)
    expect(OpenAiChoice.fromCanonical(canonical)).toEqual(openai)
    expect(AnthropicChoice.toCanonical(anthropic)).toEqual({ toolChoice: canonical, parallelToolCalls: undefined })
    expect(AnthropicChoice.fromCanonical(canonical, undefined)).toEqual(anthropic)
  })

  it("parallel_tool_calls: false ↔ disable_parallel_tool_use: true", () => {
    expect(AnthropicChoice.fromCanonical({ _tag: "Required" }, false)).toEqual({ type: "any", disable_parallel_tool_use: true })
    expect(AnthropicChoice.fromCanonical(undefined, false)).toEqual({ type: "auto", disable_parallel_tool_use: true })
    expect(AnthropicChoice.fromCanonical(undefined, true)).toBeUndefined()
    expect(AnthropicChoice.fromCanonical({ _tag: "None" }, false)).toEqual({ type: "none" })
    expect(AnthropicChoice.toCanonical({ type: "auto", disable_parallel_tool_use: true })).toEqual({
      toolChoice: { _tag: "Auto" },
      parallelToolCalls: false
    })
  })

  it("refuses OpenAI choices no other format has", () => {
    const result = OpenAiChoice.toCanonical({ type: "allowed_tools" })
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param: "tool_choice" })
  })
})
