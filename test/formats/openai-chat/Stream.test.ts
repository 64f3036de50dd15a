import { describe, expect, it } from "@effect/vitest"
import type { StreamEvent } from "../../../src/formats/Canonical.ts"
import * as OpenAiStream from "../../../src/formats/openai-chat/Stream.ts"
import * as Sse from "../../../src/formats/Sse.ts"
import { describeCanonical, describeOpenAi, fixture, fixtureEvents, parseSse, runFold } from "../Fixtures.ts"

const decode = (events: ReadonlyArray<Sse.InboundEvent>) =>
  runFold(events, OpenAiStream.initialDecodeState, OpenAiStream.decodeEvent, OpenAiStream.decodeHalt)

const encode = (events: ReadonlyArray<StreamEvent>, includeUsage = true) =>
  runFold(events, OpenAiStream.initialEncodeState({ includeUsage, created: 1700000000 }), OpenAiStream.encodeEvent, OpenAiStream.encodeHalt)

describe("OpenAI stream → canonical (recorded)", () => {
  it("text (openai-node recording)", () => {
    const events = decode(fixtureEvents("openai-chat/text.sse"))
    expect(describeCanonical(events)).toEqual([
      "start chatcmpl-9tZXEmwtoDf6vqCqEWSvDP8jx9OXe gpt-4o-2024-08-06",
      "start[0] Text",
      "delta[0] Text \"{\\\"\"",
      "delta[0] Text \"city\"",
      "delta[0] Text \"\\\":\\\"\"",
      "delta[0] Text \"San\"",
      "delta[0] Text \" Francisco\"",
      "delta[0] Text \"\\\",\\\"\"",
      "delta[0] Text \"units\"",
      "delta[0] Text \"\\\":\\\"\"",
      "delta[0] Text \"c\"",
      "delta[0] Text \"\\\"}\"",
      "stop[0]",
      "finish end_turn (stop)"
    ])
    expect(events.at(-1)).toEqual({
      _tag: "Finish",
      finish: { reason: "end_turn", raw: "stop", stopSequence: undefined },
      usage: { inputTokens: 17, outputTokens: 10, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
    })
  })

  it("refusal (openai-node recording)", () => {
    const lines = describeCanonical(decode(fixtureEvents("openai-chat/refusal.sse")))
    expect(lines.slice(0, 3)).toEqual(["start chatcmpl-9tZXGacdbmJYO8K50haE4OauaJmPn gpt-4o-2024-08-06", "start[0] Refusal", "delta[0] Refusal \"I'm\""])
    expect(lines.slice(-2)).toEqual(["stop[0]", "finish end_turn (stop)"])
  })
})

describe("OpenAI stream → canonical (constructed)", () => {
  it("parallel tool calls with interleaved argument deltas land in their own blocks", () => {
    const events = decode(fixtureEvents("openai-chat/parallel-tool-calls.sse"))
    expect(describeCanonical(events)).toEqual([
      "start chatcmpl-parallel01 gpt-4o-2024-08-06",
      "start[0] ToolCall call_weather_paris get_weather",
      "start[1] ToolCall call_weather_tokyo get_weather",
      "delta[0] ToolArguments \"{\\\"city\\\":\"",
      "delta[1] ToolArguments \"{\\\"city\\\":\"",
      "delta[1] ToolArguments \" \\\"Tokyo\\\"}\"",
      "delta[0] ToolArguments \" \\\"Paris\\\"}\"",
      "stop[0]",
      "stop[1]",
      "finish tool_calls (tool_calls)"
    ])
    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 120, outputTokens: 40, cachedInputTokens: 64, reasoningTokens: 0 } })
  })

  it("reasoning_content, then text; usage in the finish chunk", () => {
    const events = decode(fixtureEvents("openai-chat/reasoning-content.sse"))
    expect(describeCanonical(events)).toEqual([
      "start chatcmpl-reasoning01 deepseek-reasoner",
      "start[0] Reasoning",
      "delta[0] Reasoning \"The user asks 2+2.\"",
      "delta[0] Reasoning \" That is 4.\"",
      "stop[0]",
      "start[1] Text",
      "delta[1] Text \"2 + 2 = \"",
      "delta[1] Text \"4.\"",
      "stop[1]",
      "finish end_turn (stop)"
    ])
    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 14, outputTokens: 22, reasoningTokens: 15 } })
  })

  it("reasoning + reasoning_details: text read once, the signature kept", () => {
    expect(describeCanonical(decode(fixtureEvents("openai-chat/reasoning-details.sse")))).toEqual([
      "start gen-1735689600-signed anthropic/claude-sonnet-4",
      "start[0] Reasoning",
      "delta[0] Reasoning \"Let me think\"",
      "delta[0] Reasoning \" briefly.\"",
      "delta[0] Signature \"EqQBCkYIBxgCKkBzaWduYXR1cmUtZml4dHVyZQ==\"",
      "stop[0]",
      "start[1] Text",
      "delta[1] Text \"Done.\"",
      "stop[1]",
      "finish end_turn (stop)"
    ])
  })

  it("an error mid-stream ends the stream with an Error", () => {
    expect(describeCanonical(decode(fixtureEvents("openai-chat/error-mid-stream.sse")))).toEqual([
      "start chatcmpl-error01 gpt-4o-2024-08-06",
      "start[0] Text",
      "delta[0] Text \"Once upon\"",
      "stop[0]",
      "error server: The server had an error while processing your request. Sorry about that!"
    ])
  })
})

