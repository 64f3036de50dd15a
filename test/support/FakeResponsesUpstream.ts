/**
 * A fake Open Responses upstream on 127.0.0.1 (a real port, plain `node:http`), following the
 * spec so Switchboard is tested against the wire format a `responses` provider speaks:
 *
 * - `GET /v1/models` — the OpenAI `list` of `model` objects (what `responses` providers list);
 * - `POST /v1/responses` — a `ResponseResource` with every field the spec requires, nullable ones
 *   `null` and request parameters echoed; with `stream: true` the event sequence
 *   `response.created`, `response.in_progress`, per item `response.output_item.added` →
 *   (`response.content_part.added` → deltas → `*.done` → `response.content_part.done`) →
 *   `response.output_item.done`, then `response.completed` (or `response.incomplete`) and
 *   `data: [DONE]`; every event with `event:` equal to its `type` and a `sequence_number` from 0;
 * - a `reasoning` item (`reasoning_text` part, `response.reasoning.delta/done` as the spec names
 *   them or OpenAI's `response.reasoning_text.delta/done`, `encrypted_content` on the finished
 *   item) before the answer, when a model is set to;
 * - two `function_call` items in one answer, arguments streamed as `function_call_arguments.delta`;
 * - `max_output_tokens` honoured: a longer answer is cut and the response is `incomplete`
 *   (`incomplete_details.reason: "max_output_tokens"`);
 * - errors `{ error: { message, type, param, code } }`: 401 `invalid_api_key` (when a key is
 *   required), 404 `model_not_found`, 429 `too_many_requests` with `retry-after`, 500
 *   `server_error`; mid-stream, an `error` event followed by `response.failed`;
 * - a stalled stream (`response.created`, `response.in_progress`, then silence);
 * - `POST /v1/responses/compact` — a `CompactResource` (`object: "response.compaction"`): the
 *   input's user messages, then one `compaction` item with an opaque `encrypted_content`
 *   (`ENCRYPTED_COMPACTION`), and usage; the same errors as `/v1/responses` per model.
 *
 * Every request is recorded, as by the other fakes. What a model does is chosen per model id.
 *
 * @see ../shared/specs/openresponses/openapi.json `createResponse`, `ResponseResource`, the streaming events
 * @see ../shared/specs/openresponses/docs/2026-04-24.mdx "Items are streamable", "Errors", "Streaming"
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { createRecordingServer, fakeUpstream, type FakeUpstream, type FixedUsage, listenOnLoopback, type RecordedRequest, sendJson, upstreamEntry } from "./FakeServer.ts"


/** A function call the fake answers with; `arguments` is JSON text, as the API sends it. */
export interface FakeFunctionCall {
  readonly callId: string
  readonly name: string
  readonly arguments: string
}

/** What the fake does for a given model. */
export type ResponsesBehaviour =
  /**
   * A message (default: an echo of the last user text), after a reasoning item when `reasoning`
   * is set, its text streamed with the spec's `response.reasoning.delta/done` events or, with
   * `reasoningEvents: "openai"`, OpenAI's `response.reasoning_text.delta/done` (the only names the
   * `openai` SDK's `responses.stream()` helper accepts).
   */
  | {
    readonly _tag: "Reply"
    readonly content?: string | undefined
    readonly reasoning?: string | undefined
    readonly reasoningEvents?: "spec" | "openai" | undefined
  }
  /** Function calls, all in one answer. */
  | { readonly _tag: "FunctionCalls"; readonly calls: ReadonlyArray<FakeFunctionCall> }
  /** An HTTP error in the Responses shape. */
  | { readonly _tag: "Error"; readonly status: 429 | 500 }
  /** Streams the start of a message, then an `error` event and `response.failed`. */
  | { readonly _tag: "FailMidStream" }
  /** `response.created`, `response.in_progress`, then nothing, ever. */
  | { readonly _tag: "Stall" }

