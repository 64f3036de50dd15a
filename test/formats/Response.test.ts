import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AnthropicResponse from "../../src/formats/anthropic-messages/Response.ts"
import * as OpenAiResponse from "../../src/formats/openai-chat/Response.ts"

/** From openai-node's parser.test.ts.snap (".parse() zod deserialises response_format"). */
const openAiCompletion = {
  id: "chatcmpl-9uLhvwLPvKOZoJ7hwaa666fYuxYif",
  object: "chat.completion",
  created: 1723216839,
  model: "gpt-4o-2024-08-06",
  choices: [{
    index: 0,
    message: { role: "assistant", content: "{\"city\":\"San Francisco\",\"units\":\"c\"}", refusal: null },
    logprobs: null,
    finish_reason: "stop"
  }],
  usage: { prompt_tokens: 17, completion_tokens: 10, total_tokens: 27 },
  system_fingerprint: "fp_2a322c9ffc"
}

const openAiToolCalls = {
  id: "chatcmpl-tools",
  object: "chat.completion",
  created: 1735689600,
  model: "gpt-4o",
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "call_a", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } },
        { id: "call_b", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Tokyo\"}" } }
      ]
    },
    logprobs: null,
    finish_reason: "tool_calls"
  }],
  usage: {
    prompt_tokens: 120,
    completion_tokens: 40,
    total_tokens: 160,
    prompt_tokens_details: { cached_tokens: 64, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 }
  }
}

const anthropicMessage = {
  id: "msg_01Thinking",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5",
  content: [
    { type: "thinking", thinking: "Check the weather.", signature: "sig-1" },
    { type: "redacted_thinking", data: "opaque==" },
    { type: "text", text: "Let me check." },
    { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" }, caller: { type: "direct" } },
    { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: {
    input_tokens: 50,
    cache_creation_input_tokens: 200,
    cache_read_input_tokens: 1000,
    output_tokens: 70,
    output_tokens_details: { thinking_tokens: 30 }
  }
}

describe("OpenAI completion → Anthropic message", () => {
  it.effect("text", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiResponse.toCanonical(openAiCompletion)
      expect(AnthropicResponse.fromCanonical(canonical)).toEqual({
        id: "chatcmpl-9uLhvwLPvKOZoJ7hwaa666fYuxYif",
        type: "message",
        role: "assistant",
        model: "gpt-4o-2024-08-06",
        content: [{ type: "text", text: "{\"city\":\"San Francisco\",\"units\":\"c\"}" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 17, output_tokens: 10, cache_read_input_tokens: null, cache_creation_input_tokens: null }
      })
    }))

  it.effect("parallel tool calls, cached prompt tokens", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiResponse.toCanonical(openAiToolCalls)
      expect(AnthropicResponse.fromCanonical(canonical)).toMatchObject({
        content: [
          { type: "tool_use", id: "call_a", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_b", name: "get_weather", input: { city: "Tokyo" } }
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 56, output_tokens: 40, cache_read_input_tokens: 64, cache_creation_input_tokens: null, output_tokens_details: { thinking_tokens: 0 } }
      })
    }))

  it.effect("a host that stops a tool-calling turn with stop still gives tool_use", () =>
    Effect.gen(function*() {
      const body = { ...openAiToolCalls, choices: [{ ...openAiToolCalls.choices[0]!, finish_reason: "stop" }] }
      expect(AnthropicResponse.fromCanonical(yield* OpenAiResponse.toCanonical(body)).stop_reason).toBe("tool_use")
    }))

  it.effect("reasoning_content and refusal", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiResponse.toCanonical({
        model: "deepseek-reasoner",
        choices: [{ message: { content: null, reasoning_content: "Hmm.", refusal: "I can't help with that." }, finish_reason: "content_filter" }]
      })
      expect(AnthropicResponse.fromCanonical(canonical)).toMatchObject({
        id: "chatcmpl-unknown",
        content: [{ type: "thinking", thinking: "Hmm.", signature: "" }, { type: "text", text: "I can't help with that." }],
        stop_reason: "refusal",
        usage: AnthropicResponse.noUsage
      })
    }))

  it.effect("an unusable body is an InvalidUpstreamBody", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(OpenAiResponse.toCanonical({ choices: [] }))).toMatchObject({ _tag: "InvalidUpstreamBody" })
      expect(yield* Effect.flip(OpenAiResponse.toCanonical({ error: "nope" }))).toMatchObject({ _tag: "InvalidUpstreamBody" })
    }))
})

describe("Anthropic message → OpenAI completion", () => {
  it.effect("thinking with signature, redacted thinking, text, tool use, cache usage", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicResponse.toCanonical(anthropicMessage)
      expect(OpenAiResponse.fromCanonical(canonical, { created: 1735689600 })).toEqual({
        id: "msg_01Thinking",
        object: "chat.completion",
        created: 1735689600,
        model: "claude-sonnet-4-5",
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: "Let me check.",
            refusal: null,
            tool_calls: [{ id: "toolu_01", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }],
            reasoning_content: "Check the weather.",
            reasoning_details: [
              { type: "reasoning.text", text: "Check the weather.", signature: "sig-1", index: 0 },
              { type: "reasoning.encrypted", data: "opaque==", index: 1 }
            ]
          },
          logprobs: null,
          finish_reason: "tool_calls"
        }],
        usage: {
          prompt_tokens: 1250,
          completion_tokens: 70,
          total_tokens: 1320,
          prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 },
          completion_tokens_details: { reasoning_tokens: 30 }
        }
      })
    }))

  it.effect("round trip Anthropic → canonical → OpenAI → canonical → Anthropic keeps what both carry", () =>
    Effect.gen(function*() {
      const openai = OpenAiResponse.fromCanonical(yield* AnthropicResponse.toCanonical(anthropicMessage), { created: 0 })
      const back = AnthropicResponse.fromCanonical(yield* OpenAiResponse.toCanonical(openai))
      expect(back).toEqual({
        ...anthropicMessage,
        content: [
          { type: "thinking", thinking: "Check the weather.", signature: "sig-1" },
          { type: "redacted_thinking", data: "opaque==" },
          { type: "text", text: "Let me check." },
          // server tool blocks only mean something to Anthropic; `caller` is Anthropic-only too.
          { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } }
        ]
      })
    }))

  it.effect("stop sequences keep the matched sequence for Anthropic and read as stop for OpenAI", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicResponse.toCanonical({
        id: "msg_1",
        model: "m",
        content: [{ type: "text", text: "1, 2, 3" }],
        stop_reason: "stop_sequence",
        stop_sequence: "4",
        usage: { input_tokens: 5, output_tokens: 5 }
      })
      expect(AnthropicResponse.fromCanonical(canonical)).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "4" })
      expect(OpenAiResponse.fromCanonical(canonical, { created: 0 }).choices[0]!.finish_reason).toBe("stop")
    }))
})
