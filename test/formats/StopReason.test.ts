import { describe, expect, it } from "@effect/vitest"
import * as AnthropicStop from "../../src/formats/anthropic-messages/StopReason.ts"
import * as OpenAiStop from "../../src/formats/openai-chat/StopReason.ts"

describe("OpenAI finish_reason ↔ canonical", () => {
  it.each([
    ["stop", "end_turn", "stop"],
    ["length", "max_tokens", "length"],
    ["tool_calls", "tool_calls", "tool_calls"],
    ["function_call", "tool_calls", "tool_calls"],
    ["content_filter", "content_filter", "content_filter"],
    ["abort", "other", "abort"],
    ["", "other", ""]
  ] as const)("%s → %s → %s", (wire, canonical, back) => {
    const finish = OpenAiStop.toCanonical(wire)
    expect(finish.reason).toBe(canonical)
    expect(finish.raw).toBe(wire)
    expect(OpenAiStop.fromCanonical(finish)).toBe(back)
  })

  it.each([
    ["stop_sequence", "stop"],
    ["context_window_exceeded", "length"],
    ["pause", "pause_turn"]
  ] as const)("canonical %s → %s", (reason, wire) => {
    expect(OpenAiStop.fromCanonical({ reason, raw: undefined, stopSequence: undefined })).toBe(wire)
  })

  it("never turns an unknown reason into stop", () => {
    expect(OpenAiStop.fromCanonical({ reason: "other", raw: undefined, stopSequence: undefined })).toBe("other")
  })
})

describe("Anthropic stop_reason ↔ canonical", () => {
  it.each([
    ["end_turn", "end_turn"],
    ["max_tokens", "max_tokens"],
    ["stop_sequence", "stop_sequence"],
    ["tool_use", "tool_calls"],
    ["pause_turn", "pause"],
    ["refusal", "content_filter"],
    ["model_context_window_exceeded", "context_window_exceeded"],
    ["something_new", "other"]
  ] as const)("%s ↔ %s", (wire, canonical) => {
    const finish = AnthropicStop.toCanonical(wire, null)
    expect(finish.reason).toBe(canonical)
    expect(AnthropicStop.fromCanonical(finish)).toBe(wire)
  })

  it("keeps the matched stop sequence", () => {
    expect(AnthropicStop.toCanonical("stop_sequence", "###").stopSequence).toBe("###")
  })
})

describe("OpenAI ↔ Anthropic through the hub", () => {
  it.each([
    ["stop", "end_turn"],
    ["length", "max_tokens"],
    ["tool_calls", "tool_use"],
    ["content_filter", "refusal"]
  ])("OpenAI %s ↔ Anthropic %s", (openai, anthropic) => {
    expect(AnthropicStop.fromCanonical(OpenAiStop.toCanonical(openai))).toBe(anthropic)
    expect(OpenAiStop.fromCanonical(AnthropicStop.toCanonical(anthropic, null))).toBe(openai)
  })

  it.each([
    ["stop_sequence", "stop"],
    ["model_context_window_exceeded", "length"],
    ["pause_turn", "pause_turn"],
    ["something_new", "something_new"]
  ])("Anthropic %s → OpenAI %s", (anthropic, openai) => {
    expect(OpenAiStop.fromCanonical(AnthropicStop.toCanonical(anthropic, null))).toBe(openai)
  })
})
