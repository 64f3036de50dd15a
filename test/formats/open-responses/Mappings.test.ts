import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as AnthropicStop from "../../../src/formats/anthropic-messages/StopReason.ts"
import * as AnthropicUsage from "../../../src/formats/anthropic-messages/Usage.ts"
import type { Finish, StopReason, ToolChoice, Usage } from "../../../src/formats/Canonical.ts"
import * as OpenAiStop from "../../../src/formats/openai-chat/StopReason.ts"
import * as OpenAiChoice from "../../../src/formats/openai-chat/ToolChoice.ts"
import * as ResponsesChoice from "../../../src/formats/open-responses/ToolChoice.ts"
import * as Status from "../../../src/formats/open-responses/Status.ts"
import * as ResponsesUsage from "../../../src/formats/open-responses/Usage.ts"

const finish = (reason: StopReason, raw?: string): Finish => ({ reason, raw, stopSequence: undefined })

describe("status / incomplete_details.reason ↔ canonical", () => {
  it.each([
    ["completed", null, false, "end_turn"],
    ["completed", null, true, "tool_calls"],
    ["incomplete", "max_output_tokens", false, "max_tokens"],
    ["incomplete", "content_filter", false, "content_filter"],
    ["incomplete", "something_new", false, "other"],
    ["incomplete", null, false, "other"],
    ["cancelled", null, false, "other"],
    ["in_progress", null, false, "other"]
  ] as const)("%s (%s, tool calls: %s) → %s", (status, reason, tools, canonical) => {
    expect(Status.toCanonical(status, reason, tools).reason).toBe(canonical)
  })

  it.each([
    ["end_turn", "completed", null],
    ["stop_sequence", "completed", null],
    ["tool_calls", "completed", null],
    ["max_tokens", "incomplete", "max_output_tokens"],
    ["context_window_exceeded", "incomplete", "max_output_tokens"],
    ["content_filter", "incomplete", "content_filter"],
    ["pause", "incomplete", "pause_turn"],
    ["other", "incomplete", "other"]
  ] as const)("canonical %s → %s (%s)", (reason, status, incomplete) => {
    expect(Status.fromCanonical(finish(reason))).toEqual({ status, incomplete_details: incomplete === null ? null : { reason: incomplete } })
  })

  it("never turns an unknown reason into completed, and keeps the upstream's word", () => {
    expect(Status.fromCanonical(finish("other", "abort"))).toEqual({ status: "incomplete", incomplete_details: { reason: "abort" } })
  })

  it.each([
    ["stop", "completed", null],
    ["length", "incomplete", "max_output_tokens"],
    ["tool_calls", "completed", null],
    ["content_filter", "incomplete", "content_filter"]
  ] as const)("OpenAI chat %s → %s", (wire, status, reason) => {
    expect(Status.fromCanonical(OpenAiStop.toCanonical(wire))).toEqual({ status, incomplete_details: reason === null ? null : { reason } })
  })

  it.each([
    ["end_turn", "completed", null],
    ["tool_use", "completed", null],
    ["max_tokens", "incomplete", "max_output_tokens"],
    ["refusal", "incomplete", "content_filter"],
    ["pause_turn", "incomplete", "pause_turn"]
  ] as const)("Anthropic %s → %s", (wire, status, reason) => {
    expect(Status.fromCanonical(AnthropicStop.toCanonical(wire, null))).toEqual({ status, incomplete_details: reason === null ? null : { reason } })
  })

  it.each([
    [["completed", null, false], "end_turn", "stop"],
    [["completed", null, true], "tool_use", "tool_calls"],
    [["incomplete", "max_output_tokens", false], "max_tokens", "length"],
    [["incomplete", "content_filter", false], "refusal", "content_filter"]
  ] as const)("Responses %j → Anthropic %s, OpenAI chat %s", ([status, reason, tools], anthropic, openai) => {
    const canonical = Status.toCanonical(status, reason, tools)
    expect(AnthropicStop.fromCanonical(canonical)).toBe(anthropic)
    expect(OpenAiStop.fromCanonical(canonical)).toBe(openai)
  })
})

