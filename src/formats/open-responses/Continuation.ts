/**
 * The WebSocket transport's turns (`/v1/responses` upgraded, src/http/ResponsesSocket.ts), as pure
 * functions: reading a client's `response.create` message, continuing from the connection's own
 * earlier responses (`previous_response_id`), and the transport's error envelope.
 *
 * Continuation works for every provider the same way: the connection keeps, for its most recent
 * responses, the whole conversation that led to each (the input items, then the response's output
 * items), and a turn that names one as `previous_response_id` is sent on as that conversation plus
 * its own new input — a stateless request any provider can answer, where an upstream's own
 * `previous_response_id` would need the response stored upstream (these turns are `store: false`).
 * The conversation is kept as the JSON the client and the upstream wrote: items pass through
 * untouched, unknown fields included.
 *
 * @see /work/shared/specs/openresponses/docs/2026-04-24.mdx, "WebSocket Transport"
 */
import { Result } from "effect"
import type { ErrorKind } from "../Canonical.ts"
import * as ErrorType from "./ErrorType.ts"

/** A JSON object as it came (the client's message, an item, a response). */
export type Json = { readonly [key: string]: unknown }

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A transport failure, sent as the spec's envelope `{type: "error", status, error: {type, code,
 * message, param}}`. The spec requires a `code`: an error whose body has none gets its type.
 */
export interface SocketFailure {
  readonly status: number
  readonly type: string
  readonly code: string
  readonly message: string
  readonly param: string | null
}

export const envelope = (failure: SocketFailure): string =>
  JSON.stringify({
    type: "error",
    status: failure.status,
    error: { type: failure.type, code: failure.code, message: failure.message, param: failure.param }
  })

const invalid = (code: string, message: string, param: string | null = null): SocketFailure => ({
  status: 400,
  type: "invalid_request_error",
  code,
  message,
  param
})

/**
 * An HTTP error answer (a turn's request refused: unknown model, bad body, an upstream's error) as
 * the transport's failure, keeping its status and, when the body is the Open Responses error
 * shape, its type, code, message and field.
 */
export const failureOfHttp = (status: number, body: string): SocketFailure => {
  let error: Json | undefined
  try {
    const parsed: unknown = JSON.parse(body)
    if (isObject(parsed) && isObject(parsed["error"])) error = parsed["error"]
  } catch {
    // Not JSON: the status says what it can.
  }
  const text = (value: unknown): string | undefined => typeof value === "string" && value !== "" ? value : undefined
  const type = text(error?.["type"]) ?? (status >= 500 ? "server_error" : "invalid_request_error")
  return {
    status,
    type,
    code: text(error?.["code"]) ?? type,
    message: text(error?.["message"]) ?? (body.trim().slice(0, 500) || `the request failed with HTTP ${status}`),
    param: text(error?.["param"]) ?? null
  }
}

/** The status an error of each kind is answered with over HTTP. */
const STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  rate_limit: 429,
  overloaded: 503,
  timeout: 504,
  server: 500
}

/**
 * A stream's `error` event has no status, and the transport's envelope needs one (the spec): the
 * one its error's type and code mean (as `ErrorType.ts` reads them).
 */
export const statusOfStreamError = (type: string | undefined, code: string | undefined): number => STATUS[ErrorType.toCanonical(type, code)]

/** The connection's recent conversations, by the id of the response that ended each; the oldest forgotten first. */
export class Conversations {
  private readonly byId = new Map<string, ReadonlyArray<unknown>>()
  private readonly capacity: number
  constructor(capacity: number = 16) {
    this.capacity = capacity
  }
  get(id: string): ReadonlyArray<unknown> | undefined {
    const items = this.byId.get(id)
    if (items !== undefined) {
      // Used again: the most recent now.
      this.byId.delete(id)
      this.byId.set(id, items)
    }
    return items
  }
  set(id: string, items: ReadonlyArray<unknown>): void {
    this.byId.delete(id)
    this.byId.set(id, items)
    for (const oldest of this.byId.keys()) {
      if (this.byId.size <= this.capacity) break
      this.byId.delete(oldest)
    }
  }
  delete(id: string): void {
    this.byId.delete(id)
  }
  has(id: string): boolean {
    return this.byId.has(id)
  }
}

/** A turn to run: the body of the HTTP request that answers it, or a response made without the model. */
export interface Turn {
  /** The `previous_response_id` it continues, if any (echoed; evicted when the turn fails). */
  readonly previous: string | undefined
  /** The whole conversation so far: the continued one, then this turn's input. */
  readonly input: ReadonlyArray<unknown>
  /** `generate: false`: only the state is prepared (a response without output, the model not called). */
  readonly generate: boolean
  /** `store: true`: the turn's response is stored by the gateway (`ResponseStore`), not sent on to the provider. */
  readonly store: boolean
  /** The `POST /v1/responses` body: the message without the transport's own fields, the input whole, streamed. */
  readonly body: Json
}

/** The transport's own fields, and the HTTP-only ones a WebSocket message must not carry (the spec). */
const HTTP_ONLY = ["stream", "stream_options", "background"] as const

/** The items of an `input`: a string is one user message. */
export const itemsOf = (input: unknown): ReadonlyArray<unknown> | undefined =>
  input === undefined || input === null
    ? []
    : typeof input === "string"
    ? [{ type: "message", role: "user", content: input }]
    : Array.isArray(input)
    ? input
    : undefined

/**
 * Every `function_call_output` must answer a `function_call` of the conversation: a provider
 * refuses an orphan tool result anyway (OpenAI with this same message), and refusing it here makes
 * the turn fail the same way whichever provider answers.
 */
const orphanOutput = (items: ReadonlyArray<unknown>): { readonly index: number; readonly callId: string } | undefined => {
  const calls = new Set<string>()
  for (const [index, item] of items.entries()) {
    if (!isObject(item)) continue
    const callId = item["call_id"]
    if (typeof callId !== "string") continue
    if (item["type"] === "function_call") calls.add(callId)
    else if (item["type"] === "function_call_output" && !calls.has(callId)) return { index, callId }
  }
  return undefined
}

/** Why a message is not a turn, and the response it tried to continue (which a failure evicts). */
export interface Refusal {
  readonly failure: SocketFailure
  readonly previous: string | undefined
}

/** A client's message as a turn, or why it cannot be one. */
export const turnOf = (text: string, conversations: Conversations): Result.Result<Turn, Refusal> =>
  Result.mapError(readTurn(text, conversations), (failure) => ({ failure, previous: previousOf(text) }))

/** The `previous_response_id` a message names, if it is one that can be read. */
export const previousOf = (text: string): string | undefined => {
  try {
    const message: unknown = JSON.parse(text)
    return isObject(message) && typeof message["previous_response_id"] === "string" ? message["previous_response_id"] : undefined
  } catch {
    return undefined
  }
}

const readTurn = (text: string, conversations: Conversations): Result.Result<Turn, SocketFailure> => {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return Result.fail(invalid("invalid_json", "the message is not JSON: send a `response.create` event as a JSON text frame"))
  }
  if (!isObject(message)) return Result.fail(invalid("invalid_json", "the message is not a JSON object: send a `response.create` event"))
  if (message["type"] !== "response.create") {
    return Result.fail(invalid(
      "unknown_event_type",
      `unknown client event type ${JSON.stringify(message["type"] ?? null)}: the only one is \`response.create\``,
      "type"
    ))
  }
  for (const field of HTTP_ONLY) {
    if (message[field] !== undefined) {
      return Result.fail(invalid("unsupported_parameter", `\`${field}\` is an HTTP field and must not be sent over the WebSocket transport`, field))
    }
  }
  const own = itemsOf(message["input"])
  if (own === undefined) return Result.fail(invalid("invalid_type", "`input` must be a string or an array of items", "input"))
  const previousField = message["previous_response_id"]
  if (previousField !== undefined && previousField !== null && typeof previousField !== "string") {
    return Result.fail(invalid("invalid_type", "`previous_response_id` must be a string", "previous_response_id"))
  }
  const previous = typeof previousField === "string" ? previousField : undefined
  const before = previous === undefined ? [] : conversations.get(previous)
  if (before === undefined) {
    return Result.fail(invalid(
      "previous_response_not_found",
      `Previous response with id '${previous}' not found. This connection keeps its own recent responses, and the gateway those stored with store: true: ` +
        "send the whole conversation in `input` without `previous_response_id`.",
      "previous_response_id"
    ))
  }
  const input = [...before, ...own]
  const orphan = orphanOutput(input)
  if (orphan !== undefined) {
    return Result.fail(invalid(
      "invalid_request_error",
      `No tool call found for function call output with call_id ${orphan.callId}.`,
      `input[${orphan.index - before.length}]`
    ))
  }
  const { type: _type, generate, previous_response_id: _previous, ...fields } = message
  // `store: true` is the gateway's to keep (a translated provider would refuse it); `false` goes on as sent.
  const store = fields["store"] === true
  const { store: _store, ...rest } = fields
  return Result.succeed({
    previous,
    input,
    generate: generate !== false,
    store,
    body: store ? { ...rest, input, stream: true } : { ...fields, input, stream: true }
  })
}

