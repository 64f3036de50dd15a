/**
 * A fake Anthropic Messages upstream on 127.0.0.1 (a real port, plain `node:http`), shaped after
 * the official API so Switchboard is tested against the wire format it meets in production:
 *
 * - every request must carry `x-api-key` (401 `authentication_error` otherwise) and
 *   `anthropic-version` (400 `invalid_request_error` otherwise), as the real API requires;
 * - `GET /v1/models` — `{ data: [{ type: "model", id, display_name, created_at }], has_more,
 *   first_id, last_id }`, paged with `limit` / `after_id` (pages can be made small to exercise it);
 * - `POST /v1/messages/count_tokens` — `{ input_tokens }`, counted as `usage.input_tokens` is
 * - `POST /v1/messages` — a `message` with `usage`, or with `stream: true` the event sequence
 *   `message_start`, `content_block_start`, `ping`, `content_block_delta`…, `content_block_stop`,
 *   `message_delta` (stop reason and usage), `message_stop`, every event with its `event:` line;
 * - thinking blocks (`thinking_delta` then `signature_delta`), parallel `tool_use` blocks with
 *   incremental `input_json_delta` fragments;
 * - errors `{ type: "error", error: { type, message } }`: 401, 404 (unknown model), 429 with
 *   `retry-after`, 529 `overloaded_error`; `max_tokens` is required (400 without it);
 * - a stalled stream (`message_start`, then silence) and an endless one, for timeout and abort tests;
 * - optionally `max_tokens` honoured (one token a word): a longer text is cut there and the stop
 *   reason is `max_tokens`;
 * - an `overloaded_error` mid-stream: the start of a text block, then `event: error` and the end,
 *   as the API reports overload after the 200 ("Error events" in the streaming docs).
 *
 * Every request is recorded (method, path, headers, raw and parsed body, whether the client went
 * away early). What a model does is chosen per model id.
 *
 * @see https://docs.anthropic.com/en/api/messages, /en/api/messages-streaming, /en/api/errors, /en/api/models-list
 * @see ../shared/specs/anthropic/sdk-fixtures/typescript/tool_use_response.txt — a recorded stream
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { createRecordingServer, fakeUpstream, type FakeUpstream, type FixedUsage, listenOnLoopback, type RecordedRequest, sendJson, upstreamEntry } from "./FakeServer.ts"


/** A tool call the fake answers with; `input` is the object Anthropic sends. */
export interface FakeToolUse {
  readonly id: string
  readonly name: string
  readonly input: Readonly<Record<string, unknown>>
}

/** What the fake does for a given model. */
export type MessageBehaviour =
  /** Text (default: an echo of the last user message), after a signed thinking block when `thinking` is set. */
  | { readonly _tag: "Reply"; readonly content?: string | undefined; readonly thinking?: string | undefined; readonly withinLimit?: boolean }
  /** A short text block, then parallel tool_use blocks (`stop_reason: "tool_use"`). */
  | { readonly _tag: "ToolUse"; readonly calls: ReadonlyArray<FakeToolUse> }
  /** An HTTP error in the Anthropic shape. */
  | { readonly _tag: "Error"; readonly status: 429 | 500 | 529 }
  /** `message_start`, a text block start, then nothing, ever. */
  | { readonly _tag: "Stall" }
  /** Text deltas every `intervalMs` until the client goes away. */
  | { readonly _tag: "Endless"; readonly intervalMs: number }
  /** Streaming: a text block's start, then `event: error` (`overloaded_error`). Not streaming: a 529. */
  | { readonly _tag: "OverloadedMidStream"; readonly partial: string }

