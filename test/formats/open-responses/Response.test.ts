import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AnthropicResponse from "../../../src/formats/anthropic-messages/Response.ts"
import * as OpenAiResponse from "../../../src/formats/openai-chat/Response.ts"
import * as ResponsesRequest from "../../../src/formats/open-responses/Request.ts"
import * as ResponsesResponse from "../../../src/formats/open-responses/Response.ts"
import { missingRequired, schemas } from "./OpenApi.ts"

/** The spec's own example (examples/ResponseResource.json), trimmed of logprobs. */
const responsesBody = {
  id: "resp_5a3e04d550c84a63a1d4fc4e3e206abb",
  object: "response",
  created_at: 1719900000,
  status: "completed",
  completed_at: 1719900002,
  model: "gpt-4o-2024-06-13",
  output: [{
    type: "message",
    id: "msg_f8cbe04b16844dbea2f8c9eb7a5a0c1b",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text: "Here is an example.", annotations: [] }]
  }],
  parallel_tool_calls: false,
  reasoning: null,
  store: true,
  usage: { input_tokens: 25, input_tokens_details: { cached_tokens: 0 }, output_tokens: 42, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 67 },
  error: null,
  incomplete_details: null
}

const withTools = {
  id: "resp_tools",
  object: "response",
  created_at: 1735689600,
  status: "completed",
  model: "o4-mini",
  output: [
    { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Two cities." }], encrypted_content: "gAAAA==" },
    { type: "function_call", id: "fc_1", call_id: "call_a", name: "get_weather", arguments: "{\"city\":\"Paris\"}", status: "completed" },
    { type: "function_call", id: "fc_2", call_id: "call_b", name: "get_weather", arguments: "{\"city\":\"Tokyo\"}", status: "completed" },
    { type: "web_search_call", id: "ws_1", status: "completed" }
  ],
  usage: { input_tokens: 120, input_tokens_details: { cached_tokens: 64 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 16 }, total_tokens: 160 }
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
    { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } }
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 50, cache_creation_input_tokens: 200, cache_read_input_tokens: 1000, output_tokens: 70 }
}

const options = { created: 1735689700 }

