import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AnthropicRequest from "../../../src/formats/anthropic-messages/Request.ts"
import * as OpenAiRequest from "../../../src/formats/openai-chat/Request.ts"
import * as ResponsesRequest from "../../../src/formats/open-responses/Request.ts"

const weatherTool = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }

/** A Codex-style Responses request using every field the hub carries. */
const responsesBody = {
  model: "claude-sonnet-4-5",
  instructions: "You are a coding agent.",
  input: [
    { type: "message", role: "developer", content: [{ type: "input_text", text: "Prefer tools." }] },
    {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "Weather in Paris and Tokyo?" },
        { type: "input_image", image_url: "data:image/jpeg;base64,/9j/4AAQ", detail: "auto" }
      ]
    },
    { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Two calls." }], encrypted_content: "sig-abc" },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking.", annotations: [] }] },
    { type: "function_call", id: "fc_1", call_id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}", status: "completed" },
    { type: "function_call", id: "fc_2", call_id: "call_2", name: "get_weather", arguments: "{\"city\":\"Tokyo\"}", status: "completed" },
    { type: "function_call_output", call_id: "call_1", output: "18°C" },
    { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "25°C" }] },
    { role: "user", content: "Thanks. Which is warmer?" },
    { type: "message", role: "system", content: "Answer in one word." }
  ],
  tools: [{ type: "function", name: "get_weather", description: "Current weather", parameters: weatherTool, strict: true }],
  tool_choice: "required",
  parallel_tool_calls: false,
  text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true }, verbosity: "low" },
  max_output_tokens: 1024,
  temperature: 0.2,
  top_p: 0.9,
  metadata: { session: "s1" },
  safety_identifier: "user-123",
  reasoning: { effort: "high", summary: "auto" },
  stream: true,
  store: false,
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "k1",
  service_tier: "auto"
}