export const reply = (content?: string): MessageBehaviour => ({ _tag: "Reply", content })
export const thinkThenReply = (thinking: string, content?: string): MessageBehaviour => ({ _tag: "Reply", content, thinking })
export const toolUse = (calls: ReadonlyArray<FakeToolUse>): MessageBehaviour => ({ _tag: "ToolUse", calls })
export const failWith = (status: 429 | 500 | 529): MessageBehaviour => ({ _tag: "Error", status })
export const stall: MessageBehaviour = { _tag: "Stall" }
export const endless = (intervalMs = 10): MessageBehaviour => ({ _tag: "Endless", intervalMs })
/** A reply that honours `max_tokens`: cut after that many words, `stop_reason: "max_tokens"`. */
export const replyWithinLimit = (content?: string): MessageBehaviour => ({ _tag: "Reply", content, withinLimit: true })
export const overloadedMidStream = (partial = "Once upon a"): MessageBehaviour => ({ _tag: "OverloadedMidStream", partial })

/** Two calls in one answer. */
export const parallelToolUses: ReadonlyArray<FakeToolUse> = [
  { id: "toolu_01WeatherParis", name: "get_weather", input: { location: "Paris, France", unit: "celsius" } },
  { id: "toolu_02TimeParis", name: "get_time", input: { timezone: "Europe/Paris", format: "24h" } }
]

/** The signature the fake puts on every thinking block (opaque to clients). */
export const THINKING_SIGNATURE = "RmFrZVNpZ25hdHVyZUZvclRoaW5raW5nQmxvY2tzCg=="

export interface FakeAnthropicUpstreamOptions {
  readonly models?: Readonly<Record<string, MessageBehaviour>>
  /** The key every request must carry in `x-api-key`. */
  readonly apiKey: string
  /** The most models one `GET /v1/models` page holds, whatever `limit` asks (the API's maximum is 1000). */
  readonly pageSize?: number
  /** Reported instead of word counts (no reasoning count: Anthropic has no word for it). */
  readonly usage?: FixedUsage
}

/** The key is always required: Anthropic has no keyless access. */
export type FakeAnthropicUpstream = FakeUpstream<MessageBehaviour, string>

/** Switchboard's `remote.json` entry for an Anthropic-format provider served by this fake. */
export const anthropicProviderEntry = (upstream: FakeAnthropicUpstream, id: string, extra: Readonly<Record<string, unknown>> = {}) =>
  upstreamEntry(upstream, id, { format: "anthropic", auth: "apiKey" }, extra)

const errorBody = (type: string, message: string) => ({ type: "error", error: { type, message } })

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content.map((part) => typeof part === "object" && part !== null && "text" in part ? String(part.text) : "").join("")
  }
  return ""
}

const lastUserText = (body: Record<string, unknown>): string => {
  const messages = Array.isArray(body.messages) ? body.messages as Array<Record<string, unknown>> : []
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]
    if (message?.role !== "user") continue
    const text = textOf(message.content)
    // A turn of tool results only: say so, so a test can see the results arrived.
    if (text === "" && Array.isArray(message.content)) return `${message.content.length} tool result(s)`
    return text
  }
  return ""
}

/** Deterministic token counts: one per word of every message and the system prompt. */
const countTokens = (text: string) => text.split(/\s+/).filter((word) => word !== "").length
const inputTokens = (body: Record<string, unknown>) =>
  Math.max(1, countTokens(JSON.stringify(body.messages ?? "")) + countTokens(textOf(body.system)))