describe("ResponseResource → canonical", () => {
  it.effect("the spec's example", () =>
    Effect.gen(function*() {
      expect(yield* ResponsesResponse.toCanonical(responsesBody)).toEqual({
        id: "resp_5a3e04d550c84a63a1d4fc4e3e206abb",
        model: "gpt-4o-2024-06-13",
        created: 1719900000,
        content: [{ _tag: "Text", text: "Here is an example." }],
        finish: { reason: "end_turn", raw: "completed", stopSequence: undefined },
        usage: { inputTokens: 25, outputTokens: 42, cachedInputTokens: 0, cacheWriteInputTokens: undefined, reasoningTokens: 0 }
      })
    }))

  it.effect("reasoning and parallel calls; a completed response with calls is a tool_calls finish; hosted-tool items are left out", () =>
    Effect.gen(function*() {
      const canonical = yield* ResponsesResponse.toCanonical(withTools)
      expect(canonical.content).toEqual([
        { _tag: "Reasoning", text: "Two cities.", signature: "gAAAA==" },
        { _tag: "ToolCall", id: "call_a", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
        { _tag: "ToolCall", id: "call_b", name: "get_weather", arguments: "{\"city\":\"Tokyo\"}" }
      ])
      expect(canonical.finish.reason).toBe("tool_calls")
      expect(OpenAiResponse.fromCanonical(canonical, options).choices[0]).toMatchObject({
        finish_reason: "tool_calls",
        message: { tool_calls: [{ id: "call_a" }, { id: "call_b" }] }
      })
      expect(AnthropicResponse.fromCanonical(canonical)).toMatchObject({
        stop_reason: "tool_use",
        content: [
          { type: "thinking", thinking: "Two cities.", signature: "gAAAA==" },
          { type: "tool_use", id: "call_a", input: { city: "Paris" } },
          { type: "tool_use", id: "call_b", input: { city: "Tokyo" } }
        ],
        usage: { input_tokens: 56, cache_read_input_tokens: 64 }
      })
    }))

  it.effect("incomplete with max_output_tokens; a failed response is an upstream failure", () =>
    Effect.gen(function*() {
      const incomplete = yield* ResponsesResponse.toCanonical({ ...responsesBody, status: "incomplete", incomplete_details: { reason: "max_output_tokens" } })
      expect(incomplete.finish).toEqual({ reason: "max_tokens", raw: "max_output_tokens", stopSequence: undefined })
      const error = yield* Effect.flip(ResponsesResponse.toCanonical({ ...responsesBody, status: "failed", error: { code: "server_error", message: "boom" } }))
      expect(error).toMatchObject({ _tag: "InvalidUpstreamBody", format: "open-responses", message: "the upstream response failed: boom" })
      expect(yield* Effect.flip(ResponsesResponse.toCanonical({ object: "response" }))).toMatchObject({ _tag: "InvalidUpstreamBody" })
    }))
})

describe("canonical → ResponseResource", () => {
  it.effect("Anthropic message → a complete ResponseResource", () =>
    Effect.gen(function*() {
      const out = ResponsesResponse.fromCanonical(yield* AnthropicResponse.toCanonical(anthropicMessage), options)
      expect(out).toEqual({
        id: "msg_01Thinking",
        object: "response",
        created_at: 1735689700,
        completed_at: 1735689700,
        status: "completed",
        incomplete_details: null,
        model: "claude-sonnet-4-5",
        previous_response_id: null,
        instructions: null,
        output: [
          {
            type: "reasoning",
            id: "rs_msg01Thinking_0",
            status: "completed",
            summary: [],
            content: [{ type: "reasoning_text", text: "Check the weather." }],
            encrypted_content: "sig-1"
          },
          { type: "reasoning", id: "rs_msg01Thinking_1", status: "completed", summary: [], encrypted_content: "opaque==" },
          { type: "message", id: "msg_msg01Thinking_2", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Let me check.", annotations: [] }] },
          { type: "function_call", id: "fc_msg01Thinking_3", call_id: "toolu_01", name: "get_weather", arguments: "{\"city\":\"Paris\"}", status: "completed" }
        ],
        error: null,
        tools: [],
        tool_choice: "auto",
        truncation: "disabled",
        parallel_tool_calls: true,
        text: { format: { type: "text" } },
        top_p: 1,
        presence_penalty: 0,
        frequency_penalty: 0,
        top_logprobs: 0,
        temperature: 1,
        reasoning: null,
        usage: { input_tokens: 1250, input_tokens_details: { cached_tokens: 1000 }, output_tokens: 70, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1320 },
        max_output_tokens: null,
        max_tool_calls: null,
        store: false,
        background: false,
        service_tier: "default",
        metadata: {},
        safety_identifier: null,
        prompt_cache_key: null
      })
    }))

  it.effect("OpenAI chat length stop → incomplete (max_output_tokens), the last item incomplete; no usage → null", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiResponse.toCanonical({
        id: "chatcmpl-1",
        model: "gpt-4o",
        created: 1735689600,
        choices: [{ message: { content: "2, 3," }, finish_reason: "length" }]
      })
      expect(ResponsesResponse.fromCanonical(canonical, options)).toMatchObject({
        created_at: 1735689600,
        completed_at: null,
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        output: [{ type: "message", status: "incomplete" }],
        usage: null
      })
    }))

  it.effect("echoes the caller's request", () =>
    Effect.gen(function*() {
      const request = yield* ResponsesRequest.toCanonical({
        model: "m",
        input: "hi",
        tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
        tool_choice: { type: "function", name: "f" },
        text: { format: { type: "json_schema", name: "answer", schema: { type: "object" } } },
        max_output_tokens: 100,
        temperature: 0.5,
        top_p: 0.5,
        metadata: { a: "b" },
        reasoning: { effort: "low" }
      })
      const out = ResponsesResponse.fromCanonical(yield* OpenAiResponse.toCanonical({ choices: [{ message: { content: "{}" }, finish_reason: "stop" }] }), {
        ...options,
        request
      })
      expect(out).toMatchObject({
        tools: [{ type: "function", name: "f", description: null, parameters: { type: "object" }, strict: null }],
        tool_choice: { type: "function", name: "f" },
        text: { format: { type: "json_schema", name: "answer", description: null, schema: { type: "object" }, strict: false } },
        max_output_tokens: 100,
        temperature: 0.5,
        top_p: 0.5,
        metadata: { a: "b" },
        reasoning: { effort: "low", summary: null }
      })
      expect(missingRequired(schemas.ResponseResource!, out)).toEqual([])
    }))

  it.effect.each<readonly [string, object, object]>([
    ["instructions as sent", { instructions: "Be brief.\nAlways." }, { instructions: "Be brief.\nAlways." }],
    ["no instructions → null; a system item is not instructions", { input: [{ role: "system", content: "x" }, { role: "user", content: "hi" }] }, { instructions: null }],
    ["allowed_tools", {
      tools: [{ type: "function", name: "f" }, { type: "function", name: "g" }],
      tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "g" }] }
    }, { tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "g" }] } }],
    // What was honoured: nothing stored, no truncation.
    ["store: false, truncation: disabled", { store: false, truncation: "disabled" }, { store: false, truncation: "disabled" }],
    ["store and truncation left out", {}, { store: false, truncation: "disabled" }]
  ])("echoes %s", ([_, fields, echoed]) =>
    Effect.gen(function*() {
      const request = yield* ResponsesRequest.toCanonical({ model: "m", input: "hi", ...fields })
      const out = ResponsesResponse.fromCanonical(yield* OpenAiResponse.toCanonical({ choices: [{ message: { content: "ok" }, finish_reason: "stop" }] }), {
        ...options,
        request
      })
      expect(out).toMatchObject(echoed)
    }))
})

