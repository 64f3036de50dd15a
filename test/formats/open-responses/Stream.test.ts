import { describe, expect, it } from "@effect/vitest"
import * as AnthropicStream from "../../../src/formats/anthropic-messages/Stream.ts"
import { Effect, Stream } from "effect"
import type { StopReason, StreamEvent, UpstreamFailure } from "../../../src/formats/Canonical.ts"
import * as LocalEngine from "../../../src/local/LocalEngine.ts"
import * as OpenAiStream from "../../../src/formats/openai-chat/Stream.ts"
import * as ResponsesStream from "../../../src/formats/open-responses/Stream.ts"
import * as Sse from "../../../src/formats/Sse.ts"
import { describeAnthropic, describeCanonical, describeOpenAi, fixture, fixtureEvents, parseSse, runFold } from "../Fixtures.ts"
import { describeResponses } from "./Describe.ts"
import { eventSchema, missingRequired } from "./OpenApi.ts"

const decode = (events: ReadonlyArray<Sse.InboundEvent>) =>
  runFold(events, ResponsesStream.initialDecodeState, ResponsesStream.decodeEvent, ResponsesStream.decodeHalt)

const encode = (events: ReadonlyArray<StreamEvent>, options: ResponsesStream.EncodeOptions = { created: 1700000000 }) =>
  runFold(events, ResponsesStream.initialEncodeState(options), ResponsesStream.encodeEvent, ResponsesStream.encodeHalt)

/** The outbound events serialised and parsed back: what a client would read. */
const reparse = (events: ReadonlyArray<Sse.OutboundEvent>) => parseSse(events.map(Sse.encode).join(""))

/** Every encoded event has every field its spec schema requires (events the spec does not name are OpenAI's). */
const expectSpecEvents = (events: ReadonlyArray<Sse.OutboundEvent>) => {
  for (const event of events) {
    if (event._tag === "Done") continue
    const data = event.data as { readonly type: string }
    const schema = eventSchema(data.type)
    if (schema === undefined) {
      expect(data.type).toMatch(/^response\.reasoning_text\.(delta|done)$/)
      continue
    }
    expect(missingRequired(schema, data), data.type).toEqual([])
  }
}

describe("Responses stream → canonical (recorded, openai-node)", () => {
  it("text", () => {
    const events = decode(fixtureEvents("open-responses/text.sse"))
    expect(describeCanonical(events)).toEqual([
      "start resp_test_1 gpt-4o-2024-08-06",
      "start[0] Text",
      "delta[0] Text \"Hello \"",
      "delta[0] Text \"world\"",
      "stop[0]",
      "finish end_turn (completed)"
    ])
    expect(events.at(-1)).toEqual({
      _tag: "Finish",
      finish: { reason: "end_turn", raw: "completed", stopSequence: undefined },
      usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 0, cacheWriteInputTokens: undefined, reasoningTokens: 0 }
    })
  })

  it("reasoning_text, then text (items interleave: the reasoning item is never marked done)", () => {
    const events = decode(fixtureEvents("open-responses/reasoning-text.sse"))
    expect(describeCanonical(events)).toEqual([
      "start resp_reason_1 o3",
      "start[0] Reasoning",
      "delta[0] Reasoning \"Chain: Step 1. \"",
      "delta[0] Reasoning \"Step 2.\"",
      "start[1] Text",
      "delta[1] Text \"The answer is \"",
      "delta[1] Text \"42\"",
      "stop[0]",
      "stop[1]",
      "finish end_turn (completed)"
    ])
    expect(events.at(-1)).toMatchObject({ usage: { outputTokens: 6, reasoningTokens: 2 } })
  })
})

