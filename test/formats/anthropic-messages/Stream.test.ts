import { describe, expect, it } from "@effect/vitest"
import * as AnthropicStream from "../../../src/formats/anthropic-messages/Stream.ts"
import type { BlockDelta, BlockKind, StreamEvent } from "../../../src/formats/Canonical.ts"
import * as Sse from "../../../src/formats/Sse.ts"
import { describeAnthropic, describeCanonical, fixture, fixtureEvents, parseSse, runFold } from "../Fixtures.ts"

const decode = (events: ReadonlyArray<Sse.InboundEvent>) =>
  runFold(events, AnthropicStream.initialDecodeState, AnthropicStream.decodeEvent, AnthropicStream.decodeHalt)

const encode = (events: ReadonlyArray<StreamEvent>) =>
  runFold(events, AnthropicStream.initialEncodeState, AnthropicStream.encodeEvent, AnthropicStream.encodeHalt)

describe("Anthropic stream → canonical (recorded)", () => {
  it("text and a tool call (anthropic-sdk-typescript recording)", () => {
    const events = decode(fixtureEvents("anthropic-messages/tool-use.sse"))
    expect(describeCanonical(events)).toEqual([
      "start msg_019Q1hrJbZG26Fb9BQhrkHEr claude-opus-4-8",
      "start[0] Text",
      "keep-alive",
      "delta[0] Text \"I\"",
      "delta[0] Text \"'ll check the current weather in Paris for you.\"",
      "stop[0]",
      "start[1] ToolCall toolu_01NRLabsLyVHZPKxbKvkfSMn get_weather",
      "delta[1] ToolArguments \"{\\\"locati\"",
      "delta[1] ToolArguments \"on\\\": \\\"P\"",
      "delta[1] ToolArguments \"ar\"",
      "delta[1] ToolArguments \"is\\\"}\"",
      "stop[1]",
      "finish tool_calls (tool_use)"
    ])
    // message_delta's output count over message_start's input count.
    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 377, outputTokens: 65, cachedInputTokens: 0, cacheWriteInputTokens: 0 } })
  })

  it("thinking with a signature and a refusal (anthropic-sdk-python recording)", () => {
    const events = decode(fixtureEvents("anthropic-messages/thinking-refusal.sse"))
    expect(describeCanonical(events)).toEqual([
      "start msg_fixture_a_0001 claude-fable-5",
      "start[0] Reasoning",
      "keep-alive",
      "delta[0] Reasoning \"Simple educ\"",
      "delta[0] Reasoning \"ational question about what a solar eclipse is. This is benign general knowledge — definitions are fine. Also the user called\"",
      "delta[0] Reasoning \" me \\\"claudius\\\" — I'm Claude. Minor correction or just roll with it politely.\"",
      "delta[0] Signature \"c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU=\"",
      "stop[0]",
      "start[1] Text",
      "delta[1] Text \"Hi\"",
      "stop[1]",
      "finish content_filter (refusal)"
    ])
    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 28, outputTokens: 106, reasoningTokens: 67 } })
  })
})

describe("Anthropic stream → canonical (constructed)", () => {
  it("redacted thinking is a block of its own", () => {
    expect(describeCanonical(decode(fixtureEvents("anthropic-messages/redacted-thinking.sse")))).toEqual([
      "start msg_01RedactedThinkingFixture claude-sonnet-4-5",
      "start[0] Reasoning",
      "delta[0] Reasoning \"Considering the request.\"",
      "delta[0] Signature \"c2lnbmF0dXJlLWZpeHR1cmUtcmVkYWN0ZWQ=\"",
      "stop[0]",
      "start[1] RedactedReasoning RW5jcnlwdGVkIHRoaW5raW5nIGZpeHR1cmU=",
      "stop[1]",
      "start[2] Text",
      "delta[2] Text \"Here you go.\"",
      "stop[2]",
      "finish end_turn (end_turn)"
    ])
  })

  it("cache reads and writes count towards the input", () => {
    const events = decode(fixtureEvents("anthropic-messages/parallel-tool-calls.sse"))
    expect(events.at(-1)).toMatchObject({
      _tag: "Finish",
      usage: { inputTokens: 1250, outputTokens: 71, cachedInputTokens: 1000, cacheWriteInputTokens: 200 }
    })
  })

  it("event: error mid-stream", () => {
    expect(describeCanonical(decode(fixtureEvents("anthropic-messages/error-mid-stream.sse"))).slice(-1)).toEqual([
      "error overloaded: Overloaded"
    ])
  })

  it("blocks the hub does not carry are skipped with their deltas", () => {
    const events = decode(parseSse(fixture("anthropic-messages/text.sse").replace(
      "event: content_block_start",
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":9,\"content_block\":{\"type\":\"compaction\",\"content\":null}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":9,\"delta\":{\"type\":\"compaction_delta\",\"content\":\"x\"}}\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":9}\n\nevent: content_block_start"
    )))
    expect(describeCanonical(events)).toEqual([
      "start msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK claude-opus-4-8",
      "start[0] Text",
      "keep-alive",
      "delta[0] Text \"Hello\"",
      "delta[0] Text \" there\"",
      "delta[0] Text \"!\"",
      "stop[0]",
      "finish end_turn (end_turn)"
    ])
  })

  it("a stream cut before message_delta ends with an error; one cut after it still finishes", () => {
    const events = fixtureEvents("anthropic-messages/text.sse")
    expect(decode(events.slice(0, 5)).at(-1)).toMatchObject({ _tag: "Error" })
    expect(decode(events.slice(0, -1)).at(-1)).toMatchObject({ _tag: "Finish", finish: { reason: "end_turn" } })
  })
})