describe("the encoded ResponseResource has every field openapi.json requires", () => {
  const required = schemas.ResponseResource!.required ?? []

  it("the spec's list is the one this test knows", () => {
    expect(required.length).toBeGreaterThanOrEqual(30)
    expect(required).toContain("completed_at")
    expect(required).toContain("prompt_cache_key")
  })

  it.effect("the checker itself notices a missing field, at any depth", () =>
    Effect.gen(function*() {
      const out = ResponsesResponse.fromCanonical(yield* AnthropicResponse.toCanonical(anthropicMessage), options)
      const { completed_at: _, ...withoutCompletedAt } = out
      const [first, ...rest] = out.output
      const { summary: __, ...firstWithoutSummary } = first as Extract<typeof first, { readonly type: "reasoning" }>
      expect(missingRequired(schemas.ResponseResource!, { ...withoutCompletedAt, output: [firstWithoutSummary, ...rest] })).toEqual([
        "$.completed_at",
        "$.output[0].summary"
      ])
      expect(missingRequired(schemas.ResponseResource!, { ...out, usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } })).toEqual([
        "$.usage.input_tokens_details",
        "$.usage.output_tokens_details"
      ])
    }))

  it.effect.each([
    ["Anthropic message with reasoning and a tool call", () => AnthropicResponse.toCanonical(anthropicMessage)],
    ["Responses with reasoning and parallel calls", () => ResponsesResponse.toCanonical(withTools)],
    ["OpenAI chat, refusal, no usage", () => OpenAiResponse.toCanonical({ choices: [{ message: { refusal: "No." }, finish_reason: "content_filter" }] })]
  ] as const)("%s", ([_, canonical]) =>
    Effect.gen(function*() {
      const out: object = ResponsesResponse.fromCanonical(yield* canonical(), options)
      for (const key of required) expect(Object.keys(out), key).toContain(key)
      // Recursively: output items, usage details, text format, error.
      expect(missingRequired(schemas.ResponseResource!, out)).toEqual([])
    }))

})