describe("Responses stream → canonical (constructed)", () => {
  it("parallel function calls with interleaved argument deltas land in their own blocks", () => {
    const events = decode(fixtureEvents("open-responses/parallel-tool-calls.sse"))
    expect(describeCanonical(events)).toEqual([
      "start resp_parallel01 gpt-4.1-2025-04-14",
      "start[0] ToolCall call_weather_paris get_weather",
      "start[1] ToolCall call_weather_tokyo get_weather",
      "delta[0] ToolArguments \"{\\\"city\\\":\"",
      "delta[1] ToolArguments \"{\\\"city\\\":\"",
      "delta[1] ToolArguments \" \\\"Tokyo\\\"}\"",
      "delta[0] ToolArguments \" \\\"Paris\\\"}\"",
      "stop[0]",
      "stop[1]",
      "finish tool_calls (completed)"
    ])
    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 120, outputTokens: 40, cachedInputTokens: 64 } })
  })

  it("reasoning summaries are one block, parts apart by a blank line; encrypted_content is the signature", () => {
    expect(describeCanonical(decode(fixtureEvents("open-responses/reasoning-summary.sse")))).toEqual([
      "start resp_summary01 o4-mini-2025-04-16",
      "start[0] Reasoning",
      "delta[0] Reasoning \"**Adding numbers**\\n\\n\"",
      "delta[0] Reasoning \"The user asks 2+2.\"",
      "delta[0] Reasoning \"\\n\\n\"",
      "delta[0] Reasoning \"That is 4.\"",
      "delta[0] Signature \"gAAAAABencrypted==\"",
      "stop[0]",
      "start[1] Text",
      "delta[1] Text \"2 + 2 = \"",
      "delta[1] Text \"4.\"",
      "stop[1]",
      "finish end_turn (completed)"
    ])
  })

  it("response.incomplete with max_output_tokens is a max_tokens finish", () => {
    expect(describeCanonical(decode(fixtureEvents("open-responses/incomplete.sse"))).at(-1)).toBe("finish max_tokens (max_output_tokens)")
  })

  it("an error event mid-stream ends the stream with an Error (the response.failed after it adds nothing)", () => {
    expect(describeCanonical(decode(fixtureEvents("open-responses/error-mid-stream.sse")))).toEqual([
      "start resp_error01 gpt-4.1-2025-04-14",
      "start[0] Text",
      "delta[0] Text \"Once upon\"",
      "stop[0]",
      "error overloaded: The server is overloaded. Please try again later."
    ])
  })
})

describe("Responses stream → canonical, when the upstream misbehaves", () => {
  const events = fixtureEvents("open-responses/text.sse")
  const event = (data: object) => ({ event: "message", data: JSON.stringify(data) })

  it("a stream cut before its terminal event ends with an error, never a silent stop", () => {
    expect(describeCanonical(decode(events.slice(0, 5))).slice(-2)).toEqual(["stop[0]", "error server: the upstream closed the stream before it finished"])
  })

  it("[DONE] without response.completed is an error", () => {
    expect(decode([...events.slice(0, 5), { event: "message", data: "[DONE]" }]).at(-1)).toMatchObject({ _tag: "Error" })
  })

  it("an event that is not JSON is an error", () => {
    expect(decode([{ event: "message", data: "<html>502</html>" }]).at(-1)).toMatchObject({ _tag: "Error", error: { kind: "server" } })
  })

  it("OpenAI's flat error event, and response.failed alone", () => {
    expect(decode([event({ type: "error", code: "rate_limit_exceeded", message: "slow down", param: null })])).toEqual([
      { _tag: "Error", error: { kind: "rate_limit", message: "slow down" } }
    ])
    expect(decode([event({ type: "response.failed", response: { id: "r", status: "failed", error: { code: "server_error", message: "boom" } } })]))
      .toEqual([{ _tag: "Error", error: { kind: "server", message: "boom" } }])
  })

  it("an upstream failure delivered in-band ends with that error", () => {
    const out = runFold<ResponsesStream.DecodeState, Sse.InboundEvent | { readonly _tag: "UpstreamFailure"; readonly error: { readonly kind: "timeout"; readonly message: string } }, StreamEvent>(
      [...events.slice(0, 4), { _tag: "UpstreamFailure", error: { kind: "timeout", message: "idle for 60s" } }],
      ResponsesStream.initialDecodeState,
      ResponsesStream.decodeEvent,
      ResponsesStream.decodeHalt
    )
    expect(describeCanonical(out).slice(-2)).toEqual(["stop[0]", "error timeout: idle for 60s"])
  })

  it("items sent whole (output_item.done only) and arguments given only in .done still arrive", () => {
    const out = decode([
      event({ type: "response.created", response: { id: "r", model: "m" } }),
      event({ type: "response.output_item.added", output_index: 0, item: { type: "function_call", id: "fc", call_id: "c1", name: "f", arguments: "" } }),
      event({ type: "response.function_call_arguments.done", output_index: 0, arguments: "{\"a\":1}" }),
      event({ type: "response.output_item.done", output_index: 0, item: { type: "function_call", id: "fc", call_id: "c1", name: "f", arguments: "{\"a\":1}" } }),
      event({ type: "response.output_item.done", output_index: 1, item: { type: "message", id: "m1", content: [{ type: "output_text", text: "hi" }] } }),
      event({ type: "response.output_item.done", output_index: 2, item: { type: "reasoning", id: "rs", summary: [], encrypted_content: "opaque" } }),
      event({ type: "response.completed", response: { id: "r", status: "completed" } })
    ])
    expect(describeCanonical(out)).toEqual([
      "start r m",
      "start[0] ToolCall c1 f",
      "delta[0] ToolArguments \"{\\\"a\\\":1}\"",
      "stop[0]",
      "start[1] Text",
      "delta[1] Text \"hi\"",
      "stop[1]",
      "start[2] RedactedReasoning opaque",
      "stop[2]",
      "finish tool_calls (completed)"
    ])
  })

  it("the terminal event's resource is read leniently: an odd finished item does not fail a complete stream", () => {
    const out = decode([
      ...events.slice(0, 7),
      event({ type: "response.completed", response: { id: "r", status: "completed", output: [{ type: "message", content: [{ type: "output_text" }] }] } })
    ])
    expect(describeCanonical(out).at(-1)).toBe("finish end_turn (completed)")
  })

  it("refusal parts", () => {
    const out = decode([
      event({ type: "response.created", response: { id: "r", model: "m" } }),
      event({ type: "response.output_item.added", output_index: 0, item: { type: "message", id: "m1", content: [] } }),
      event({ type: "response.content_part.added", output_index: 0, content_index: 0, part: { type: "refusal", refusal: "" } }),
      event({ type: "response.refusal.delta", output_index: 0, content_index: 0, delta: "I can't" }),
      event({ type: "response.refusal.done", output_index: 0, content_index: 0, refusal: "I can't" }),
      event({ type: "response.content_part.done", output_index: 0, content_index: 0, part: { type: "refusal", refusal: "I can't" } }),
      event({ type: "response.completed", response: { id: "r", status: "completed" } })
    ])
    expect(describeCanonical(out)).toEqual(["start r m", "start[0] Refusal", "delta[0] Refusal \"I can't\"", "stop[0]", "finish end_turn (completed)"])
  })
})

