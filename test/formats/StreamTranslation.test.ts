/**
 * Golden stream tests across formats: a recorded (or constructed) upstream stream in, the exact
 * event sequence the caller's format expects out, through decode fold → canonical → encode fold.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as AnthropicStream from "../../src/formats/anthropic-messages/Stream.ts"
import * as OpenAiStream from "../../src/formats/openai-chat/Stream.ts"
import * as Sse from "../../src/formats/Sse.ts"
import { describeAnthropic, describeOpenAi, fixture } from "./Fixtures.ts"

/** Upstream bytes → SSE events → canonical → caller's SSE events, with the real Stream pipeline. */
const openAiToAnthropic = (path: string) =>
  Effect.runSync(Stream.runCollect(
    Stream.make(new TextEncoder().encode(fixture(path))).pipe(
      Sse.decodeBytes,
      OpenAiStream.decodeStream,
      AnthropicStream.encodeStream
    )
  ))

const anthropicToOpenAi = (path: string, includeUsage: boolean) =>
  Effect.runSync(Stream.runCollect(
    Stream.make(new TextEncoder().encode(fixture(path))).pipe(
      Sse.decodeBytes,
      AnthropicStream.decodeStream,
      OpenAiStream.encodeStream({ includeUsage, created: 1735689600 })
    )
  ))

describe("OpenAI upstream → Anthropic caller", () => {
  it("text, with the usage at the end", () => {
    const out = openAiToAnthropic("openai-chat/text.sse")
    expect(describeAnthropic(out)).toEqual([
      "message_start chatcmpl-9tZXEmwtoDf6vqCqEWSvDP8jx9OXe gpt-4o-2024-08-06",
      "start[0] text",
      "delta[0] text_delta \"{\\\"\"",
      "delta[0] text_delta \"city\"",
      "delta[0] text_delta \"\\\":\\\"\"",
      "delta[0] text_delta \"San\"",
      "delta[0] text_delta \" Francisco\"",
      "delta[0] text_delta \"\\\",\\\"\"",
      "delta[0] text_delta \"units\"",
      "delta[0] text_delta \"\\\":\\\"\"",
      "delta[0] text_delta \"c\"",
      "delta[0] text_delta \"\\\"}\"",
      "stop[0]",
      "message_delta end_turn",
      "message_stop"
    ])
    expect(out.at(-2)).toEqual(Sse.json({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 17, output_tokens: 10, cache_creation_input_tokens: null, cache_read_input_tokens: null }
    }, "message_delta"))
  })

  it("parallel tool calls with interleaved arguments become two sequential tool_use blocks", () => {
    const out = openAiToAnthropic("openai-chat/parallel-tool-calls.sse")
    expect(describeAnthropic(out)).toEqual([
      "message_start chatcmpl-parallel01 gpt-4o-2024-08-06",
      "start[0] tool_use call_weather_paris get_weather",
      "delta[0] input_json_delta \"{\\\"city\\\":\"",
      "delta[0] input_json_delta \" \\\"Paris\\\"}\"",
      "stop[0]",
      "start[1] tool_use call_weather_tokyo get_weather",
      "delta[1] input_json_delta \"{\\\"city\\\":\"",
      "delta[1] input_json_delta \" \\\"Tokyo\\\"}\"",
      "stop[1]",
      "message_delta tool_use",
      "message_stop"
    ])
    // OpenAI's prompt_tokens include the 64 cached ones; Anthropic's input_tokens do not.
    expect(out.at(-2)).toMatchObject({ data: { usage: { input_tokens: 56, cache_read_input_tokens: 64, output_tokens: 40 } } })
  })

  it("signed reasoning (reasoning_details) becomes a thinking block with its signature", () => {
    expect(describeAnthropic(openAiToAnthropic("openai-chat/reasoning-details.sse"))).toEqual([
      "message_start gen-1735689600-signed anthropic/claude-sonnet-4",
      "start[0] thinking",
      "delta[0] thinking_delta \"Let me think\"",
      "delta[0] thinking_delta \" briefly.\"",
      "delta[0] signature_delta \"EqQBCkYIBxgCKkBzaWduYXR1cmUtZml4dHVyZQ==\"",
      "stop[0]",
      "start[1] text",
      "delta[1] text_delta \"Done.\"",
      "stop[1]",
      "message_delta end_turn",
      "message_stop"
    ])
  })

  it("reasoning_content becomes thinking, with the reasoning token count", () => {
    const out = openAiToAnthropic("openai-chat/reasoning-content.sse")
    expect(describeAnthropic(out).slice(1, 5)).toEqual([
      "start[0] thinking",
      "delta[0] thinking_delta \"The user asks 2+2.\"",
      "delta[0] thinking_delta \" That is 4.\"",
      "stop[0]"
    ])
    expect(out.at(-2)).toMatchObject({ data: { usage: { output_tokens: 22, output_tokens_details: { thinking_tokens: 15 } } } })
  })

  it("an error mid-stream becomes event: error", () => {
    expect(describeAnthropic(openAiToAnthropic("openai-chat/error-mid-stream.sse"))).toEqual([
      "message_start chatcmpl-error01 gpt-4o-2024-08-06",
      "start[0] text",
      "delta[0] text_delta \"Once upon\"",
      "stop[0]",
      "error api_error: The server had an error while processing your request. Sorry about that!"
    ])
  })
})

