/**
 * A fake OpenAI-compatible upstream on 127.0.0.1 (a real port, plain `node:http`), shaped after the
 * official API so Switchboard is tested against the wire format it will meet in production:
 *
 * - `GET /v1/models`, `GET /v1/models/{id}` — the `list` / `model` objects;
 * - `POST /v1/chat/completions` — a `chat.completion` with `usage`, or with `stream: true` a
 *   `chat.completion.chunk` SSE stream (`data: {…}\n\n` per chunk: the role first, content deltas,
 *   the finish reason, a usage chunk with `stream_options.include_usage`, then `data: [DONE]`);
 * - parallel tool calls, streamed with incremental `arguments` deltas;
 * - optionally the output limit honoured (`max_completion_tokens`, or the older `max_tokens`; one
 *   token a word): a longer answer is cut there and finishes with `length`;
 * - errors in the `ErrorResponse` shape `{ error: { message, type, param, code } }`: 401
 *   `invalid_api_key` (when an API key is required), 404 `model_not_found` (any model it does not
 *   list), 429 `rate_limit_exceeded` with `retry-after`, 500;
 * - an endless stream (a chunk every few milliseconds until the client goes away) and a stalled
 *   one (headers and a first chunk, then silence) for abort and timeout tests.
 *
 * Every request is recorded (method, path, headers, parsed body), including whether the client
 * closed the connection before the response was complete. What a model does is chosen per model
 * id (`models` option, `setBehaviour`), so one upstream serves every scenario of a test file.
 *
 * @see ../shared/specs/openai/openapi.yaml `createChatCompletion`, `CreateChatCompletionResponse`,
 *   `CreateChatCompletionStreamResponse`, `ChatCompletionMessageToolCallChunk`, `ErrorResponse`, `listModels`
 * @see ../shared/specs/openai/sdk-fixtures/ChatCompletionStream.test.ts.snap — recorded streams
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { createRecordingServer, fakeUpstream, type FakeUpstream, type FixedUsage, listenOnLoopback, type RecordedRequest, sendJson, upstreamEntry } from "./FakeServer.ts"

/** A function tool call the fake answers with. `arguments` is JSON text, as the API sends it. */
export interface FakeToolCall {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

/** What the fake does when asked for a chat completion with a given model. */
export type ChatBehaviour =
  /**
   * An assistant message; `content` defaults to an echo of the last user message. `reasoning` is
   * sent first as `reasoning_content` (as DeepSeek, vLLM and LM Studio do).
   */
  | { readonly _tag: "Reply"; readonly content?: string; readonly reasoning?: string; readonly withinLimit?: boolean }
  /** Parallel tool calls (`finish_reason: "tool_calls"`). */
  | { readonly _tag: "ToolCalls"; readonly calls: ReadonlyArray<FakeToolCall> }
  /** An HTTP error in the OpenAI shape. */
  | { readonly _tag: "Error"; readonly status: 404 | 429 | 500 }
  /** Streams content chunks every `intervalMs` until the client closes the connection. */
  | { readonly _tag: "Endless"; readonly intervalMs: number }
  /** Sends the headers and the role chunk, then nothing, ever. */
  | { readonly _tag: "Stall" }

export const reply = (content?: string): ChatBehaviour => content === undefined ? { _tag: "Reply" } : { _tag: "Reply", content }
/** A reply that honours the request's output limit: cut after that many words, `finish_reason: "length"`. */
export const replyWithinLimit = (content?: string): ChatBehaviour =>
  content === undefined ? { _tag: "Reply", withinLimit: true } : { _tag: "Reply", content, withinLimit: true }
/** A reply that thinks aloud first: `reasoning` then the content (an echo unless given). */
export const replyWithReasoning = (reasoning: string, content?: string): ChatBehaviour =>
  content === undefined ? { _tag: "Reply", reasoning } : { _tag: "Reply", content, reasoning }
export const toolCalls = (calls: ReadonlyArray<FakeToolCall>): ChatBehaviour => ({ _tag: "ToolCalls", calls })
export const failWith = (status: 404 | 429 | 500): ChatBehaviour => ({ _tag: "Error", status })
export const endless = (intervalMs = 10): ChatBehaviour => ({ _tag: "Endless", intervalMs })
export const stall: ChatBehaviour = { _tag: "Stall" }

/** Two calls in one answer, with arguments long enough to be streamed in several pieces. */
export const parallelToolCalls: ReadonlyArray<FakeToolCall> = [
  { id: "call_weather_01", name: "get_weather", arguments: JSON.stringify({ location: "Paris, France", unit: "celsius" }) },
  { id: "call_time_02", name: "get_time", arguments: JSON.stringify({ timezone: "Europe/Paris", format: "24h" }) }
]

/** One request as the fake received it. */
export interface FakeOpenAiUpstreamOptions {
  /** Model ids and what each does. Default: `gpt-4o-mini` replying. */
  readonly models?: Readonly<Record<string, ChatBehaviour>>
  /** When set, every request must carry `Authorization: Bearer <apiKey>` or gets a 401. */
  readonly apiKey?: string
  /**
   * A careless upstream that quotes the whole presented key in its 401 message (OpenAI masks it),
   * to check that Switchboard scrubs secrets from what it shows.
   */
  readonly echoKeyInErrors?: boolean
  /** Reported instead of word counts (no cache writes: OpenAI has no word for them). */
  readonly usage?: FixedUsage
}

export type FakeOpenAiUpstream = FakeUpstream<ChatBehaviour>

/** Switchboard's `remote.json` entry for a provider served by this fake. */
export const providerEntry = (upstream: FakeOpenAiUpstream, id: string, extra: Readonly<Record<string, unknown>> = {}) =>
  upstreamEntry(upstream, id, { auth: "none" }, extra)

const CREATED = 1_723_031_665

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) =>
  ({ error: { message, type, param, code } })