describe("canonical → Responses stream", () => {
  /** An Anthropic-style turn: signed thinking, text, then two tool calls whose argument deltas interleave. */
  const events: ReadonlyArray<StreamEvent> = [
    { _tag: "Start", id: "msg_01", model: "claude-sonnet-4-5", created: undefined, usage: undefined },
    { _tag: "BlockStart", index: 0, block: { _tag: "Reasoning" } },
    { _tag: "BlockDelta", index: 0, delta: { _tag: "Reasoning", text: "Two cities." } },
    { _tag: "BlockDelta", index: 0, delta: { _tag: "Signature", signature: "sig-1" } },
    { _tag: "BlockStop", index: 0 },
    { _tag: "BlockStart", index: 1, block: { _tag: "Text" } },
    { _tag: "BlockDelta", index: 1, delta: { _tag: "Text", text: "Checking." } },
    { _tag: "BlockStart", index: 2, block: { _tag: "ToolCall", id: "call_a", name: "get_weather" } },
    { _tag: "BlockStart", index: 3, block: { _tag: "ToolCall", id: "call_b", name: "get_weather" } },
    { _tag: "BlockDelta", index: 2, delta: { _tag: "ToolArguments", json: "{\"city\":" } },
    { _tag: "BlockDelta", index: 3, delta: { _tag: "ToolArguments", json: "{\"city\":\"Tokyo\"}" } },
    { _tag: "BlockDelta", index: 2, delta: { _tag: "ToolArguments", json: "\"Paris\"}" } },
    {
      _tag: "Finish",
      finish: { reason: "tool_calls", raw: "tool_use", stopSequence: undefined },
      usage: { inputTokens: 1250, outputTokens: 70, cachedInputTokens: 1000, cacheWriteInputTokens: 200, reasoningTokens: 30 }
    }
  ]

  it("writes the item lifecycle, parallel calls as their own items, and response.completed with everything", () => {
    const out = encode(events)
    expect(describeResponses(out)).toEqual([
      "response.created msg_01 claude-sonnet-4-5",
      "response.in_progress msg_01 claude-sonnet-4-5",
      "response.output_item.added[0] reasoning rs_msg01_0 in_progress",
      "response.content_part.added[0].0 reasoning_text",
      "response.reasoning_text.delta[0] \"Two cities.\"",
      "response.reasoning_text.done[0] \"Two cities.\"",
      "response.content_part.done[0].0 reasoning_text \"Two cities.\"",
      "response.output_item.done[0] reasoning rs_msg01_0 completed encrypted=sig-1",
      "response.output_item.added[1] message msg_msg01_1 in_progress",
      "response.content_part.added[1].0 output_text",
      "response.output_text.delta[1] \"Checking.\"",
      "response.output_item.added[2] function_call fc_msg01_2 in_progress call_a get_weather",
      "response.output_item.added[3] function_call fc_msg01_3 in_progress call_b get_weather",
      "response.function_call_arguments.delta[2] \"{\\\"city\\\":\"",
      "response.function_call_arguments.delta[3] \"{\\\"city\\\":\\\"Tokyo\\\"}\"",
      "response.function_call_arguments.delta[2] \"\\\"Paris\\\"}\"",
      "response.output_text.done[1] \"Checking.\"",
      "response.content_part.done[1].0 output_text \"Checking.\"",
      "response.output_item.done[1] message msg_msg01_1 completed",
      "response.function_call_arguments.done[2] \"{\\\"city\\\":\\\"Paris\\\"}\"",
      "response.output_item.done[2] function_call fc_msg01_2 completed call_a get_weather {\"city\":\"Paris\"}",
      "response.function_call_arguments.done[3] \"{\\\"city\\\":\\\"Tokyo\\\"}\"",
      "response.output_item.done[3] function_call fc_msg01_3 completed call_b get_weather {\"city\":\"Tokyo\"}",
      "response.completed completed items reasoning:completed,message:completed,function_call:completed,function_call:completed usage 1250+70",
      "[DONE]"
    ])
    expectSpecEvents(out)
    const completed = out.at(-2)
    expect(completed?._tag === "Json" && completed.data).toMatchObject({
      response: {
        object: "response",
        status: "completed",
        completed_at: 1700000000,
        usage: { input_tokens: 1250, input_tokens_details: { cached_tokens: 1000 }, output_tokens: 70, output_tokens_details: { reasoning_tokens: 30 }, total_tokens: 1320 },
        output: [
          { type: "reasoning", content: [{ type: "reasoning_text", text: "Two cities." }], encrypted_content: "sig-1" },
          { type: "message", content: [{ type: "output_text", text: "Checking.", annotations: [] }] },
          { type: "function_call", call_id: "call_a", arguments: "{\"city\":\"Paris\"}" },
          { type: "function_call", call_id: "call_b", arguments: "{\"city\":\"Tokyo\"}" }
        ]
      }
    })
  })

  it("is read back by the decoder as the same blocks (Responses → canonical → Responses → canonical)", () => {
    const twice = decode(reparse(encode(decode(fixtureEvents("open-responses/reasoning-summary.sse")))))
    expect(describeCanonical(twice)).toEqual(describeCanonical(decode(fixtureEvents("open-responses/reasoning-summary.sse"))))
  })

  it("echoes the caller's request in every ResponseResource", () => {
    const out = encode(events.slice(0, 1), {
      created: 1700000000,
      request: {
        model: "claude-sonnet-4-5",
        messages: [],
        tools: [{ name: "get_weather", description: undefined, parameters: { type: "object" }, strict: undefined }],
        toolChoice: { _tag: "Required" },
        parallelToolCalls: false,
        maxTokens: 1024,
        temperature: 0.2,
        topP: undefined,
        topK: undefined,
        stopSequences: undefined,
        user: "u1",
        metadata: { k: "v" },
        reasoning: { effort: "high", mode: undefined, budgetTokens: undefined },
        responseFormat: undefined,
        stream: true,
        includeUsage: undefined,
        ignoredFields: []
      }
    })
    expect(out[0]?._tag === "Json" && out[0].data).toMatchObject({
      response: {
        tools: [{ type: "function", name: "get_weather", description: null, parameters: { type: "object" }, strict: null }],
        tool_choice: "required",
        parallel_tool_calls: false,
        max_output_tokens: 1024,
        temperature: 0.2,
        top_p: 1,
        safety_identifier: "u1",
        metadata: { k: "v" },
        reasoning: { effort: "high", summary: null },
        store: false
      }
    })
  })

  it("an incomplete finish: the open item is incomplete, then response.incomplete with the reason", () => {
    const out = encode([
      events[0]!,
      { _tag: "BlockStart", index: 0, block: { _tag: "Text" } },
      { _tag: "BlockDelta", index: 0, delta: { _tag: "Text", text: "2, 3," } },
      { _tag: "Finish", finish: { reason: "max_tokens", raw: "length", stopSequence: undefined }, usage: undefined }
    ])
    expect(describeResponses(out).slice(-3)).toEqual([
      "response.output_item.done[0] message msg_msg01_0 incomplete",
      "response.incomplete incomplete (max_output_tokens) items message:incomplete",
      "[DONE]"
    ])
    expectSpecEvents(out)
  })

  it("an error mid-stream: the cut-off item closed incomplete, an error event, then response.failed with the error, then [DONE]; nothing after", () => {
    const out = encode([...events.slice(0, 7), { _tag: "Error", error: { kind: "overloaded", message: "Overloaded" } }, ...events.slice(7)])
    expect(describeResponses(out).slice(-6)).toEqual([
      "response.output_text.done[1] \"Checking.\"",
      "response.content_part.done[1].0 output_text \"Checking.\"",
      "response.output_item.done[1] message msg_msg01_1 incomplete",
      "error server_error/server_is_overloaded: Overloaded",
      "response.failed failed (server_is_overloaded: Overloaded) items reasoning:completed,message:incomplete",
      "[DONE]"
    ])
    expectSpecEvents(out)
  })

  it("a canonical stream that just stops ends with response.failed, not response.completed", () => {
    expect(describeResponses(encode(events.slice(0, 3))).slice(-3)).toEqual([
      "error server_error/server_error: the upstream stream ended unexpectedly",
      "response.failed failed (server_error: the upstream stream ended unexpectedly) items reasoning:incomplete",
      "[DONE]"
    ])
  })

  it("redacted reasoning and refusals", () => {
    const out = encode([
      events[0]!,
      { _tag: "BlockStart", index: 0, block: { _tag: "RedactedReasoning", data: "opaque==" } },
      { _tag: "BlockStop", index: 0 },
      { _tag: "BlockDelta", index: 1, delta: { _tag: "Refusal", text: "No." } },
      { _tag: "Finish", finish: { reason: "content_filter", raw: "refusal", stopSequence: undefined }, usage: undefined }
    ])
    expect(describeResponses(out).slice(2)).toEqual([
      "response.output_item.added[0] reasoning rs_msg01_0 in_progress encrypted=opaque==",
      "response.output_item.done[0] reasoning rs_msg01_0 completed encrypted=opaque==",
      "response.output_item.added[1] message msg_msg01_1 in_progress",
      "response.content_part.added[1].0 refusal",
      "response.refusal.delta[1] \"No.\"",
      "response.refusal.done[1] \"No.\"",
      "response.content_part.done[1].0 refusal \"No.\"",
      "response.output_item.done[1] message msg_msg01_1 incomplete",
      "response.incomplete incomplete (content_filter) items reasoning:completed,message:incomplete",
      "[DONE]"
    ])
    expectSpecEvents(out)
  })

  it("each event is one SSE record with its event name and a single-line data", () => {
    const text = encode(events).map(Sse.encode)
    for (const record of text) {
      if (record === "data: [DONE]\n\n") continue
      expect(record).toMatch(/^event: response\.[a-z_.]+\ndata: \{[^\n]*\}\n\n$/)
    }
  })
})