describe("Anthropic upstream → OpenAI caller", () => {
  it("text and a tool call, with include_usage", () => {
    const out = anthropicToOpenAi("anthropic-messages/tool-use.sse", true)
    expect(describeOpenAi(out)).toEqual([
      "role assistant",
      "content \"I\"",
      "content \"'ll check the current weather in Paris for you.\"",
      "tool_call[0] toolu_01NRLabsLyVHZPKxbKvkfSMn get_weather",
      "args[0] \"{\\\"locati\"",
      "args[0] \"on\\\": \\\"P\"",
      "args[0] \"ar\"",
      "args[0] \"is\\\"}\"",
      "finish tool_calls",
      "usage 377+65",
      "[DONE]"
    ])
    expect(out.at(-2)).toEqual(Sse.json({
      id: "msg_019Q1hrJbZG26Fb9BQhrkHEr",
      object: "chat.completion.chunk",
      created: 1735689600,
      model: "claude-opus-4-8",
      choices: [],
      usage: { prompt_tokens: 377, completion_tokens: 65, total_tokens: 442, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 } }
    }))
  })

  it("two tool calls get tool indices 0 and 1; cache reads and writes join prompt_tokens", () => {
    const out = anthropicToOpenAi("anthropic-messages/parallel-tool-calls.sse", true)
    expect(describeOpenAi(out)).toEqual([
      "role assistant",
      "content \"Checking both cities.\"",
      "tool_call[0] toolu_01Paris get_weather",
      "args[0] \"{\\\"city\\\": \\\"Pa\"",
      "args[0] \"ris\\\"}\"",
      "tool_call[1] toolu_02Tokyo get_weather",
      "args[1] \"{\\\"city\\\": \"",
      "args[1] \"\\\"Tokyo\\\"}\"",
      "finish tool_calls",
      "usage 1250+71",
      "[DONE]"
    ])
    expect(out.at(-2)).toMatchObject({ data: { usage: { prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 } } } })
  })

  it("thinking with a signature, refusal stop, no usage chunk without include_usage", () => {
    expect(describeOpenAi(anthropicToOpenAi("anthropic-messages/thinking-refusal.sse", false))).toEqual([
      "role assistant",
      "reasoning \"Simple educ\"",
      "reasoning \"ational question about what a solar eclipse is. This is benign general knowledge — definitions are fine. Also the user called\"",
      "reasoning \" me \\\"claudius\\\" — I'm Claude. Minor correction or just roll with it politely.\"",
      "signature[0] c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU=",
      "content \"Hi\"",
      "finish content_filter",
      "[DONE]"
    ])
  })

  it("redacted thinking travels as reasoning_details", () => {
    expect(describeOpenAi(anthropicToOpenAi("anthropic-messages/redacted-thinking.sse", false))).toEqual([
      "role assistant",
      "reasoning \"Considering the request.\"",
      "signature[0] c2lnbmF0dXJlLWZpeHR1cmUtcmVkYWN0ZWQ=",
      "redacted[1] RW5jcnlwdGVkIHRoaW5raW5nIGZpeHR1cmU=",
      "content \"Here you go.\"",
      "finish stop",
      "[DONE]"
    ])
  })

  it("event: error mid-stream becomes data: {\"error\": …} and no [DONE]", () => {
    const out = anthropicToOpenAi("anthropic-messages/error-mid-stream.sse", true)
    expect(describeOpenAi(out)).toEqual(["role assistant", "content \"Once upon\"", "error server_error/overloaded: Overloaded"])
    expect(Sse.encode(out.at(-1)!)).toBe("data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\",\"code\":\"overloaded\",\"param\":null}}\n\n")
  })
})

describe("an upstream failure mid-stream (transport error, idle timeout)", () => {
  const cut = fixture("anthropic-messages/text.sse").split("event: content_block_stop")[0]!
  const failing = Stream.make(new TextEncoder().encode(cut)).pipe(Stream.concat(Stream.fail("idle timeout" as const)))

  it("decodeStreamWith turns it into the caller's error event, with its own message", () => {
    const out = Effect.runSync(Stream.runCollect(
      failing.pipe(
        Sse.decodeBytes,
        AnthropicStream.decodeStreamWith((error: Sse.SseError | "idle timeout") =>
          error === "idle timeout"
            ? { kind: "timeout", message: "no data from the upstream for 60 s" }
            : { kind: "server", message: error.message }
        ),
        OpenAiStream.encodeStream({ includeUsage: false, created: 0 })
      )
    ))
    expect(describeOpenAi(out)).toEqual([
      "role assistant",
      "content \"Hello\"",
      "content \" there\"",
      "content \"!\"",
      "error server_error/timeout: no data from the upstream for 60 s"
    ])
  })

  it("with plain decodeStream the caller still gets an error event before the failure", () => {
    const events: Array<Sse.OutboundEvent> = []
    const failed = Effect.runSyncExit(Stream.runForEach(
      failing.pipe(Sse.decodeBytes, AnthropicStream.decodeStream, OpenAiStream.encodeStream({ includeUsage: false, created: 0 })),
      (event) => Effect.sync(() => events.push(event))
    ))
    expect(failed._tag).toBe("Failure")
    expect(describeOpenAi(events).at(-1)).toBe("error server_error/upstream_error: the upstream closed the stream before it finished")
  })
})
