import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AnthropicRequest from "../../src/formats/anthropic-messages/Request.ts"
import * as OpenAiRequest from "../../src/formats/openai-chat/Request.ts"

const weatherTool = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"]
}

/** An OpenAI request using every field the hub carries. */
const openAiBody = {
  model: "claude-sonnet-4-5",
  messages: [
    { role: "system", content: "You are terse." },
    { role: "developer", content: [{ type: "text", text: "Prefer tools.", prompt_cache_breakpoint: { mode: "explicit" } }] },
    {
      role: "user",
      content: [
        { type: "text", text: "Weather in Paris and Tokyo?" },
        { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }
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
    { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "25°C" }] },
    { role: "user", content: "Thanks. Which is warmer?" },
    { role: "system", content: "Answer in one word." }
  ],
  tools: [{ type: "function", function: { name: "get_weather", description: "Current weather", parameters: weatherTool, strict: true } }],
  tool_choice: "required",
  parallel_tool_calls: false,
  max_completion_tokens: 1024,
  temperature: 0.2,
  top_p: 0.9,
  stop: ["\n\nHuman:"],
  user: "user-123",
  reasoning_effort: "high",
  stream: true,
  stream_options: { include_usage: true },
  seed: 42,
  logprobs: true
}

/** What it becomes for Anthropic. */
const asAnthropic = {
  model: "claude-sonnet-4-5",
  max_tokens: 1024,
  system: [
    { type: "text", text: "You are terse." },
    { type: "text", text: "Prefer tools.", cache_control: { type: "ephemeral" } }
  ],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "Weather in Paris and Tokyo?" },
        { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } }
      ]
    },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Tokyo" } }
      ]
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "call_1", content: [{ type: "text", text: "18°C" }] },
        { type: "tool_result", tool_use_id: "call_2", content: [{ type: "text", text: "25°C" }] },
        { type: "text", text: "Thanks. Which is warmer?" }
      ]
    },
    { role: "system", content: [{ type: "text", text: "Answer in one word." }] }
  ],
  tools: [{ name: "get_weather", description: "Current weather", input_schema: weatherTool, strict: true }],
  tool_choice: { type: "any", disable_parallel_tool_use: true },
  temperature: 0.2,
  top_p: 0.9,
  stop_sequences: ["\n\nHuman:"],
  metadata: { user_id: "user-123" },
  output_config: { effort: "high" },
  stream: true
}

/** A Claude Code-style Anthropic request: cached system prompt, thinking with signatures, tool results. */
const anthropicBody = {
  model: "claude-sonnet-4-5",
  max_tokens: 8192,
  system: [
    { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral", ttl: "1h" } },
    { type: "text", text: "Be careful." }
  ],
  messages: [
    { role: "user", content: "List files" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "I should call ls.", signature: "sig-abc" },
        { type: "redacted_thinking", data: "opaque==" },
        { type: "text", text: "Listing." },
        { type: "tool_use", id: "toolu_01", name: "Bash", input: { command: "ls" } }
      ]
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01", content: "a.txt\nb.txt", is_error: true },
        { type: "text", text: "Now read a.txt" }
      ]
    },
    { role: "system", content: "Reminder: be brief." }
  ],
  tools: [{ name: "Bash", description: "Run a command", input_schema: { type: "object", properties: { command: { type: "string" } } } }],
  tool_choice: { type: "auto" },
  temperature: 1,
  stop_sequences: ["STOP"],
  metadata: { user_id: "u1" },
  thinking: { type: "enabled", budget_tokens: 2048 },
  stream: true,
  context_management: { edits: [] }
}

describe("OpenAI request → canonical → Anthropic → canonical → OpenAI", () => {
  it.effect("translates every carried field", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical(openAiBody)
      expect(canonical.ignoredFields).toEqual(["seed", "logprobs"])
      expect(canonical.includeUsage).toBe(true)
      const anthropic = yield* AnthropicRequest.fromCanonical(canonical)
      expect(anthropic).toEqual(asAnthropic)

      const back = yield* OpenAiRequest.fromCanonical(yield* AnthropicRequest.toCanonical(anthropic))
      expect(back).toEqual({
        ...openAiBody,
        messages: [
          openAiBody.messages[0],
          // Anthropic has no developer role: it comes back as a system message.
          { role: "system", content: [{ type: "text", text: "Prefer tools.", prompt_cache_breakpoint: { mode: "explicit" } }] },
          openAiBody.messages[2],
          openAiBody.messages[3],
          openAiBody.messages[4],
          { role: "tool", tool_call_id: "call_2", content: "25°C" },
          openAiBody.messages[6],
          openAiBody.messages[7]
        ],
        seed: undefined,
        logprobs: undefined
      })
    }))

  it.effect("uses the documented max_tokens default when the OpenAI request has none", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: null })
      expect((yield* AnthropicRequest.fromCanonical(canonical)).max_tokens).toBe(AnthropicRequest.DEFAULT_MAX_TOKENS)
      expect(AnthropicRequest.DEFAULT_MAX_TOKENS).toBe(4096)
      expect((yield* AnthropicRequest.fromCanonical(canonical, { defaultMaxTokens: 1000 })).max_tokens).toBe(1000)
    }))

  it.effect("reads max_tokens, and writes max_tokens for hosts that want it", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 77 })
      expect(canonical.maxTokens).toBe(77)
      expect(yield* OpenAiRequest.fromCanonical(canonical, { maxTokensField: "max_tokens" })).toEqual({
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 77
      })
    }))
})