/**
 * What a client sees of each item's life: the status of every `output_item.done` in order, the
 * terminal event, and the `error` event's place. Checks on the way that every added item is done
 * exactly once, before the terminal event (and before `error`), and that the terminal response's
 * `output` holds the same statuses as the done events.
 */
const itemStatuses = (out: ReadonlyArray<Sse.OutboundEvent>) => {
  const events = out.flatMap((event) => event._tag === "Json" ? [event.data as any] : [])
  const added = events.filter((e) => e.type === "response.output_item.added").map((e) => e.output_index)
  const doneEvents = events.filter((e) => e.type === "response.output_item.done")
  expect(doneEvents.map((e) => e.output_index).sort()).toEqual([...added].sort())
  const terminal = events.at(-1)
  const at = (type: string) => events.findIndex((e) => e.type === type)
  for (const e of doneEvents) {
    expect(events.indexOf(e)).toBeLessThan(at(terminal.type))
    if (at("error") >= 0) expect(events.indexOf(e)).toBeLessThan(at("error"))
    expect(terminal.response.output[e.output_index]).toEqual(e.item)
  }
  return { done: doneEvents.map((e) => `${e.item.type}:${e.item.status}`), terminal: terminal.type as string }
}

describe("item statuses: an item's done events carry the status the answer ended with", () => {
  const start: StreamEvent = { _tag: "Start", id: "r1", model: "m", created: undefined, usage: undefined }
  const text = (index: number, words: string): ReadonlyArray<StreamEvent> => [
    { _tag: "BlockStart", index, block: { _tag: "Text" } },
    { _tag: "BlockDelta", index, delta: { _tag: "Text", text: words } }
  ]
  const call = (index: number, id: string): ReadonlyArray<StreamEvent> => [
    { _tag: "BlockStart", index, block: { _tag: "ToolCall", id, name: "f" } },
    { _tag: "BlockDelta", index, delta: { _tag: "ToolArguments", json: "{\"a\":" } }
  ]
  const reasoning = (index: number): ReadonlyArray<StreamEvent> => [
    { _tag: "BlockStart", index, block: { _tag: "Reasoning" } },
    { _tag: "BlockDelta", index, delta: { _tag: "Reasoning", text: "Hm." } }
  ]
  const stop = (index: number): StreamEvent => ({ _tag: "BlockStop", index })
  const finish = (reason: StopReason, raw: string): StreamEvent => ({ _tag: "Finish", finish: { reason, raw, stopSequence: undefined }, usage: undefined })
  const error: StreamEvent = { _tag: "Error", error: { kind: "server", message: "connection reset" } }
  const keepAlive: StreamEvent = { _tag: "KeepAlive" }

  it.each([
    ["a token limit after the block's stop (every decoder stops blocks before Finish)", [...text(0, "1, 2,"), stop(0), finish("max_tokens", "length")], ["message:incomplete"], "response.incomplete"],
    ["a token limit without a stop", [...text(0, "1, 2,"), finish("max_tokens", "length")], ["message:incomplete"], "response.incomplete"],
    ["a keep-alive between the stop and the limit decides nothing", [...text(0, "1, 2,"), stop(0), keepAlive, finish("max_tokens", "max_tokens")], ["message:incomplete"], "response.incomplete"],
    ["a content filter", [...text(0, "Sure"), stop(0), finish("content_filter", "content_filter")], ["message:incomplete"], "response.incomplete"],
    ["a natural end", [...text(0, "Done."), stop(0), finish("end_turn", "stop")], ["message:completed"], "response.completed"],
    ["reasoning that ended before the text the limit cut", [...reasoning(0), stop(0), ...text(1, "So"), stop(1), finish("max_tokens", "length")], ["reasoning:completed", "message:incomplete"], "response.incomplete"],
    ["parallel calls at the limit: the last one emitted is the incomplete one", [...call(0, "a"), ...call(1, "b"), stop(0), stop(1), finish("max_tokens", "length")], ["function_call:completed", "function_call:incomplete"], "response.incomplete"],
    ["text the answer went on from is completed at once", [...text(0, "Let me check."), stop(0), ...call(1, "a"), stop(1), finish("tool_calls", "tool_calls")], ["message:completed", "function_call:completed"], "response.completed"],
    ["a failure after the block's stop (OpenAI-format decoders close blocks, then fail)", [...text(0, "Once upon"), stop(0), error], ["message:incomplete"], "response.failed"],
    ["a failure without a stop (an Anthropic `error` event)", [...text(0, "Once upon"), error], ["message:incomplete"], "response.failed"],
    ["a failure keeps what was finished before it", [...reasoning(0), stop(0), ...text(1, "Once"), error], ["reasoning:completed", "message:incomplete"], "response.failed"],
    ["a failure interrupts every open call", [...call(0, "a"), ...call(1, "b"), stop(0), stop(1), error], ["function_call:incomplete", "function_call:incomplete"], "response.failed"],
    ["a stream that just stops", [...text(0, "Once"), stop(0)], ["message:incomplete"], "response.failed"],
    ["a failure before any item", [error], [], "response.failed"]
  ] as const)("%s", (_, canonical, done, terminal) => {
    const out = encode([start, ...canonical])
    expect(itemStatuses(out)).toEqual({ done, terminal })
    expectSpecEvents(out)
  })

  it("the done events wait for the event after the block's stop, which decides them", () => {
    let state = ResponsesStream.initialEncodeState({ created: 1 })
    for (const event of [start, ...text(0, "1, 2,")]) state = ResponsesStream.encodeEvent(state, event)[0]
    const [stopped, atStop] = ResponsesStream.encodeEvent(state, stop(0))
    expect(atStop).toEqual([])
    const types = (out: ReadonlyArray<Sse.OutboundEvent>) => out.map((e) => e._tag === "Json" ? (e.data as { type: string }).type : "[DONE]")
    expect(types(ResponsesStream.encodeEvent(stopped, finish("max_tokens", "length"))[1])).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.incomplete",
      "[DONE]"
    ])
    expect(types(ResponsesStream.encodeEvent(stopped, text(1, "More")[0]!)[1])).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added"
    ])
  })
})