describe("tool_choice", () => {
  const table: ReadonlyArray<readonly [string, ResponsesChoice.ResponsesToolChoiceOut, ToolChoice, OpenAiChoice.OpenAiToolChoiceOut]> = [
    ["auto", "auto", { _tag: "Auto" }, "auto"],
    ["none", "none", { _tag: "None" }, "none"],
    ["required", "required", { _tag: "Required" }, "required"],
    ["named (flat)", { type: "function", name: "get_weather" }, { _tag: "Named", name: "get_weather" }, {
      type: "function",
      function: { name: "get_weather" }
    }],
    [
      "allowed_tools auto (flat ↔ nested)",
      { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "get_weather" }, { type: "function", name: "get_time" }] },
      { _tag: "Allowed", mode: "auto", names: ["get_weather", "get_time"] },
      {
        type: "allowed_tools",
        allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "get_weather" } }, { type: "function", function: { name: "get_time" } }] }
      }
    ],
    [
      "allowed_tools required",
      { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "get_weather" }] },
      { _tag: "Allowed", mode: "required", names: ["get_weather"] },
      { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "get_weather" } }] } }
    ]
  ]

  it.each(table)("%s", (_, responses, canonical, chat) => {
    expect(Result.getOrThrow(ResponsesChoice.toCanonical(responses))).toEqual(canonical)
    expect(ResponsesChoice.fromCanonical(canonical)).toEqual(responses)
    expect(OpenAiChoice.fromCanonical(canonical)).toEqual(chat)
  })

  it.each(["web_search_preview", "mcp"])("refuses %s, naming tool_choice", (type) => {
    const result = ResponsesChoice.toCanonical({ type })
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param: "tool_choice" })
  })

  it.each<readonly [string, ResponsesChoice.ResponsesToolChoice, ToolChoice]>([
    ["without a mode: auto (the spec's default)", { type: "allowed_tools", tools: [{ type: "function", name: "f" }] }, { _tag: "Allowed", mode: "auto", names: ["f"] }],
    ["mode none: no tool at all", { type: "allowed_tools", mode: "none", tools: [{ type: "function", name: "f" }] }, { _tag: "None" }]
  ])("allowed_tools %s", (_, responses, canonical) => {
    expect(Result.getOrThrow(ResponsesChoice.toCanonical(responses))).toEqual(canonical)
  })

  it("refuses a hosted tool among allowed_tools, naming it", () => {
    const result = ResponsesChoice.toCanonical({ type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "f" }, { type: "web_search" }] })
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param: "tool_choice.tools[1]" })
  })
})

describe("usage", () => {
  it.each<readonly [string, ResponsesUsage.ResponsesUsage, Usage, ResponsesUsage.ResponsesUsageOut]>([
    [
      "full details",
      { input_tokens: 328, input_tokens_details: { cached_tokens: 64 }, output_tokens: 52, output_tokens_details: { reasoning_tokens: 20 }, total_tokens: 380 },
      { inputTokens: 328, outputTokens: 52, cachedInputTokens: 64, cacheWriteInputTokens: undefined, reasoningTokens: 20 },
      { input_tokens: 328, input_tokens_details: { cached_tokens: 64 }, output_tokens: 52, output_tokens_details: { reasoning_tokens: 20 }, total_tokens: 380 }
    ],
    [
      // Details are required on the way out: unreported counts are written as 0.
      "no details",
      { input_tokens: 10, output_tokens: 2 },
      { inputTokens: 10, outputTokens: 2, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined },
      { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 }
    ]
  ])("%s", (_, wire, canonical, out) => {
    expect(ResponsesUsage.toCanonical(wire)).toEqual(canonical)
    expect(ResponsesUsage.fromCanonical(canonical)).toEqual(out)
  })

  it("Anthropic usage (input_tokens without cache) → Responses input_tokens with it", () => {
    const canonical = AnthropicUsage.toCanonical({ input_tokens: 50, output_tokens: 70, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 })
    expect(ResponsesUsage.fromCanonical(canonical)).toEqual({
      input_tokens: 1250,
      input_tokens_details: { cached_tokens: 1000 },
      output_tokens: 70,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 1320
    })
    // And back: the cache write count has no Responses field.
    expect(AnthropicUsage.fromCanonical(ResponsesUsage.toCanonical(ResponsesUsage.fromCanonical(canonical)))).toMatchObject({
      input_tokens: 250,
      cache_read_input_tokens: 1000,
      cache_creation_input_tokens: null
    })
  })
})