const pieces = (text: string): Array<string> => text.match(/\S+\s*|\s+/g) ?? [text]
const fragments = (text: string, n: number): Array<string> => {
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

export const startFakeAnthropicUpstream = async (options: FakeAnthropicUpstreamOptions): Promise<FakeAnthropicUpstream> => {
  const behaviours = new Map<string, MessageBehaviour>(Object.entries(options.models ?? { "claude-sonnet-4-5": reply() }))
  let apiKey = options.apiKey
  const pageSize = options.pageSize ?? 1000
  let counter = 0

  // Every answer carries its request id, as the API's do.
  const send = (res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}) =>
    sendJson(res, status, json, { "request-id": `req_fake${String(++counter).padStart(6, "0")}`, ...headers })


  const checkHeaders = (req: IncomingMessage, res: ServerResponse): boolean => {
    const key = req.headers["x-api-key"]
    if (key !== apiKey) {
      send(res, 401, errorBody("authentication_error", key === undefined ? "x-api-key header is required" : "invalid x-api-key"))
      return false
    }
    if (req.headers["anthropic-version"] === undefined) {
      send(res, 400, errorBody("invalid_request_error", "anthropic-version: header is required"))
      return false
    }
    return true
  }

  const listModels = (query: string, res: ServerResponse) => {
    const params = new URLSearchParams(query)
    const limit = Math.min(pageSize, Number(params.get("limit") ?? 20))
    const ids = Array.from(behaviours.keys())
    const after = params.get("after_id")
    const start = after === null ? 0 : ids.indexOf(after) + 1
    const page = ids.slice(start, start + limit)
    send(res, 200, {
      data: page.map((id) => ({ type: "model", id, display_name: `Fake ${id}`, created_at: "2025-09-29T00:00:00Z" })),
      has_more: start + limit < ids.length,
      first_id: page[0] ?? null,
      last_id: page.at(-1) ?? null
    })
  }

  /** The JSON object body, or `undefined` after answering the API's 400 for anything else. */
  const objectBody = (record: RecordedRequest, res: ServerResponse): Record<string, unknown> | undefined => {
    const body = record.body
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as Record<string, unknown>
    send(res, 400, errorBody("invalid_request_error", "The request body is not valid JSON."))
    return undefined
  }

  const messages = (record: RecordedRequest, res: ServerResponse) => {
    const request = objectBody(record, res)
    if (request === undefined) return
    const model = typeof request.model === "string" ? request.model : ""
    if (typeof request.max_tokens !== "number") {
      return send(res, 400, errorBody("invalid_request_error", "max_tokens: Field required"))
    }
    const behaviour = behaviours.get(model)
    if (behaviour === undefined) return send(res, 404, errorBody("not_found_error", `model: ${model}`))
    switch (behaviour._tag) {
      case "Error":
        return behaviour.status === 429
          ? send(res, 429, errorBody("rate_limit_error", "This request would exceed the rate limit for your organization of 50 requests per minute."), {
            "retry-after": "30",
            "anthropic-ratelimit-requests-remaining": "0"
          })
          : behaviour.status === 529
          ? send(res, 529, errorBody("overloaded_error", "Overloaded"))
          : send(res, 500, errorBody("api_error", "Internal server error"))
      default:
    }

    const id = `msg_fake${String(++counter).padStart(6, "0")}`
    const input = inputTokens(request)
    const fixed = options.usage
    // Anthropic's `input_tokens` is the part of the prompt neither read from nor written to the cache.
    const usage = (output: number) => ({
      input_tokens: fixed === undefined ? input : fixed.input - fixed.cachedRead - fixed.cacheWrite,
      cache_creation_input_tokens: fixed?.cacheWrite ?? 0,
      cache_read_input_tokens: fixed?.cachedRead ?? 0,
      output_tokens: output,
      service_tier: "standard"
    })
    const whole = behaviour._tag === "Reply" ? behaviour.content ?? `You said: ${lastUserText(request)}` : ""
    const cut = behaviour._tag === "Reply" && behaviour.withinLimit === true && countTokens(whole) > request.max_tokens
    const text = cut ? pieces(whole).filter((piece) => piece.trim() !== "").slice(0, request.max_tokens).join("").trimEnd() : whole

    type Block =
      | { readonly type: "text"; readonly text: string }
      | { readonly type: "thinking"; readonly thinking: string; readonly signature: string }
      | { readonly type: "tool_use"; readonly id: string; readonly name: string; readonly input: Readonly<Record<string, unknown>> }
    const blocks: Array<Block> = behaviour._tag === "ToolUse"
      ? [{ type: "text", text: "I'll look both up." }, ...behaviour.calls.map((call) => ({ type: "tool_use" as const, ...call }))]
      : behaviour._tag === "Reply"
      ? [...(behaviour.thinking !== undefined ? [{ type: "thinking" as const, thinking: behaviour.thinking, signature: THINKING_SIGNATURE }] : []), { type: "text", text }]
      : []
    const stopReason = behaviour._tag === "ToolUse" ? "tool_use" : cut ? "max_tokens" : "end_turn"
    const outputTokens = blocks.reduce((n, block) => n + countTokens(block.type === "tool_use" ? JSON.stringify(block.input) : block.type === "text" ? block.text : block.thinking), 0)

    if (request.stream !== true) {
      if (behaviour._tag === "Stall" || behaviour._tag === "Endless") return // never answers
      if (behaviour._tag === "OverloadedMidStream") return send(res, 529, errorBody("overloaded_error", "Overloaded"))
      return send(res, 200, { id, type: "message", role: "assistant", model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage: usage(fixed?.output ?? outputTokens) })
    }

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": `req_${id}` })
    res.flushHeaders()
    const event = (data: { readonly type: string; readonly [key: string]: unknown }) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`
    const start = event({
      type: "message_start",
      message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: usage(1) }
    })
    if (behaviour._tag === "Stall") {
      res.write(start)
      res.write(event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }))
      return
    }
    if (behaviour._tag === "OverloadedMidStream") {
      res.write(start)
      res.write(event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }))
      res.write(event({ type: "ping" }))
      for (const part of pieces(behaviour.partial)) res.write(event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: part } }))
      res.write(event({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }))
      return void res.end()
    }
    if (behaviour._tag === "Endless") {
      res.write(start)
      res.write(event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }))
      let n = 0
      const timer = setInterval(
        () => res.write(event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: `tick ${++n} ` } })),
        behaviour.intervalMs
      )
      res.once("close", () => clearInterval(timer))
      return
    }

    const events: Array<string> = [start]
    blocks.forEach((block, index) => {
      const delta = (d: Record<string, unknown>) => events.push(event({ type: "content_block_delta", index, delta: d }))
      switch (block.type) {
        case "text":
          events.push(event({ type: "content_block_start", index, content_block: { type: "text", text: "" } }))
          for (const part of pieces(block.text)) delta({ type: "text_delta", text: part })
          break
        case "thinking":
          events.push(event({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } }))
          for (const part of pieces(block.thinking)) delta({ type: "thinking_delta", thinking: part })
          delta({ type: "signature_delta", signature: block.signature })
          break
        case "tool_use":
          events.push(event({ type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }))
          // The API opens with an empty fragment, then streams the JSON text in pieces.
          delta({ type: "input_json_delta", partial_json: "" })
          for (const part of fragments(JSON.stringify(block.input), 4)) delta({ type: "input_json_delta", partial_json: part })
          break
      }
      // The API sends a ping right after the first block starts.
      if (index === 0) events.push(event({ type: "ping" }))
      events.push(event({ type: "content_block_stop", index }))
    })
    events.push(event({ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: fixed?.output ?? outputTokens } }))
    events.push(event({ type: "message_stop" }))
    // One write per event, as the API flushes them.
    for (const e of events) res.write(e)
    res.end()
  }

  /** `POST /v1/messages/count_tokens`: `{ input_tokens }` for a known model (no `max_tokens` needed). */
  const countTokensOf = (record: RecordedRequest, res: ServerResponse) => {
    const request = objectBody(record, res)
    if (request === undefined) return
    const model = typeof request.model === "string" ? request.model : ""
    if (!behaviours.has(model)) return send(res, 404, errorBody("not_found_error", `model: ${model}`))
    send(res, 200, { input_tokens: inputTokens(request) })
  }

  const recording = createRecordingServer((record, req, res) => {
    const { path, query } = record
    if (!checkHeaders(req, res)) return
    if (req.method === "GET" && path === "/v1/models") return listModels(query, res)
    if (req.method === "POST" && path === "/v1/messages") return messages(record, res)
    if (req.method === "POST" && path === "/v1/messages/count_tokens") return countTokensOf(record, res)
    send(res, 404, errorBody("not_found_error", `Not found: ${req.method} ${path}`))
  })

  const port = await listenOnLoopback(recording.server)
  return fakeUpstream({ recording, port, behaviours, setApiKey: (key) => void (apiKey = key) })
}