describe("Responses request → canonical", () => {
  it.effect("reads every carried field; reports the ones it drops", () =>
    Effect.gen(function*() {
      const canonical = yield* ResponsesRequest.toCanonical(responsesBody)
      expect(canonical.ignoredFields).toEqual(["prompt_cache_key", "service_tier"])
      expect(canonical.messages).toEqual([
        { role: "system", kind: "system", content: [{ _tag: "Text", text: "You are a coding agent." }] },
        { role: "system", kind: "developer", content: [{ _tag: "Text", text: "Prefer tools." }] },
        {
          role: "user",
          content: [
            { _tag: "Text", text: "Weather in Paris and Tokyo?" },
            { _tag: "Image", source: { _tag: "Base64", mediaType: "image/jpeg", data: "/9j/4AAQ" }, detail: "auto" }
          ]
        },
        {
          role: "assistant",
          content: [
            { _tag: "Reasoning", text: "Two calls.", signature: "sig-abc" },
            { _tag: "Text", text: "Checking." },
            { _tag: "ToolCall", id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
            { _tag: "ToolCall", id: "call_2", name: "get_weather", arguments: "{\"city\":\"Tokyo\"}" }
          ]
        },
        { role: "tool", toolCallId: "call_1", content: [{ _tag: "Text", text: "18°C" }], isError: undefined },
        { role: "tool", toolCallId: "call_2", content: [{ _tag: "Text", text: "25°C" }], isError: undefined },
        { role: "user", content: [{ _tag: "Text", text: "Thanks. Which is warmer?" }] },
        { role: "system", kind: "system", content: [{ _tag: "Text", text: "Answer in one word." }] }
      ])
      expect(canonical).toMatchObject({
        tools: [{ name: "get_weather", description: "Current weather", parameters: weatherTool, strict: true }],
        toolChoice: { _tag: "Required" },
        parallelToolCalls: false,
        maxTokens: 1024,
        temperature: 0.2,
        topP: 0.9,
        user: "user-123",
        metadata: { session: "s1" },
        reasoning: { effort: "high" },
        responseFormat: { _tag: "JsonSchema", name: "answer", schema: { type: "object" }, strict: true },
        stream: true
      })
    }))

  it.effect("input as a plain string", () =>
    Effect.gen(function*() {
      const canonical = yield* ResponsesRequest.toCanonical({ model: "m", input: "hi" })
      expect(canonical.messages).toEqual([{ role: "user", content: [{ _tag: "Text", text: "hi" }] }])
      expect(canonical.stream).toBe(false)
    }))
})

describe("round trips", () => {
  it.effect("Responses → canonical → Responses", () =>
    Effect.gen(function*() {
      const back = yield* ResponsesRequest.fromCanonical(yield* ResponsesRequest.toCanonical(responsesBody))
      expect(back).toEqual({
        model: "claude-sonnet-4-5",
        input: [
          // `instructions` is the leading system message.
          { type: "message", role: "system", content: "You are a coding agent." },
          { type: "message", role: "developer", content: "Prefer tools." },
          {
            type: "message",
            role: "user",
            content: [
              { type: "input_text", text: "Weather in Paris and Tokyo?" },
              { type: "input_image", image_url: "data:image/jpeg;base64,/9j/4AAQ", detail: "auto" }
            ]
          },
          { type: "reasoning", summary: [{ type: "summary_text", text: "Two calls." }], encrypted_content: "sig-abc" },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking.", annotations: [] }] },
          { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
          { type: "function_call", call_id: "call_2", name: "get_weather", arguments: "{\"city\":\"Tokyo\"}" },
          { type: "function_call_output", call_id: "call_1", output: "18°C" },
          { type: "function_call_output", call_id: "call_2", output: "25°C" },
          { type: "message", role: "user", content: "Thanks. Which is warmer?" },
          { type: "message", role: "system", content: "Answer in one word." }
        ],
        tools: [{ type: "function", name: "get_weather", description: "Current weather", parameters: weatherTool, strict: true }],
        tool_choice: "required",
        parallel_tool_calls: false,
        max_output_tokens: 1024,
        temperature: 0.2,
        top_p: 0.9,
        safety_identifier: "user-123",
        metadata: { session: "s1" },
        reasoning: { effort: "high" },
        text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true } },
        include: ["reasoning.encrypted_content"],
        store: false,
        stream: true
      })
    }))

  it.effect("Responses → canonical → OpenAI chat", () =>
    Effect.gen(function*() {
      const chat = yield* OpenAiRequest.fromCanonical(yield* ResponsesRequest.toCanonical(responsesBody))
      expect(chat).toEqual({
        model: "claude-sonnet-4-5",
        messages: [
          { role: "system", content: "You are a coding agent." },
          { role: "developer", content: "Prefer tools." },
          {
            role: "user",
            content: [
              { type: "text", text: "Weather in Paris and Tokyo?" },
              { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ", detail: "auto" } }
            ]
          },
          {
            role: "assistant",
            content: "Checking.",
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } },
              { id: "call_2", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Tokyo\"}" } }
            ]
          },
          { role: "tool", tool_call_id: "call_1", content: "18°C" },
          { role: "tool", tool_call_id: "call_2", content: "25°C" },
          { role: "user", content: "Thanks. Which is warmer?" },
          { role: "system", content: "Answer in one word." }
        ],
        tools: [{ type: "function", function: { name: "get_weather", description: "Current weather", parameters: weatherTool, strict: true } }],
        tool_choice: "required",
        parallel_tool_calls: false,
        max_completion_tokens: 1024,
        temperature: 0.2,
        top_p: 0.9,
        user: "user-123",
        metadata: { session: "s1" },
        reasoning_effort: "high",
        response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
        stream: true,
        stream_options: { include_usage: true }
      })
    }))

  it.effect("Responses → canonical → Anthropic keeps the signed reasoning and the tool pairs", () =>
    Effect.gen(function*() {
      const anthropic = yield* AnthropicRequest.fromCanonical(yield* ResponsesRequest.toCanonical(responsesBody))
      expect(anthropic.system).toEqual([{ type: "text", text: "You are a coding agent." }, { type: "text", text: "Prefer tools." }])
      expect(anthropic.messages[1]).toEqual({
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Two calls.", signature: "sig-abc" },
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Tokyo" } }
        ]
      })
      expect(anthropic).toMatchObject({ max_tokens: 1024, tool_choice: { type: "any", disable_parallel_tool_use: true } })
    }))

  it.effect("Anthropic → canonical → Responses (Claude Code style: cached system, thinking, is_error)", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicRequest.toCanonical({
        model: "claude-sonnet-4-5",
        max_tokens: 8192,
        system: [{ type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }],
        messages: [
          { role: "user", content: [{ type: "text", text: "Read a.pdf" }, { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBER" }, title: "a.pdf" }] },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "Call ls.", signature: "sig-1" },
              { type: "redacted_thinking", data: "opaque==" },
              { type: "tool_use", id: "toolu_01", name: "Bash", input: { command: "ls" } }
            ]
          },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "a.txt", is_error: true }, { type: "text", text: "Go on" }] }
        ],
        tools: [{ name: "Bash", description: "Run", input_schema: { type: "object", properties: { command: { type: "string" } } } }],
        tool_choice: { type: "auto" },
        thinking: { type: "enabled", budget_tokens: 2048 },
        output_config: { effort: "max" },
        metadata: { user_id: "user_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef_account__session_x" },
        stream: true
      })
      expect(yield* ResponsesRequest.fromCanonical(canonical)).toEqual({
        model: "claude-sonnet-4-5",
        input: [
          { type: "message", role: "system", content: "You are Claude Code." },
          {
            type: "message",
            role: "user",
            content: [{ type: "input_text", text: "Read a.pdf" }, { type: "input_file", file_data: "data:application/pdf;base64,JVBER", filename: "a.pdf" }]
          },
          { type: "reasoning", summary: [{ type: "summary_text", text: "Call ls." }], encrypted_content: "sig-1" },
          { type: "reasoning", summary: [], encrypted_content: "opaque==" },
          { type: "function_call", call_id: "toolu_01", name: "Bash", arguments: "{\"command\":\"ls\"}" },
          // Open Responses cannot say is_error.
          { type: "function_call_output", call_id: "toolu_01", output: "a.txt" },
          { type: "message", role: "user", content: "Go on" }
        ],
        // Responses makes omitted `strict` mean true: it is said explicitly.
        tools: [{ type: "function", name: "Bash", description: "Run", parameters: { type: "object", properties: { command: { type: "string" } } }, strict: false }],
        tool_choice: "auto",
        max_output_tokens: 8192,
        // Anthropic's max is OpenAI's xhigh; the user id is over the spec's 64 characters and is not sent.
        reasoning: { effort: "xhigh" },
        include: ["reasoning.encrypted_content"],
        store: false,
        stream: true
      })
    }))
})