describe("item statuses across formats (recorded upstream streams → canonical → Responses)", () => {
  const openAi = (text: string) => runFold(parseSse(text), OpenAiStream.initialDecodeState, OpenAiStream.decodeEvent, OpenAiStream.decodeHalt)
  const anthropic = (text: string) => runFold(parseSse(text), AnthropicStream.initialDecodeState, AnthropicStream.decodeEvent, AnthropicStream.decodeHalt)

  it("OpenAI Chat `finish_reason: length`: the message is incomplete in its done event and in response.incomplete", () => {
    const out = encode(openAi(fixture("openai-chat/text.sse").replace("\"finish_reason\":\"stop\"", "\"finish_reason\":\"length\"")))
    expect(itemStatuses(out)).toEqual({ done: ["message:incomplete"], terminal: "response.incomplete" })
    expect(describeResponses(out).at(-2)).toBe("response.incomplete incomplete (max_output_tokens) items message:incomplete usage 17+10")
  })

  it("Anthropic `stop_reason: max_tokens` after content_block_stop: the same", () => {
    const out = encode(anthropic(fixture("anthropic-messages/text.sse").replace("\"stop_reason\":\"end_turn\"", "\"stop_reason\":\"max_tokens\"")))
    expect(itemStatuses(out)).toEqual({ done: ["message:incomplete"], terminal: "response.incomplete" })
  })

  it("a local engine's pieces cut by the token limit: the same", () => {
    const canonical = Effect.runSync(Stream.runCollect(LocalEngine.pieceEvents({ id: "local-1", model: "tiny", created: 1 })(Stream.make(
      { _tag: "Text", text: "Once upon" },
      { _tag: "End", finish: { reason: "max_tokens", raw: "length", stopSequence: undefined }, usage: undefined }
    ))))
    expect(itemStatuses(encode(canonical))).toEqual({ done: ["message:incomplete"], terminal: "response.incomplete" })
  })

  it("OpenAI Chat `data: {error}` mid-answer: the message closed incomplete, then error and response.failed", () => {
    const out = encode(openAi(fixture("openai-chat/error-mid-stream.sse")))
    expect(itemStatuses(out)).toEqual({ done: ["message:incomplete"], terminal: "response.failed" })
    expect(describeResponses(out).slice(-6)).toEqual([
      "response.output_text.done[0] \"Once upon\"",
      "response.content_part.done[0].0 output_text \"Once upon\"",
      "response.output_item.done[0] message msg_chatcmplerror01_0 incomplete",
      "error server_error/server_error: The server had an error while processing your request. Sorry about that!",
      "response.failed failed (server_error: The server had an error while processing your request. Sorry about that!) items message:incomplete",
      "[DONE]"
    ])
  })

  it("an OpenAI Chat upstream reset mid-answer (the failure delivered in-band): the same", () => {
    const events = parseSse(fixture("openai-chat/error-mid-stream.sse")).slice(0, 2)
    const canonical = runFold<OpenAiStream.DecodeState, Sse.InboundEvent | UpstreamFailure, StreamEvent>(
      [...events, { _tag: "UpstreamFailure", error: { kind: "server", message: "the upstream connection was reset" } }],
      OpenAiStream.initialDecodeState,
      OpenAiStream.decodeEvent,
      OpenAiStream.decodeHalt
    )
    expect(itemStatuses(encode(canonical))).toEqual({ done: ["message:incomplete"], terminal: "response.failed" })
  })

  it("Anthropic `overloaded_error` mid-answer (no content_block_stop): the same", () => {
    const out = encode(anthropic(fixture("anthropic-messages/error-mid-stream.sse")))
    expect(itemStatuses(out)).toEqual({ done: ["message:incomplete"], terminal: "response.failed" })
    expect(describeResponses(out).at(-2)).toBe("response.failed failed (server_is_overloaded: Overloaded) items message:incomplete")
  })

  it("a Responses upstream's incomplete stream keeps its statuses through the hub", () => {
    const out = encode(decode(fixtureEvents("open-responses/incomplete.sse")))
    expect(itemStatuses(out)).toEqual({ done: ["message:incomplete"], terminal: "response.incomplete" })
  })
})

