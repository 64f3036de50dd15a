/**
 * `answerUsage`: the tokens, reported cost and error class of caller-facing answers — each format,
 * JSON and event streams (recorded fixtures and constructed ones), with and without cache and
 * reasoning counts, error bodies and error events, bodies cut into head and tail, and garbage.
 */
import { assert, describe, it } from "@effect/vitest"
import type { ApiFormat } from "../../src/config/RemoteConfig.ts"
import { type Answer, answerUsage, type AnswerUsage } from "../../src/usage/AnswerUsage.ts"
import { noTokens, type Tokens } from "../../src/usage/RequestRecord.ts"
import { fixture } from "../formats/Fixtures.ts"

const json = (body: unknown, status = 200): Answer => ({ status, contentType: "application/json", head: JSON.stringify(body), tail: undefined })
const sse = (text: string, status = 200): Answer => ({ status, contentType: "text/event-stream; charset=utf-8", head: text, tail: undefined })
/** An answer as `RequestObserver` keeps a long body: its first and last `keep` characters. */
const cut = (answer: Answer, keep: number): Answer => ({ ...answer, head: answer.head.slice(0, keep), tail: answer.head.slice(-keep) })

const event = (data: unknown, name?: string) => `${name === undefined ? "" : `event: ${name}\n`}data: ${JSON.stringify(data)}\n\n`

const tokens = (input: number | null, output: number | null, more: Partial<Tokens> = {}): Tokens => ({
  input,
  output,
  cachedRead: null,
  cacheWrite: null,
  reasoning: null,
  ...more
})
const result = (t: Tokens, more: Partial<AnswerUsage> = {}): AnswerUsage => ({ tokens: t, reportedCostUsd: null, errorClass: null, ...more })
const nothing = result(noTokens)

// --- Constructed answers -------------------------------------------------------------------------

const openAiCompletion = (usage: unknown) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop" }],
  usage
})

const openAiChunk = (content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
  usage: null
})

/** An OpenAI stream of `n` content chunks, then the usage chunk and `[DONE]`. */
const openAiStream = (n: number, usage: unknown) => {
  let text = ""
  for (let i = 0; i < n; i++) text += event(openAiChunk(`word ${i} `))
  return text + event({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [], usage }) + "data: [DONE]\n\n"
}

const anthropicMessage = (usage: unknown) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5",
  content: [{ type: "text", text: "Hello" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage
})

/** An Anthropic stream: `message_start` with `startUsage`, `n` text deltas, `message_delta` with `deltaUsage` (unless undefined). */
const anthropicStream = (n: number, startUsage: unknown, deltaUsage: unknown) => {
  let text = event({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], usage: startUsage } }, "message_start")
  text += event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start")
  for (let i = 0; i < n; i++) text += event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: `word ${i} ` } }, "content_block_delta")
  text += event({ type: "content_block_stop", index: 0 }, "content_block_stop")
  if (deltaUsage !== undefined) {
    text += event({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: deltaUsage }, "message_delta")
    text += event({ type: "message_stop" }, "message_stop")
  }
  return text
}

const responsesResource = (fields: object) => ({
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  model: "gpt-4.1",
  output: [{ type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hello", annotations: [] }] }],
  error: null,
  ...fields
})

/** A Responses stream whose final resource repeats `n` words of output (a long answer makes a long `response.completed`). */
const responsesStream = (n: number, usage: unknown, terminal = "response.completed") => {
  const words = Array.from({ length: n }, (_, i) => `word ${i}`).join(" ")
  let text = event({ type: "response.created", sequence_number: 0, response: responsesResource({ status: "in_progress", output: [], usage: null }) }, "response.created")
  for (let i = 0; i < n; i++) {
    text += event({ type: "response.output_text.delta", sequence_number: i + 1, item_id: "msg_1", output_index: 0, content_index: 0, delta: `word ${i} ` }, "response.output_text.delta")
  }
  const resource = responsesResource({
    status: terminal === "response.completed" ? "completed" : "incomplete",
    output: [{ type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: words, annotations: [] }] }],
    usage
  })
  return text + event({ type: terminal, sequence_number: n + 1, response: resource }, terminal) + "data: [DONE]\n\n"
}