/**
 * Whether a `POST /v1/responses` body asks for state: `store: true`, or a `previous_response_id`
 * (stored here or not: looked up). Here, not beside the stateful layer, so the fast lane can ask
 * without loading it.
 */
export const asksForState = (body: Json): boolean =>
  body["store"] === true || typeof body["previous_response_id"] === "string"

/** The conversation a finished response leaves for the next turn: its input, then its output. */
export const conversationAfter = (input: ReadonlyArray<unknown>, response: Json): ReadonlyArray<unknown> => {
  const output = response["output"]
  return Array.isArray(output) ? [...input, ...output] : input
}

/**
 * An event's data with the response it carries echoing the turn's `previous_response_id` (the
 * request sent on had none: the conversation was sent whole). Other events are left as they are.
 */
export const withPrevious = (event: Json, previous: string | undefined): Json => {
  const response = event["response"]
  if (previous === undefined || !isObject(response)) return event
  return { ...event, response: { ...response, previous_response_id: previous } }
}

/** The response a lifecycle event ends the turn with (`response.completed`, `.incomplete`, `.failed`). */
export const terminalResponse = (event: Json): Json | undefined => {
  const type = event["type"]
  const response = event["response"]
  return (type === "response.completed" || type === "response.incomplete" || type === "response.failed") && isObject(response)
    ? response
    : undefined
}