describe("OpenAI stream → canonical, when the upstream misbehaves", () => {
  const text = fixture("openai-chat/text.sse")

  it("a missing [DONE] still finishes, with the usage", () => {
    const events = decode(parseSse(text.replace("data: [DONE]\n\n", "")))
    expect(events.at(-1)).toMatchObject({ _tag: "Finish", usage: { inputTokens: 17 } })
  })

  it("a stream cut before its finish reason ends with an error, never a silent stop", () => {
    const cut = parseSse(text).slice(0, 4)
    expect(describeCanonical(decode(cut)).slice(-2)).toEqual(["stop[0]", "error server: the upstream closed the stream before it finished"])
  })

  it("[DONE] without a finish reason is an error", () => {
    const events = decode(parseSse(text).filter((event) => !event.data.includes("\"finish_reason\":\"stop\"")))
    expect(events.at(-1)).toMatchObject({ _tag: "Error" })
  })

  it("an event that is not JSON is an error", () => {
    expect(decode([{ event: "message", data: "<html>502</html>" }]).at(-1)).toMatchObject({ _tag: "Error", error: { kind: "server" } })
  })

  it("hosts that number every parallel call 0 still give one block per call id", () => {
    const chunk = (delta: object, finish: string | null = null) => ({
      event: "message",
      data: JSON.stringify({ id: "x", model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })
    })
    const events = decode([
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 0, id: "b", function: { name: "g", arguments: "{\"x\":1}" } }] }),
      chunk({}, "tool_calls"),
      { event: "message", data: "[DONE]" }
    ])
    expect(describeCanonical(events)).toEqual([
      "start x m",
      "start[0] ToolCall a f",
      "delta[0] ToolArguments \"{}\"",
      "start[1] ToolCall b g",
      "delta[1] ToolArguments \"{\\\"x\\\":1}\"",
      "stop[0]",
      "stop[1]",
      "finish tool_calls (tool_calls)"
    ])
  })

  it("a tool-calling turn that finishes with stop is a tool_calls finish", () => {
    const chunk = (delta: object, finish: string | null = null) => ({
      event: "message",
      data: JSON.stringify({ id: "x", model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })
    })
    const events = decode([chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }] }), chunk({}, "stop")])
    expect(events.at(-1)).toMatchObject({ _tag: "Finish", finish: { reason: "tool_calls", raw: "stop" } })
  })
})

describe("canonical → OpenAI stream", () => {
  const events: ReadonlyArray<StreamEvent> = [
    { _tag: "Start", id: "msg_1", model: "claude", created: undefined, usage: undefined },
    { _tag: "BlockStart", index: 0, block: { _tag: "Text" } },
    { _tag: "BlockDelta", index: 0, delta: { _tag: "Text", text: "Hi" } },
    { _tag: "BlockStop", index: 0 },
    {
      _tag: "Finish",
      finish: { reason: "end_turn", raw: "end_turn", stopSequence: undefined },
      usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
    }
  ]

  it("honours include_usage: a usage-only chunk before [DONE], usage: null on the others", () => {
    const out = encode(events, true)
    expect(describeOpenAi(out)).toEqual(["role assistant", "content \"Hi\"", "finish stop", "usage 10+2", "[DONE]"])
    const chunks = out.flatMap((event) => event._tag === "Json" ? [event.data as { usage?: unknown; created: number }] : [])
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true)
    expect(chunks.every((chunk) => chunk.created === 1700000000)).toBe(true)
  })

  it("without include_usage, no usage chunk", () => {
    const out = encode(events, false)
    expect(describeOpenAi(out)).toEqual(["role assistant", "content \"Hi\"", "finish stop", "[DONE]"])
    expect(out.some((event) => event._tag === "Json" && "usage" in event.data)).toBe(false)
  })

  it("a canonical stream that just stops ends with an error event, not [DONE]", () => {
    expect(describeOpenAi(encode(events.slice(0, 3)))).toEqual([
      "role assistant",
      "content \"Hi\"",
      "error server_error/upstream_error: the upstream stream ended unexpectedly"
    ])
  })

  it("an error is the OpenAI error object, and nothing follows it", () => {
    const out = encode([...events.slice(0, 3), { _tag: "Error", error: { kind: "rate_limit", message: "slow down" } }, ...events.slice(3)])
    expect(out.at(-1)).toEqual(Sse.json({ error: { message: "slow down", type: "rate_limit_error", code: "rate_limit_exceeded", param: null } }))
    expect(Sse.encode(out.at(-1)!)).toBe(
      "data: {\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\",\"code\":\"rate_limit_exceeded\",\"param\":null}}\n\n"
    )
  })

  it("OpenAI → canonical → OpenAI keeps the recorded content, finish and usage", () => {
    const out = encode(decode(fixtureEvents("openai-chat/parallel-tool-calls.sse")))
    expect(describeOpenAi(out)).toEqual([
      "role assistant",
      "tool_call[0] call_weather_paris get_weather",
      "tool_call[1] call_weather_tokyo get_weather",
      "args[0] \"{\\\"city\\\":\"",
      "args[1] \"{\\\"city\\\":\"",
      "args[1] \" \\\"Tokyo\\\"}\"",
      "args[0] \" \\\"Paris\\\"}\"",
      "finish tool_calls",
      "usage 120+40",
      "[DONE]"
    ])
  })
})
