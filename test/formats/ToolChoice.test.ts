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
    const result = OpenAiChoice.toCanonical({ type: "custom" })
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param: "tool_choice" })
  })

  const tools = [{ name: "get_weather" }, { name: "get_time" }, { name: "search" }]

  // Anthropic has no allowed-tools choice: the request carries only the allowed tools.
  it.each<readonly [string, OpenAiChoice.OpenAiToolChoiceOut, ToolChoice, AnthropicChoice.AnthropicToolChoice, ReadonlyArray<string>]>([
    [
      "allowed_tools auto → auto, tools filtered",
      { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "get_time" } }] } },
      { _tag: "Allowed", mode: "auto", names: ["get_time"] },
      { type: "auto" },
      ["get_time"]
    ],
    [
      "allowed_tools required → any, tools filtered",
      {
        type: "allowed_tools",
        allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "search" } }, { type: "function", function: { name: "get_weather" } }] }
      },
      { _tag: "Allowed", mode: "required", names: ["search", "get_weather"] },
      { type: "any" },
      ["get_weather", "search"]
    ],
    ["auto: every tool", "auto", { _tag: "Auto" }, { type: "auto" }, ["get_weather", "get_time", "search"]]
  ])("%s", (_, openai, canonical, anthropic, sent) => {
    expect(Result.getOrThrow(OpenAiChoice.toCanonical(openai))).toEqual(canonical)
    expect(OpenAiChoice.fromCanonical(canonical)).toEqual(openai)
    expect(AnthropicChoice.fromCanonical(canonical, undefined)).toEqual(anthropic)
    expect(Result.getOrThrow(AnthropicChoice.toolsFor(tools, canonical)).map((tool) => tool.name)).toEqual(sent)
  })

  it("allowed_tools: parallel calls forbidden still say so to Anthropic", () => {
    expect(AnthropicChoice.fromCanonical({ _tag: "Allowed", mode: "required", names: ["f"] }, false)).toEqual({ type: "any", disable_parallel_tool_use: true })
  })

  it("allowed_tools naming a tool the request does not define: refused for Anthropic, naming tool_choice", () => {
    const result = AnthropicChoice.toolsFor(tools, { _tag: "Allowed", mode: "auto", names: ["get_time", "nope"] })
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param: "tool_choice" })
  })

  it("refuses a custom tool among OpenAI's allowed_tools, naming it", () => {
    const result = OpenAiChoice.toCanonical({ type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "custom" }] } })
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param: "tool_choice.allowed_tools.tools[0]" })
  })
})