const start: StreamEvent = { _tag: "Start", id: "msg_1", model: "m", created: undefined, usage: undefined }
const blockStart = (index: number, block: BlockKind): StreamEvent => ({ _tag: "BlockStart", index, block })
const delta = (index: number, d: BlockDelta): StreamEvent => ({ _tag: "BlockDelta", index, delta: d })
const args = (index: number, json: string) => delta(index, { _tag: "ToolArguments", json })
const text = (index: number, t: string) => delta(index, { _tag: "Text", text: t })
const stop = (index: number): StreamEvent => ({ _tag: "BlockStop", index })
const finish: StreamEvent = { _tag: "Finish", finish: { reason: "tool_calls", raw: undefined, stopSequence: undefined }, usage: undefined }

describe("canonical → Anthropic stream: one block at a time", () => {
  it("interleaved argument deltas wait until the open call is complete", () => {
    expect(describeAnthropic(encode([
      start,
      blockStart(0, { _tag: "ToolCall", id: "a", name: "f" }),
      blockStart(1, { _tag: "ToolCall", id: "b", name: "g" }),
      args(0, "{\"x\":"),
      args(1, "{\"y\":"),
      args(0, "1}"),
      args(1, "2}"),
      stop(0),
      stop(1),
      finish
    ]))).toEqual([
      "message_start msg_1 m",
      "start[0] tool_use a f",
      "delta[0] input_json_delta \"{\\\"x\\\":\"",
      "delta[0] input_json_delta \"1}\"",
      // Call 0's arguments are complete when call 1 speaks again: call 0 gives way.
      "stop[0]",
      "start[1] tool_use b g",
      "delta[1] input_json_delta \"{\\\"y\\\":\"",
      "delta[1] input_json_delta \"2}\"",
      "stop[1]",
      "message_delta tool_use",
      "message_stop"
    ])
  })

  it("sequential calls without explicit stops still stream incrementally", () => {
    expect(describeAnthropic(encode([
      start,
      blockStart(0, { _tag: "ToolCall", id: "a", name: "f" }),
      args(0, "{}"),
      blockStart(1, { _tag: "ToolCall", id: "b", name: "g" }),
      args(1, "{\"y\""),
      args(1, ":2}"),
      finish
    ]))).toEqual([
      "message_start msg_1 m",
      "start[0] tool_use a f",
      "delta[0] input_json_delta \"{}\"",
      "stop[0]",
      "start[1] tool_use b g",
      "delta[1] input_json_delta \"{\\\"y\\\"\"",
      "delta[1] input_json_delta \":2}\"",
      "stop[1]",
      "message_delta tool_use",
      "message_stop"
    ])
  })

  it("text that continues after a tool call started goes on in a new text block", () => {
    expect(describeAnthropic(encode([
      start,
      blockStart(0, { _tag: "Text" }),
      text(0, "Let me "),
      blockStart(1, { _tag: "ToolCall", id: "a", name: "f" }),
      text(0, "check."),
      args(1, "{}"),
      finish
    ]))).toEqual([
      "message_start msg_1 m",
      "start[0] text",
      "delta[0] text_delta \"Let me \"",
      "stop[0]",
      "start[1] tool_use a f",
      // The late text waits: the open call's arguments are not complete yet.
      "delta[1] input_json_delta \"{}\"",
      "stop[1]",
      "start[2] text",
      "delta[2] text_delta \"check.\"",
      "stop[2]",
      "message_delta tool_use",
      "message_stop"
    ])
  })

  it("a stream that just stops ends with an error event; KeepAlive is a ping", () => {
    expect(describeAnthropic(encode([start, { _tag: "KeepAlive" }, blockStart(0, { _tag: "Text" }), text(0, "Hi")]))).toEqual([
      "message_start msg_1 m",
      "ping",
      "start[0] text",
      "delta[0] text_delta \"Hi\"",
      "error api_error: the upstream stream ended unexpectedly"
    ])
  })

  it("an error is Anthropic's error event, named error", () => {
    const out = encode([start, { _tag: "Error", error: { kind: "overloaded", message: "Overloaded" } }, finish])
    expect(out.at(-1)).toEqual(Sse.json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, "error"))
    expect(Sse.encode(out.at(-1)!)).toBe("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
    expect(out).toHaveLength(2)
  })
})