const openAiUsage = { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 }
const openAiUsageDetailed = {
  prompt_tokens: 1200,
  completion_tokens: 300,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 100 },
  completion_tokens_details: { reasoning_tokens: 120 }
}
const responsesUsage = {
  input_tokens: 1200,
  input_tokens_details: { cached_tokens: 1000 },
  output_tokens: 300,
  output_tokens_details: { reasoning_tokens: 120 },
  total_tokens: 1500
}

type Case = readonly [name: string, format: ApiFormat, answer: Answer, expected: AnswerUsage]

const cases: ReadonlyArray<Case> = [
  // OpenAI Chat Completions, JSON
  ["openai JSON, plain counts", "openai", json(openAiCompletion(openAiUsage)), result(tokens(1200, 300))],
  [
    "openai JSON, cached, cache write and reasoning",
    "openai",
    json(openAiCompletion(openAiUsageDetailed)),
    result(tokens(1200, 300, { cachedRead: 1000, cacheWrite: 100, reasoning: 120 }))
  ],
  ["openai JSON without usage", "openai", json(openAiCompletion(undefined)), nothing],
  [
    "openai JSON, OpenRouter's cost",
    "openai",
    json(openAiCompletion({ ...openAiUsage, cost: 0.0042, is_byok: false, cost_details: { upstream_inference_cost: 0.0042 } })),
    result(tokens(1200, 300), { reportedCostUsd: 0.0042 })
  ],
  [
    "openai JSON, OpenRouter BYOK: its fee plus the provider's charge",
    "openai",
    json(openAiCompletion({ ...openAiUsage, cost: 0.0002, is_byok: true, cost_details: { upstream_inference_cost: 0.004 } })),
    result(tokens(1200, 300), { reportedCostUsd: 0.0042 })
  ],
  [
    "openai JSON, xAI's ticks",
    "openai",
    json(openAiCompletion({ ...openAiUsage, cost_in_usd_ticks: 37756000 })),
    result(tokens(1200, 300), { reportedCostUsd: 0.0037756 })
  ],
  [
    "openai JSON error: its code",
    "openai",
    json({ error: { message: "Rate limit reached", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } }, 429),
    result(noTokens, { errorClass: "rate_limit_exceeded" })
  ],
  [
    "openai JSON error without a code: its type",
    "openai",
    json({ error: { message: "boom", type: "server_error", param: null, code: null } }, 500),
    result(noTokens, { errorClass: "server_error" })
  ],
  ["openai JSON error, a numeric code", "openai", json({ error: { message: "busy", code: 503 } }, 503), result(noTokens, { errorClass: "503" })],
  ["openai JSON error as a bare string", "openai", json({ error: "something broke" }, 500), nothing],
  // OpenAI Chat Completions, streams
  [
    "openai stream: the usage chunk (recorded: cached tokens)",
    "openai",
    sse(fixture("openai-chat/parallel-tool-calls.sse")),
    result(tokens(120, 40, { cachedRead: 64, reasoning: 0 }))
  ],
  [
    "openai stream: usage on the finish chunk (recorded: reasoning)",
    "openai",
    sse(fixture("openai-chat/reasoning-content.sse")),
    result(tokens(14, 22, { cachedRead: 0, reasoning: 15 }))
  ],
  ["openai stream (recorded, official SDK)", "openai", sse(fixture("openai-chat/text.sse")), result(tokens(17, 10))],
  ["openai stream without usage (include_usage not asked)", "openai", sse(event(openAiChunk("Hi")) + "data: [DONE]\n\n"), nothing],
  [
    "openai stream: OpenRouter's cost in the last chunk",
    "openai",
    sse(openAiStream(3, { ...openAiUsageDetailed, cost: 0.01 })),
    result(tokens(1200, 300, { cachedRead: 1000, cacheWrite: 100, reasoning: 120 }), { reportedCostUsd: 0.01 })
  ],
  ["openai stream: error event (recorded)", "openai", sse(fixture("openai-chat/error-mid-stream.sse")), result(noTokens, { errorClass: "server_error" })],
  ["openai stream without its closing blank line", "openai", sse(openAiStream(2, openAiUsage).replace(/\n\n$/, "\n")), result(tokens(1200, 300))],
  ["openai stream with CRLF line ends", "openai", sse(openAiStream(2, openAiUsage).replaceAll("\n", "\r\n")), result(tokens(1200, 300))],
  ["openai stream, cut into head and tail", "openai", cut(sse(openAiStream(3000, openAiUsage)), 64 * 1024), result(tokens(1200, 300))],
  [
    "openai stream cut, its usage chunk split by the tail's start: skipped, then found whole",
    "openai",
    (() => {
      const text = openAiStream(100, openAiUsage)
      const usageAt = text.indexOf(`"usage":{`)
      return { ...sse(text), head: text.slice(0, 1000), tail: text.slice(usageAt - 20) }
    })(),
    result(tokens(1200, 300))
  ],
  [
    "openai stream served as application/json: read as a stream",
    "openai",
    { ...sse(openAiStream(2, openAiUsage)), contentType: "application/json" },
    result(tokens(1200, 300))
  ],
  // Anthropic Messages, JSON
  [
    "anthropic JSON, cache read and write: input includes both",
    "anthropic",
    json(anthropicMessage({ input_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 71 })),
    result(tokens(1250, 71, { cachedRead: 1000, cacheWrite: 200 }))
  ],
  ["anthropic JSON without cache counts", "anthropic", json(anthropicMessage({ input_tokens: 50, output_tokens: 9 })), result(tokens(50, 9))],
  [
    "anthropic JSON, thinking tokens",
    "anthropic",
    json(anthropicMessage({ input_tokens: 50, output_tokens: 90, output_tokens_details: { thinking_tokens: 60 } })),
    result(tokens(50, 90, { reasoning: 60 }))
  ],
  [
    "anthropic JSON error",
    "anthropic",
    json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, 529),
    result(noTokens, { errorClass: "overloaded_error" })
  ],
  ["anthropic JSON, OpenRouter-style cost in usage", "anthropic", json(anthropicMessage({ input_tokens: 5, output_tokens: 6, cost: 0.5 })), result(tokens(5, 6), { reportedCostUsd: 0.5 })],
  // Anthropic Messages, streams
  [
    "anthropic stream: cache counts in message_start, output in message_delta (recorded shape)",
    "anthropic",
    sse(fixture("anthropic-messages/parallel-tool-calls.sse")),
    result(tokens(1250, 71, { cachedRead: 1000, cacheWrite: 200 }))
  ],
  [
    "anthropic stream: thinking tokens",
    "anthropic",
    sse(fixture("anthropic-messages/redacted-thinking.sse")),
    result(tokens(40, 90, { reasoning: 60 }))
  ],
  [
    "anthropic stream: message_delta repeating every count (recorded)",
    "anthropic",
    sse(fixture("anthropic-messages/thinking-refusal.sse")),
    result(tokens(28, 106, { cachedRead: 0, cacheWrite: 0, reasoning: 67 }))
  ],
  ["anthropic stream (recorded, official SDK)", "anthropic", sse(fixture("anthropic-messages/text.sse")), result(tokens(11, 6))],
  [
    "anthropic stream: error event after message_start (recorded): the prompt is known, the output not",
    "anthropic",
    sse(fixture("anthropic-messages/error-mid-stream.sse")),
    result(tokens(12, null), { errorClass: "overloaded_error" })
  ],
  [
    "anthropic stream ended before message_delta (client gone)",
    "anthropic",
    sse(anthropicStream(3, { input_tokens: 30, cache_read_input_tokens: 500, output_tokens: 1 }, undefined)),
    result(tokens(530, null, { cachedRead: 500 }))
  ],
  [
    "anthropic stream translated by Switchboard: zero placeholders in message_start, every count in message_delta",
    "anthropic",
    sse(anthropicStream(
      2,
      { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null },
      { input_tokens: 200, output_tokens: 300, cache_creation_input_tokens: null, cache_read_input_tokens: 1000, output_tokens_details: { thinking_tokens: 120 } }
    )),
    result(tokens(1200, 300, { cachedRead: 1000, reasoning: 120 }))
  ],
  [
    "anthropic stream translated, cut before message_delta: placeholders say nothing",
    "anthropic",
    sse(anthropicStream(2, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null }, undefined)),
    nothing
  ],
  [
    "anthropic stream, cut into head and tail",
    "anthropic",
    cut(sse(anthropicStream(3000, { input_tokens: 40, cache_creation_input_tokens: 10, output_tokens: 1 }, { output_tokens: 3000 })), 64 * 1024),
    result(tokens(50, 3000, { cacheWrite: 10 }))
  ],
  // Open Responses, JSON
  [
    "responses JSON: cached and reasoning",
    "responses",
    json(responsesResource({ usage: responsesUsage })),
    result(tokens(1200, 300, { cachedRead: 1000, reasoning: 120 }))
  ],
  [
    "responses JSON without details",
    "responses",
    json(responsesResource({ usage: { input_tokens: 10, output_tokens: 2 } })),
    result(tokens(10, 2))
  ],
  [
    "responses JSON: xAI's ticks",
    "responses",
    json(responsesResource({ usage: { input_tokens: 10, output_tokens: 2, cost_in_usd_ticks: 2e8 } })),
    result(tokens(10, 2), { reportedCostUsd: 0.02 })
  ],
  [
    "responses JSON error body",
    "responses",
    json({ error: { message: "no such model", type: "not_found", param: "model", code: "model_not_found" } }, 404),
    result(noTokens, { errorClass: "model_not_found" })
  ],
  [
    "responses JSON: a failed response",
    "responses",
    json(responsesResource({ status: "failed", error: { code: "server_error", message: "boom" }, usage: null })),
    result(noTokens, { errorClass: "server_error" })
  ],
  // Open Responses, streams
  ["responses stream: response.completed (recorded)", "responses", sse(fixture("open-responses/text.sse")), result(tokens(10, 2, { cachedRead: 0, reasoning: 0 }))],
  [
    "responses stream: cached tokens (recorded)",
    "responses",
    sse(fixture("open-responses/parallel-tool-calls.sse")),
    result(tokens(120, 40, { cachedRead: 64, reasoning: 0 }))
  ],
  [
    "responses stream: response.incomplete (recorded)",
    "responses",
    sse(fixture("open-responses/incomplete.sse")),
    result(tokens(12, 16, { cachedRead: 0, reasoning: 0 }))
  ],
  [
    "responses stream: error event then response.failed (recorded)",
    "responses",
    sse(fixture("open-responses/error-mid-stream.sse")),
    result(noTokens, { errorClass: "server_is_overloaded" })
  ],
  [
    "responses stream: OpenAI's flat error event",
    "responses",
    sse(event({ type: "error", sequence_number: 3, code: "rate_limit_exceeded", message: "slow down", param: null }, "error")),
    result(noTokens, { errorClass: "rate_limit_exceeded" })
  ],
  [
    "responses stream, cut: response.completed larger than the tail, its usage read on its own",
    "responses",
    cut(sse(responsesStream(12000, { ...responsesUsage, cost: 0.03 })), 64 * 1024),
    result(tokens(1200, 300, { cachedRead: 1000, reasoning: 120 }), { reportedCostUsd: 0.03 })
  ],
  [
    "responses stream, cut: response.incomplete whole in the tail",
    "responses",
    cut(sse(responsesStream(3000, responsesUsage, "response.incomplete").replace(/"text":"word[^"]*"/, `"text":"short"`)), 64 * 1024),
    result(tokens(1200, 300, { cachedRead: 1000, reasoning: 120 }))
  ],
  [
    "responses JSON too long to keep whole: usage read from the tail",
    "responses",
    cut(json(responsesResource({ output: [{ type: "message", content: [{ type: "output_text", text: "x".repeat(300_000) }] }], usage: responsesUsage })), 64 * 1024),
    result(tokens(1200, 300, { cachedRead: 1000, reasoning: 120 }))
  ],
  [
    "openai JSON too long to keep whole, pretty-printed as OpenAI does",
    "openai",
    cut({ ...json(null), head: JSON.stringify(openAiCompletion(openAiUsageDetailed), null, 2).replace("Hello", "y".repeat(300_000)) }, 64 * 1024),
    result(tokens(1200, 300, { cachedRead: 1000, cacheWrite: 100, reasoning: 120 }))
  ],
  [
    "the model's own text holding a usage-like object is not mistaken for usage",
    "openai",
    cut(json({
      ...openAiCompletion(undefined),
      choices: [{ index: 0, message: { role: "assistant", content: `${"z".repeat(200_000)} "usage": {"prompt_tokens": 1, "completion_tokens": 1}` } }]
    }), 64 * 1024),
    nothing
  ]
]

describe("answerUsage", () => {
  it.each(cases)("%s", (_name, format, answer, expected) => {
    assert.deepStrictEqual(answerUsage(format, answer), expected)
  })
})

describe("answerUsage never throws: garbage gives nulls", () => {
  const garbage: ReadonlyArray<readonly [string, Answer]> = [
    ["an empty body", json(undefined)],
    ["an empty body", { status: 200, contentType: "application/json", head: "", tail: undefined }],
    ["not JSON", { status: 502, contentType: "text/html", head: "<html><body>Bad gateway</body></html>", tail: undefined }],
    ["half a JSON object", { status: 200, contentType: "application/json", head: `{"usage": {"prompt_tokens": 3`, tail: undefined }],
    ["JSON null", json(null)],
    ["a JSON array", json([1, 2, 3])],
    ["a JSON string", json("usage")],
    ["usage of the wrong type", json({ usage: "lots", error: 42 })],
    ["usage counts of the wrong type", json({ usage: { prompt_tokens: "3", completion_tokens: [], input_tokens: {}, output_tokens: true } })],
    ["a cost of the wrong type", json({ usage: { cost: "free", cost_in_usd_ticks: "x" } })],
    ["a negative cost", json({ usage: { cost: -1 } })],
    ["an event stream of garbage", sse("data: {not json\n\nevent: error\ndata: [1,2\n\n: comment\n\nretry: x\n\n")],
    ["an event stream of JSON that is not an object", sse("data: 42\n\ndata: \"usage\"\n\ndata: null\n\n")],
    ["control characters and lone surrogates", sse("data: \u0000\ud800\u0007{\"usage\":{\n\n")],
    ["a cut body of garbage", { status: 200, contentType: "text/event-stream", head: "data: {\"usage\":{\"prom", tail: "ens\":3}}}\n\n\"usage\": {\"a\": [" }],
    ["a tail whose usage object never closes", { status: 200, contentType: "application/json", head: "{", tail: `"usage": {"input_tokens": 5, "output_tokens": 6` }]
  ]
  for (const format of ["openai", "anthropic", "responses"] as const) {
    it.each(garbage)(`${format}: %s`, (_name, answer) => {
      const read = answerUsage(format, answer)
      assert.deepStrictEqual(read.tokens, noTokens)
      assert.isNull(read.reportedCostUsd)
    })
  }
})