describe("reasoning items", () => {
  it.effect("signed reasoning with empty text stays reasoning (not redacted) through a Responses request", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicRequest.toCanonical({
        model: "m",
        max_tokens: 10,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "thinking", thinking: "", signature: "sig-empty" }, { type: "text", text: "Hello." }] },
          { role: "user", content: "again" }
        ]
      })
      const responses = yield* ResponsesRequest.fromCanonical(canonical)
      expect(responses.input[1]).toEqual({ type: "reasoning", summary: [{ type: "summary_text", text: "" }], encrypted_content: "sig-empty" })
      const back = yield* AnthropicRequest.fromCanonical(yield* ResponsesRequest.toCanonical(responses))
      expect(back.messages[1]).toEqual({
        role: "assistant",
        content: [{ type: "thinking", thinking: "", signature: "sig-empty" }, { type: "text", text: "Hello." }]
      })
    }))

  it.effect("reasoning text: content (reasoning_text) wins over summaries; unsigned reasoning is not sent back", () =>
    Effect.gen(function*() {
      const canonical = yield* ResponsesRequest.toCanonical({
        model: "m",
        input: [
          { role: "user", content: "hi" },
          { type: "reasoning", summary: [{ type: "summary_text", text: "short" }], content: [{ type: "reasoning_text", text: "full" }] },
          { role: "assistant", content: "Hello." }
        ]
      })
      expect(canonical.messages[1]).toEqual({
        role: "assistant",
        content: [{ _tag: "Reasoning", text: "full", signature: undefined }, { _tag: "Text", text: "Hello." }]
      })
      expect((yield* ResponsesRequest.fromCanonical(canonical)).input[1]).toEqual({
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "Hello.", annotations: [] }]
      })
    }))
})

describe("requests that cannot be served", () => {
  const body = (extra: object) => ({ model: "m", input: "hi", ...extra })

  it.effect.each([
    ["previous_response_id", body({ previous_response_id: "resp_1" }), "previous_response_id"],
    ["a conversation", body({ conversation: "conv_1" }), "conversation"],
    ["a stored prompt", body({ prompt: { id: "pmpt_1" } }), "prompt"],
    ["background", body({ background: true }), "background"],
    ["a hosted tool", body({ tools: [{ type: "web_search_preview" }] }), "tools[0]"],
    ["allowed_tools without tools", body({ tool_choice: { type: "allowed_tools", mode: "auto", tools: [] } }), "tool_choice.tools"],
    // Nothing is stored yet: saying store: true and getting a response that was not kept would be a lie.
    ["store: true", body({ store: true }), "store"],
    // Dropping turns to fit needs the model's context size and a tokenizer: refused rather than pretended.
    ["truncation: auto", body({ truncation: "auto" }), "truncation"],
    ["json_object", body({ text: { format: { type: "json_object" } } }), "text.format"],
    ["an item_reference", { model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, "input[0]"],
    ["a hosted tool call item", { model: "m", input: [{ type: "web_search_call", id: "ws_1", status: "completed" }] }, "input[0]"],
    ["an image by file_id", { model: "m", input: [{ role: "user", content: [{ type: "input_image", file_id: "file-1" }] }] }, "input[0].content[0].file_id"]
  ] as const)("%s → UnsupportedField naming it", ([_, request, param]) =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(ResponsesRequest.toCanonical(request))).toMatchObject({ _tag: "UnsupportedField", param })
    }))

  it.effect("an invalid body → InvalidRequest naming the field", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(ResponsesRequest.toCanonical({ model: "m", input: [{ type: "function_call", call_id: "c" }] }))).toMatchObject({
        _tag: "InvalidRequest",
        format: "open-responses"
      })
      expect(yield* Effect.flip(ResponsesRequest.toCanonical({ input: "hi" }))).toMatchObject({ _tag: "InvalidRequest", param: "model" })
    }))

  it.effect("stop sequences cannot go to a Responses upstream", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({ model: "m", messages: [{ role: "user", content: "hi" }], stop: ["END"] })
      expect(yield* Effect.flip(ResponsesRequest.fromCanonical(canonical))).toMatchObject({ _tag: "UnsupportedField", target: "open-responses" })
    }))
})