describe("Anthropic request → canonical → OpenAI → canonical → Anthropic", () => {
  it.effect("keeps system prompts, signatures, redacted thinking and tool ids", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicRequest.toCanonical(anthropicBody)
      expect(canonical.ignoredFields).toEqual(["context_management"])
      const openai = yield* OpenAiRequest.fromCanonical(canonical, { reasoning: "reasoning_details" })
      expect(openai.messages).toEqual([
        { role: "system", content: [{ type: "text", text: "You are Claude Code.", prompt_cache_breakpoint: { mode: "explicit" } }] },
        { role: "system", content: "Be careful." },
        { role: "user", content: "List files" },
        {
          role: "assistant",
          content: "Listing.",
          tool_calls: [{ id: "toolu_01", type: "function", function: { name: "Bash", arguments: "{\"command\":\"ls\"}" } }],
          reasoning_details: [
            { type: "reasoning.text", text: "I should call ls.", signature: "sig-abc", index: 0 },
            { type: "reasoning.encrypted", data: "opaque==", index: 1 }
          ]
        },
        { role: "tool", tool_call_id: "toolu_01", content: "a.txt\nb.txt" },
        { role: "user", content: "Now read a.txt" },
        { role: "system", content: "Reminder: be brief." }
      ])
      expect(openai).toMatchObject({ tool_choice: "auto", temperature: 1, stop: ["STOP"], user: "u1", stream: true })

      const back = yield* AnthropicRequest.fromCanonical(yield* OpenAiRequest.toCanonical(openai))
      expect(back).toEqual({
        model: "claude-sonnet-4-5",
        max_tokens: 8192,
        system: [
          // OpenAI breakpoints have no TTL of their own.
          { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } },
          { type: "text", text: "Be careful." }
        ],
        messages: [
          { role: "user", content: [{ type: "text", text: "List files" }] },
          anthropicBody.messages[1],
          {
            role: "user",
            content: [
              // OpenAI tool messages cannot say is_error.
              { type: "tool_result", tool_use_id: "toolu_01", content: [{ type: "text", text: "a.txt\nb.txt" }] },
              { type: "text", text: "Now read a.txt" }
            ]
          },
          { role: "system", content: [{ type: "text", text: "Reminder: be brief." }] }
        ],
        tools: anthropicBody.tools,
        tool_choice: { type: "auto" },
        temperature: 1,
        stop_sequences: ["STOP"],
        metadata: { user_id: "u1" },
        // thinking budgets have no OpenAI counterpart.
        stream: true
      })
    }))

  it.effect("omits reasoning in OpenAI requests by default", () =>
    Effect.gen(function*() {
      const openai = yield* OpenAiRequest.fromCanonical(yield* AnthropicRequest.toCanonical(anthropicBody))
      expect(openai.messages[3]).toEqual({
        role: "assistant",
        content: "Listing.",
        tool_calls: [{ id: "toolu_01", type: "function", function: { name: "Bash", arguments: "{\"command\":\"ls\"}" } }]
      })
    }))

  it.effect("accepts role: system inside messages, as @anthropic-ai/sdk 1.x sends it", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicRequest.toCanonical({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "system", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }, { role: "user", content: "hi" }]
      })
      expect(canonical.messages.map((m) => m.role)).toEqual(["system", "system", "user"])
      expect((yield* OpenAiRequest.fromCanonical(canonical)).messages).toEqual([
        { role: "system", content: "a" },
        { role: "system", content: "b" },
        { role: "user", content: "hi" }
      ])
    }))

  it.effect("thinking effort and structured output", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicRequest.toCanonical({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
        output_config: { effort: "low", format: { type: "json_schema", schema: { type: "object" } } }
      })
      expect(yield* OpenAiRequest.fromCanonical(canonical)).toMatchObject({
        reasoning_effort: "low",
        response_format: { type: "json_schema", json_schema: { name: "response", schema: { type: "object" } } }
      })
      const fromOpenAi = yield* OpenAiRequest.toCanonical({ model: "m", messages: [], reasoning_effort: "none" })
      expect(yield* AnthropicRequest.fromCanonical(fromOpenAi)).toMatchObject({ thinking: { type: "disabled" } })
      expect(yield* AnthropicRequest.fromCanonical(yield* OpenAiRequest.toCanonical({ model: "m", messages: [], reasoning_effort: "minimal" })))
        .toMatchObject({ output_config: { effort: "low" } })
    }))
})