describe("across formats", () => {
  it("OpenAI chat stream → canonical → Responses (parallel tool calls, cached usage)", () => {
    const out = encode(runFold(fixtureEvents("openai-chat/parallel-tool-calls.sse"), OpenAiStream.initialDecodeState, OpenAiStream.decodeEvent, OpenAiStream.decodeHalt))
    expect(describeResponses(out)).toEqual([
      "response.created chatcmpl-parallel01 gpt-4o-2024-08-06",
      "response.in_progress chatcmpl-parallel01 gpt-4o-2024-08-06",
      "response.output_item.added[0] function_call fc_chatcmplparallel01_0 in_progress call_weather_paris get_weather",
      "response.output_item.added[1] function_call fc_chatcmplparallel01_1 in_progress call_weather_tokyo get_weather",
      "response.function_call_arguments.delta[0] \"{\\\"city\\\":\"",
      "response.function_call_arguments.delta[1] \"{\\\"city\\\":\"",
      "response.function_call_arguments.delta[1] \" \\\"Tokyo\\\"}\"",
      "response.function_call_arguments.delta[0] \" \\\"Paris\\\"}\"",
      "response.function_call_arguments.done[0] \"{\\\"city\\\": \\\"Paris\\\"}\"",
      "response.output_item.done[0] function_call fc_chatcmplparallel01_0 completed call_weather_paris get_weather {\"city\": \"Paris\"}",
      "response.function_call_arguments.done[1] \"{\\\"city\\\": \\\"Tokyo\\\"}\"",
      "response.output_item.done[1] function_call fc_chatcmplparallel01_1 completed call_weather_tokyo get_weather {\"city\": \"Tokyo\"}",
      "response.completed completed items function_call:completed,function_call:completed usage 120+40",
      "[DONE]"
    ])
    expectSpecEvents(out)
  })

  it("Anthropic stream → canonical → Responses (signed thinking, redacted thinking, text)", () => {
    const canonical = runFold(
      fixtureEvents("anthropic-messages/redacted-thinking.sse"),
      AnthropicStream.initialDecodeState,
      AnthropicStream.decodeEvent,
      AnthropicStream.decodeHalt
    )
    const out = encode(canonical)
    const lines = describeResponses(out)
    expect(lines.filter((line) => line.startsWith("response.output_item.done"))).toEqual([
      expect.stringMatching(/^response\.output_item\.done\[0\] reasoning rs_\w+_0 completed encrypted=\S+$/),
      expect.stringMatching(/^response\.output_item\.done\[1\] reasoning rs_\w+_1 completed encrypted=\S+$/),
      expect.stringMatching(/^response\.output_item\.done\[2\] message msg_\w+_2 completed$/)
    ])
    expect(lines.at(-2)).toMatch(/^response\.completed completed items reasoning:completed,reasoning:completed,message:completed usage \d+\+\d+$/)
    expectSpecEvents(out)
  })

  it("Responses stream → canonical → Anthropic and → OpenAI chat", () => {
    const canonical = decode(fixtureEvents("open-responses/parallel-tool-calls.sse"))
    expect(describeAnthropic(runFold(canonical, AnthropicStream.initialEncodeState, AnthropicStream.encodeEvent, AnthropicStream.encodeHalt))).toEqual([
      "message_start resp_parallel01 gpt-4.1-2025-04-14",
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
    const openai = runFold(canonical, OpenAiStream.initialEncodeState({ includeUsage: true, created: 1 }), OpenAiStream.encodeEvent, OpenAiStream.encodeHalt)
    expect(describeOpenAi(openai).slice(-3)).toEqual(["finish tool_calls", "usage 120+40", "[DONE]"])
  })

  it("a Responses error mid-stream becomes the Anthropic error event", () => {
    const canonical = decode(parseSse(fixture("open-responses/error-mid-stream.sse")))
    const anthropic = runFold(canonical, AnthropicStream.initialEncodeState, AnthropicStream.encodeEvent, AnthropicStream.encodeHalt)
    expect(describeAnthropic(anthropic).at(-1)).toBe("error overloaded_error: The server is overloaded. Please try again later.")
  })
})