/** The way OpenAI quotes a wrong key: a prefix, stars, the last four characters. */
const maskKey = (key: string) => key.length <= 8 ? "*".repeat(key.length) : `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content.map((part) => typeof part === "object" && part !== null && "text" in part ? String(part.text) : "").join("")
  }
  return ""
}

const lastUserMessage = (body: Record<string, unknown>): string => {
  const messages = Array.isArray(body.messages) ? body.messages as Array<Record<string, unknown>> : []
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === "user") return textOf(messages[i]?.content)
  return ""
}

/** Deterministic token counts: one per word. */
const countTokens = (text: string) => text.split(/\s+/).filter((word) => word !== "").length

const usageFor = (prompt: string, completion: number, fixed: FixedUsage | undefined) => {
  if (fixed !== undefined) {
    return {
      prompt_tokens: fixed.input,
      completion_tokens: fixed.output,
      total_tokens: fixed.input + fixed.output,
      prompt_tokens_details: { cached_tokens: fixed.cachedRead, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: fixed.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
    }
  }
  const completionTokens = completion
  const promptTokens = Math.max(1, countTokens(prompt))
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
  }
}

/** Splits text into word-sized deltas that concatenate back to it. */
const pieces = (text: string): Array<string> => text.match(/\S+\s*|\s+/g) ?? [text]

/** Splits a string into `n` roughly equal parts (the API streams tool arguments in fragments). */
const fragments = (text: string, n: number): Array<string> => {
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

export const startFakeOpenAiUpstream = async (options: FakeOpenAiUpstreamOptions = {}): Promise<FakeOpenAiUpstream> => {
  const behaviours = new Map<string, ChatBehaviour>(Object.entries(options.models ?? { "gpt-4o-mini": reply() }))
  let apiKey = options.apiKey
  let requestCounter = 0

  const send = sendJson


  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (apiKey === undefined) return true
    const header = req.headers.authorization ?? ""
    const presented = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : ""
    if (presented === apiKey) return true
    const message = presented === ""
      ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys."
      : `Incorrect API key provided: ${options.echoKeyInErrors ? presented : maskKey(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.`
    send(res, 401, errorBody(message, "invalid_request_error", presented === "" ? null : "invalid_api_key"))
    return false
  }

  const modelObject = (id: string) => ({ id, object: "model", created: CREATED, owned_by: "openai" })

  const chatCompletion = (record: RecordedRequest, res: ServerResponse) => {
    const body = record.body
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return send(res, 400, errorBody("We could not parse the JSON body of your request.", "invalid_request_error", null))
    }
    const request = body as Record<string, unknown>
    const model = typeof request.model === "string" ? request.model : ""
    const behaviour = behaviours.get(model)
    if (behaviour === undefined) {
      return send(res, 404, errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found"))
    }
    if (behaviour._tag === "Error") {
      switch (behaviour.status) {
        case 404:
          return send(res, 404, errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found"))
        case 429:
          return send(res, 429, errorBody(
            `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`,
            "requests",
            "rate_limit_exceeded"
          ), { "retry-after": "20", "x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20s" })
        case 500:
          return send(res, 500, errorBody("The server had an error while processing your request. Sorry about that!", "server_error", null))
      }
    }

    const id = `chatcmpl-fake${String(++requestCounter).padStart(6, "0")}`
    const prompt = lastUserMessage(request)
    const base = { id, created: CREATED, model, system_fingerprint: "fp_fake" }
    const limitField = request.max_completion_tokens ?? request.max_tokens
    const limit = behaviour._tag === "Reply" && behaviour.withinLimit === true && typeof limitField === "number" ? limitField : undefined
    const whole = behaviour._tag === "Reply" ? behaviour.content ?? `You said: ${prompt}` : ""
    const cut = limit !== undefined && countTokens(whole) > limit
    const content = cut ? pieces(whole).filter((piece) => piece.trim() !== "").slice(0, limit).join("").trimEnd() : whole
    const stopReason = behaviour._tag === "ToolCalls" ? "tool_calls" : cut ? "length" : "stop"
    const reasoning = behaviour._tag === "Reply" ? behaviour.reasoning : undefined

    if (request.stream !== true) {
      if (behaviour._tag === "Endless" || behaviour._tag === "Stall") {
        // Non-streaming requests to these models just never answer.
        return
      }
      const message = behaviour._tag === "ToolCalls"
        ? {
          role: "assistant",
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: behaviour.calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }))
        }
        : { role: "assistant", content, refusal: null, annotations: [], ...(reasoning === undefined ? {} : { reasoning_content: reasoning }) }
      const completionTokens = behaviour._tag === "ToolCalls" ? behaviour.calls.length * 10 : countTokens(content)
      return send(res, 200, {
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message, logprobs: null, finish_reason: stopReason }],
        usage: usageFor(prompt, completionTokens, options.usage),
        service_tier: "default"
      }, { "x-request-id": `req_${id}` })
    }

    const streamOptions = request.stream_options as Record<string, unknown> | undefined
    const includeUsage = streamOptions?.include_usage === true
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": `req_${id}`
    })
    res.flushHeaders()
    const chunk = (choices: Array<unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`
    const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ index: 0, delta: d, logprobs: null, finish_reason: finish })

    if (behaviour._tag === "Endless") {
      res.write(chunk([delta({ role: "assistant", content: "", refusal: null })]))
      let n = 0
      const timer = setInterval(() => res.write(chunk([delta({ content: `tick ${++n} ` })])), behaviour.intervalMs)
      res.once("close", () => clearInterval(timer))
      return
    }
    if (behaviour._tag === "Stall") {
      res.write(chunk([delta({ role: "assistant", content: "", refusal: null })]))
      return
    }

    const events: Array<string> = []
    let completionTokens: number
    if (behaviour._tag === "ToolCalls") {
      events.push(chunk([delta({ role: "assistant", content: null, refusal: null })]))
      behaviour.calls.forEach((call, index) => {
        events.push(chunk([delta({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] })]))
        for (const part of fragments(call.arguments, 4)) {
          events.push(chunk([delta({ tool_calls: [{ index, function: { arguments: part } }] })]))
        }
      })
      events.push(chunk([delta({}, "tool_calls")]))
      completionTokens = behaviour.calls.length * 10
    } else {
      events.push(chunk([delta({ role: "assistant", content: "", refusal: null })]))
      for (const part of reasoning === undefined ? [] : pieces(reasoning)) events.push(chunk([delta({ reasoning_content: part })]))
      for (const part of pieces(content)) events.push(chunk([delta({ content: part })]))
      events.push(chunk([delta({}, stopReason)]))
      completionTokens = countTokens(content)
    }
    if (includeUsage) events.push(chunk([], { usage: usageFor(prompt, completionTokens, options.usage) }))
    events.push("data: [DONE]\n\n")
    // One write per event, as the real API flushes them, so the client sees separate chunks.
    for (const event of events) res.write(event)
    res.end()
  }

  const recording = createRecordingServer((record, req, res) => {
    const { path } = record
    if (!authorized(req, res)) return
    if (req.method === "GET" && path === "/v1/models") {
      return send(res, 200, { object: "list", data: Array.from(behaviours.keys(), modelObject) })
    }
    if (req.method === "GET" && path.startsWith("/v1/models/")) {
      const id = decodeURIComponent(path.slice("/v1/models/".length))
      return behaviours.has(id)
        ? send(res, 200, modelObject(id))
        : send(res, 404, errorBody(`The model '${id}' does not exist`, "invalid_request_error", "model_not_found", "model"))
    }
    if (req.method === "POST" && path === "/v1/chat/completions") return chatCompletion(record, res)
    send(res, 404, errorBody(`Invalid URL (${req.method} ${path})`, "invalid_request_error", null))
  })

  const port = await listenOnLoopback(recording.server)
  return fakeUpstream({ recording, port, behaviours, setApiKey: (key) => void (apiKey = key) })
}