describe("requests the target cannot serve", () => {
  const user = (content: unknown) => ({ model: "m", messages: [{ role: "user", content }] })

  it.effect.each([
    ["n > 1", { ...user("hi"), n: 2 }, "n"],
    ["legacy functions", { ...user("hi"), functions: [{ name: "f" }] }, "functions"],
    ["json_object", { ...user("hi"), response_format: { type: "json_object" } }, "response_format"],
    ["a custom tool", { ...user("hi"), tools: [{ type: "custom", custom: { name: "g" } }] }, "tools[0]"],
    ["audio output", { ...user("hi"), modalities: ["text", "audio"] }, "modalities"]
  ] as const)("OpenAI %s → UnsupportedField naming %s", ([_, body, param]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(OpenAiRequest.toCanonical(body))
      expect(error).toMatchObject({ _tag: "UnsupportedField", param })
    }))

  it.effect("OpenAI audio input → Anthropic names the part", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical(user([{ type: "input_audio", input_audio: { data: "UklG", format: "wav" } }]))
      const error = yield* Effect.flip(AnthropicRequest.fromCanonical(canonical))
      expect(error).toMatchObject({ _tag: "UnsupportedField", param: "messages[0].content[0]", target: "anthropic-messages" })
    }))

  it.effect("a temperature above 1 → Anthropic", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({ ...user("hi"), temperature: 1.5 })
      expect(yield* Effect.flip(AnthropicRequest.fromCanonical(canonical))).toMatchObject({ param: "temperature" })
    }))

  it.effect("tool arguments that are not a JSON object → Anthropic", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({
        model: "m",
        messages: [{ role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{oops" } }] }]
      })
      expect(yield* Effect.flip(AnthropicRequest.fromCanonical(canonical))).toMatchObject({ param: "messages[0].content[0]" })
    }))

  it.effect("an Anthropic server tool", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnthropicRequest.toCanonical({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }]
      }))
      expect(error).toMatchObject({ _tag: "UnsupportedField", param: "tools[0]" })
    }))

  it.effect("an image in a tool result → OpenAI", () =>
    Effect.gen(function*() {
      const canonical = yield* AnthropicRequest.toCanonical({
        model: "m",
        max_tokens: 10,
        messages: [{
          role: "user",
          content: [{
            type: "tool_result",
            tool_use_id: "t",
            content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } }]
          }]
        }]
      })
      expect(yield* Effect.flip(OpenAiRequest.fromCanonical(canonical))).toMatchObject({
        param: "messages[0].content[0]",
        target: "openai-chat"
      })
    }))

  it.effect.each([
    ["OpenAI", () => OpenAiRequest.toCanonical({ model: "m", messages: [{ role: "user", content: [{ type: "image_url" }] }] }), "messages[0].content[0].image_url"],
    ["Anthropic", () => AnthropicRequest.toCanonical({ model: "m", messages: [] }), "max_tokens"]
  ] as const)("an invalid %s body → InvalidRequest naming the field", ([_, run, param]) =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(run())).toMatchObject({ _tag: "InvalidRequest", param })
    }))
})

describe("details of the Anthropic encoding", () => {
  it.effect("drops unsigned reasoning and makes tool ids acceptable to Anthropic", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({
        model: "m",
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            reasoning_content: "thinking out loud",
            content: null,
            tool_calls: [{ id: "functions.get_weather:0", type: "function", function: { name: "get_weather", arguments: "" } }]
          },
          { role: "tool", tool_call_id: "functions.get_weather:0", content: "sunny" }
        ]
      })
      const anthropic = yield* AnthropicRequest.fromCanonical(canonical)
      expect(anthropic.messages.slice(1)).toEqual([
        { role: "assistant", content: [{ type: "tool_use", id: "functions_get_weather_0", name: "get_weather", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "functions_get_weather_0", content: [{ type: "text", text: "sunny" }] }] }
      ])
    }))

  it.effect("signed reasoning echoed back by an OpenAI client reaches Anthropic as thinking", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({
        model: "m",
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: "Hello.",
            reasoning_content: "Greet back.",
            reasoning_details: [{ type: "reasoning.text", text: "", signature: "sig-1", index: 0 }]
          },
          { role: "user", content: "again" }
        ]
      })
      const anthropic = yield* AnthropicRequest.fromCanonical(canonical)
      expect(anthropic.messages[1]).toEqual({
        role: "assistant",
        content: [{ type: "thinking", thinking: "Greet back.", signature: "sig-1" }, { type: "text", text: "Hello." }]
      })
    }))

  it.effect("a function without parameters gets an empty object schema", () =>
    Effect.gen(function*() {
      const canonical = yield* OpenAiRequest.toCanonical({
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "now" } }, { type: "function", function: { name: "f", parameters: { properties: {} } } }]
      })
      expect((yield* AnthropicRequest.fromCanonical(canonical)).tools).toEqual([
        { name: "now", input_schema: { type: "object", properties: {} } },
        { name: "f", input_schema: { type: "object", properties: {} } }
      ])
    }))
})