export const reply = (content?: string): ResponsesBehaviour => ({ _tag: "Reply", content })
export const reasonThenReply = (reasoning: string, content?: string, reasoningEvents: "spec" | "openai" = "spec"): ResponsesBehaviour => ({
  _tag: "Reply",
  content,
  reasoning,
  reasoningEvents
})
export const functionCalls = (calls: ReadonlyArray<FakeFunctionCall>): ResponsesBehaviour => ({ _tag: "FunctionCalls", calls })
export const failWith = (status: 429 | 500): ResponsesBehaviour => ({ _tag: "Error", status })
export const failMidStream: ResponsesBehaviour = { _tag: "FailMidStream" }
export const stall: ResponsesBehaviour = { _tag: "Stall" }

/** Two calls in one answer, with arguments long enough to be streamed in several pieces. */
export const parallelFunctionCalls: ReadonlyArray<FakeFunctionCall> = [
  { callId: "call_weather_paris_01", name: "get_weather", arguments: JSON.stringify({ location: "Paris, France", unit: "celsius" }) },
  { callId: "call_time_paris_02", name: "get_time", arguments: JSON.stringify({ timezone: "Europe/Paris", format: "24h" }) }
]

/** The opaque `encrypted_content` of the fake's compaction items (what a provider's own key would seal). */
export const ENCRYPTED_COMPACTION = "gAAAAB-fake-encrypted-compaction-blob=="

/** The opaque `encrypted_content` the fake puts on every reasoning item. */
export const ENCRYPTED_REASONING = "gAAAAB-fake-encrypted-reasoning-blob=="

export interface FakeResponsesUpstreamOptions {
  readonly models?: Readonly<Record<string, ResponsesBehaviour>>
  /** When set, every request must carry `Authorization: Bearer <apiKey>` or gets a 401. */
  readonly apiKey?: string
  /** Reported instead of word counts (no cache writes: the format has no word for them). */
  readonly usage?: FixedUsage
}

export type FakeResponsesUpstream = FakeUpstream<ResponsesBehaviour>

/** Switchboard's `remote.json` entry for a `responses`-format provider served by this fake. */
export const responsesProviderEntry = (upstream: FakeResponsesUpstream, id: string, extra: Readonly<Record<string, unknown>> = {}) =>
  upstreamEntry(upstream, id, { format: "responses", auth: "none" }, extra)

const CREATED = 1_761_000_000

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({ error: { message, type, param, code } })

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) return content.map((part) => isObject(part) && typeof part.text === "string" ? part.text : "").join("")
  return ""
}

/** The last user words of `input`; a trailing run of tool results is said as such, so a test sees they arrived. */
const lastUserText = (input: unknown): string => {
  if (typeof input === "string") return input
  const items = Array.isArray(input) ? input.filter(isObject) : []
  const last = items.at(-1)
  if (last?.type === "function_call_output") {
    let n = 0
    for (let i = items.length - 1; i >= 0 && items[i]?.type === "function_call_output"; i--) n++
    return `${n} tool result(s)`
  }
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!
    if (item.role === "user") return textOf(item.content)
  }
  return ""
}

const countTokens = (text: string) => text.split(/\s+/).filter((word) => word !== "").length
const pieces = (text: string): Array<string> => text.match(/\S+\s*|\s+/g) ?? [text]
const fragments = (text: string, n: number): Array<string> => {
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** The request parameters every ResponseResource echoes, from the request or the spec's defaults. */
const echoOf = (request: Json) => ({
  instructions: typeof request.instructions === "string" ? request.instructions : null,
  tools: Array.isArray(request.tools) ? request.tools : [],
  tool_choice: request.tool_choice ?? "auto",
  truncation: "disabled",
  parallel_tool_calls: request.parallel_tool_calls ?? true,
  text: request.text ?? { format: { type: "text" } },
  top_p: request.top_p ?? 1,
  presence_penalty: 0,
  frequency_penalty: 0,
  top_logprobs: 0,
  temperature: request.temperature ?? 1,
  reasoning: request.reasoning ?? null,
  max_output_tokens: request.max_output_tokens ?? null,
  max_tool_calls: null,
  store: request.store ?? true,
  background: false,
  service_tier: "default",
  metadata: request.metadata ?? {},
  safety_identifier: request.safety_identifier ?? null,
  prompt_cache_key: null
})

type Item =
  | { readonly type: "reasoning"; readonly id: string; readonly text: string }
  | { readonly type: "message"; readonly id: string; readonly text: string }
  | { readonly type: "function_call"; readonly id: string; readonly callId: string; readonly name: string; readonly arguments: string }

/** An output item as the finished resource (and `output_item.done`) holds it. */
const finishedItem = (item: Item, status: "completed" | "incomplete") => {
  switch (item.type) {
    case "reasoning":
      return { type: "reasoning", id: item.id, summary: [], content: [{ type: "reasoning_text", text: item.text }], encrypted_content: ENCRYPTED_REASONING, status }
    case "message":
      return { type: "message", id: item.id, status, role: "assistant", content: [{ type: "output_text", text: item.text, annotations: [], logprobs: [] }] }
    case "function_call":
      return { type: "function_call", id: item.id, call_id: item.callId, name: item.name, arguments: item.arguments, status }
  }
}

export const startFakeResponsesUpstream = async (options: FakeResponsesUpstreamOptions = {}): Promise<FakeResponsesUpstream> => {
  const behaviours = new Map<string, ResponsesBehaviour>(Object.entries(options.models ?? { "gpt-5-mini": reply() }))
  let apiKey = options.apiKey
  let counter = 0

  const send = sendJson


  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (apiKey === undefined) return true
    const header = req.headers.authorization ?? ""
    const presented = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : ""
    if (presented === apiKey) return true
    send(res, 401, errorBody("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"))
    return false
  }

  const modelObject = (id: string) => ({ id, object: "model", created: CREATED, owned_by: "fake-responses" })

  const responses = (record: RecordedRequest, res: ServerResponse) => {
    const request = record.body
    if (!isObject(request)) return send(res, 400, errorBody("We could not parse the JSON body of your request.", "invalid_request", null))
    const model = typeof request.model === "string" ? request.model : ""
    const behaviour = behaviours.get(model)
    if (behaviour === undefined) {
      return send(res, 404, errorBody(`The requested model '${model}' does not exist.`, "invalid_request_error", "model_not_found", "model"))
    }
    if (behaviour._tag === "Error") {
      return behaviour.status === 429
        ? send(res, 429, errorBody(`Rate limit reached for ${model}: please try again in 20s.`, "too_many_requests", "rate_limit_exceeded"), {
          "retry-after": "20",
          "x-ratelimit-remaining-requests": "0"
        })
        : send(res, 500, errorBody("The server had an error while processing your request.", "server_error", "server_error"))
    }

    const n = String(++counter).padStart(6, "0")
    const id = `resp_fake${n}`
    const prompt = lastUserText(request.input)
    const inputTokens = Math.max(1, countTokens(JSON.stringify(request.input ?? "")) + countTokens(textOf(request.instructions)))
    const limit = typeof request.max_output_tokens === "number" ? request.max_output_tokens : undefined

    const items: Array<Item> = []
    let truncated = false
    if (behaviour._tag === "Reply") {
      if (behaviour.reasoning !== undefined) items.push({ type: "reasoning", id: `rs_fake${n}_0`, text: behaviour.reasoning })
      let text = behaviour.content ?? `You said: ${prompt}`
      if (limit !== undefined && countTokens(text) > limit) {
        text = pieces(text).filter((piece) => piece.trim() !== "").slice(0, limit).join("").trimEnd()
        truncated = true
      }
      items.push({ type: "message", id: `msg_fake${n}_${items.length}`, text })
    } else if (behaviour._tag === "FunctionCalls") {
      behaviour.calls.forEach((call, i) => items.push({ type: "function_call", id: `fc_fake${n}_${i}`, callId: call.callId, name: call.name, arguments: call.arguments }))
    }
    const outputTokens = items.reduce((sum, item) => sum + countTokens(item.type === "function_call" ? item.arguments : item.text), 0)
    const reasoningTokens = items.reduce((sum, item) => sum + (item.type === "reasoning" ? countTokens(item.text) : 0), 0)
    const fixed = options.usage
    const usage = fixed === undefined
      ? {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: reasoningTokens },
        total_tokens: inputTokens + outputTokens
      }
      : {
        input_tokens: fixed.input,
        input_tokens_details: { cached_tokens: fixed.cachedRead },
        output_tokens: fixed.output,
        output_tokens_details: { reasoning_tokens: fixed.reasoning },
        total_tokens: fixed.input + fixed.output
      }
    const status = truncated ? "incomplete" : "completed"
    const reasoningEvents = behaviour._tag === "Reply" ? behaviour.reasoningEvents : undefined
    const resource = (state: "in_progress" | "completed" | "incomplete" | "failed", output: Array<unknown>, extra: Json = {}) => ({
      id,
      object: "response",
      created_at: CREATED,
      completed_at: state === "completed" ? CREATED + 1 : null,
      status: state,
      incomplete_details: state === "incomplete" ? { reason: "max_output_tokens" } : null,
      model,
      previous_response_id: typeof request.previous_response_id === "string" ? request.previous_response_id : null,
      ...echoOf(request),
      output,
      error: null,
      usage: state === "completed" || state === "incomplete" ? usage : null,
      ...extra
    })
    const output = items.map((item, i) => finishedItem(item, truncated && i === items.length - 1 ? "incomplete" : "completed"))

    if (request.stream !== true) {
      if (behaviour._tag === "Stall") return // never answers
      if (behaviour._tag === "FailMidStream") {
        return send(res, 500, errorBody("The model failed to generate a response.", "model_error", "server_error"))
      }
      return send(res, 200, resource(status, output), { "x-request-id": `req_${id}` })
    }

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-request-id": `req_${id}` })
    res.flushHeaders()
    let sequence = 0
    const events: Array<string> = []
    // The spec: `event:` equals the body's `type`; every event carries its `sequence_number`.
    const event = (data: { readonly type: string; readonly [key: string]: unknown }) =>
      events.push(`event: ${data.type}\ndata: ${JSON.stringify({ ...data, sequence_number: sequence++ })}\n\n`)
    event({ type: "response.created", response: resource("in_progress", []) })
    event({ type: "response.in_progress", response: resource("in_progress", []) })

    if (behaviour._tag === "Stall") {
      for (const e of events) res.write(e)
      return
    }
    if (behaviour._tag === "FailMidStream") {
      const itemId = `msg_fake${n}_0`
      event({ type: "response.output_item.added", output_index: 0, item: { type: "message", id: itemId, status: "in_progress", role: "assistant", content: [] } })
      event({ type: "response.content_part.added", item_id: itemId, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } })
      event({ type: "response.output_text.delta", item_id: itemId, output_index: 0, content_index: 0, delta: "Partial ", logprobs: [] })
      const error = { type: "model_error", code: "server_error", message: "The model failed mid-stream.", param: null }
      event({ type: "error", error })
      event({ type: "response.failed", response: resource("failed", [], { error: { code: error.code, message: error.message } }) })
      events.push("data: [DONE]\n\n")
      for (const e of events) res.write(e)
      res.end()
      return
    }

    items.forEach((item, outputIndex) => {
      const at = { item_id: item.id, output_index: outputIndex }
      const done = output[outputIndex]!
      switch (item.type) {
        case "reasoning": {
          event({ type: "response.output_item.added", output_index: outputIndex, item: { type: "reasoning", id: item.id, summary: [], status: "in_progress" } })
          event({ type: "response.content_part.added", ...at, content_index: 0, part: { type: "reasoning_text", text: "" } })
          const name = reasoningEvents === "openai" ? "response.reasoning_text" : "response.reasoning"
          for (const piece of pieces(item.text)) event({ type: `${name}.delta`, ...at, content_index: 0, delta: piece })
          event({ type: `${name}.done`, ...at, content_index: 0, text: item.text })
          event({ type: "response.content_part.done", ...at, content_index: 0, part: { type: "reasoning_text", text: item.text } })
          break
        }
        case "message": {
          event({ type: "response.output_item.added", output_index: outputIndex, item: { type: "message", id: item.id, status: "in_progress", role: "assistant", content: [] } })
          event({ type: "response.content_part.added", ...at, content_index: 0, part: { type: "output_text", text: "", annotations: [] } })
          for (const piece of pieces(item.text)) event({ type: "response.output_text.delta", ...at, content_index: 0, delta: piece, logprobs: [] })
          event({ type: "response.output_text.done", ...at, content_index: 0, text: item.text, logprobs: [] })
          event({ type: "response.content_part.done", ...at, content_index: 0, part: { type: "output_text", text: item.text, annotations: [] } })
          break
        }
        case "function_call": {
          event({
            type: "response.output_item.added",
            output_index: outputIndex,
            item: { type: "function_call", id: item.id, call_id: item.callId, name: item.name, arguments: "", status: "in_progress" }
          })
          for (const part of fragments(item.arguments, 4)) event({ type: "response.function_call_arguments.delta", ...at, delta: part })
          event({ type: "response.function_call_arguments.done", ...at, arguments: item.arguments })
          break
        }
      }
      event({ type: "response.output_item.done", output_index: outputIndex, item: done })
    })
    event({ type: status === "completed" ? "response.completed" : "response.incomplete", response: resource(status, output) })
    // The spec: the terminal event is the literal `[DONE]`.
    events.push("data: [DONE]\n\n")
    // One write per event, as a real upstream flushes them.
    for (const e of events) res.write(e)
    res.end()
  }

  /** `POST /v1/responses/compact`: the spec's `CompactResource`, user messages kept as the example in openapi.json shows. */
  const compact = (record: RecordedRequest, res: ServerResponse) => {
    const request = record.body
    if (!isObject(request)) return send(res, 400, errorBody("We could not parse the JSON body of your request.", "invalid_request", null))
    const model = typeof request.model === "string" ? request.model : ""
    const behaviour = behaviours.get(model)
    if (behaviour === undefined) {
      return send(res, 404, errorBody(`The requested model '${model}' does not exist.`, "invalid_request_error", "model_not_found", "model"))
    }
    if (behaviour._tag === "Error") {
      return send(res, behaviour.status, errorBody("The server had an error while processing your request.", "server_error", "server_error"))
    }
    const n = String(++counter).padStart(6, "0")
    const input = typeof request.input === "string" ? [{ role: "user", content: request.input }] : Array.isArray(request.input) ? request.input.filter(isObject) : []
    const users = input
      .filter((item) => item.role === "user")
      .map((item, i) => ({
        id: `msg_cmp${n}_${i}`,
        type: "message",
        status: "completed",
        content: typeof item.content === "string" ? [{ type: "input_text", text: item.content }] : item.content,
        role: "user"
      }))
    const inputTokens = Math.max(1, countTokens(JSON.stringify(request.input ?? "")) + countTokens(textOf(request.instructions)))
    send(res, 200, {
      id: `resp_cmp${n}`,
      object: "response.compaction",
      created_at: CREATED,
      output: [...users, { id: `cmp_fake${n}`, type: "compaction", encrypted_content: ENCRYPTED_COMPACTION }],
      usage: { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: 42, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + 42 }
    })
  }

  const recording = createRecordingServer((record, req, res) => {
    const { path } = record
    if (!authorized(req, res)) return
    if (req.method === "GET" && path === "/v1/models") return send(res, 200, { object: "list", data: Array.from(behaviours.keys(), modelObject) })
    if (req.method === "POST" && path === "/v1/responses") return responses(record, res)
    if (req.method === "POST" && path === "/v1/responses/compact") return compact(record, res)
    send(res, 404, errorBody(`Invalid URL (${req.method} ${path})`, "not_found", "not_found"))
  })

  const port = await listenOnLoopback(recording.server)
  return fakeUpstream({ recording, port, behaviours, setApiKey: (key) => void (apiKey = key) })
}
