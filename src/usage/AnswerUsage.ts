/**
 * What an answer says it used: its tokens, the cost the upstream reported, and for errors the
 * error's class, read from the caller-facing answer (the bytes the caller got, in the caller's
 * format) after it is over — so pass-through, translated and local answers are read the same way.
 *
 * Read from JSON bodies and from event streams:
 * - OpenAI Chat Completions: `usage` of the body, or of the last chunk that has one (the
 *   `include_usage` chunk, or a finish chunk carrying it); `error` of an error body or event.
 * - Anthropic Messages: `usage` of the message; in streams, `message_start`'s usage (the prompt
 *   and cache counts) overlaid by the cumulative `message_delta` usage (the output), as the
 *   format's own decoder does; `error.type` of an error body or `error` event.
 * - Open Responses: `usage` of the resource — the body, or the `response.completed` /
 *   `response.incomplete` / `response.failed` event's; the error of an `error` event, of a failed
 *   response or of an error body.
 *
 * The body may come as its first and last 64 KiB only (`head`, `tail`); events cut at those seams
 * are skipped. Only when no whole event or body carried usage — a final event larger than the tail,
 * like the `response.completed` of a long Responses answer, which holds the whole output — is the
 * last `"usage": {…}` object of the tail read on its own.
 *
 * Counts the answer does not report stay null, never 0. Never throws: garbage gives nulls.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
 * @see https://docs.anthropic.com/en/api/messages-streaming#event-types
 * @see https://www.openresponses.org/specification#streaming
 * @see https://openrouter.ai/docs/use-cases/usage-accounting (`usage.cost`, BYOK's `cost_details.upstream_inference_cost`)
 * @see https://docs.x.ai/developers/cost-tracking (`usage.cost_in_usd_ticks`, 10^10 ticks a dollar)
 */
import { Result, Schema } from "effect"
import { createParser } from "eventsource-parser"
import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import * as AnthropicUsage from "../formats/anthropic-messages/Usage.ts"
import type { Usage } from "../formats/Canonical.ts"
import * as OpenAiUsage from "../formats/openai-chat/Usage.ts"
import * as ResponsesUsage from "../formats/open-responses/Usage.ts"
import { noTokens, type Tokens } from "./RequestRecord.ts"

/** The caller-facing answer, as `RequestObserver` kept it. */
export interface Answer {
  readonly status: number
  readonly contentType: string
  /** The body's text: whole when `tail` is undefined, else its first 64 KiB. */
  readonly head: string
  /** The body's last 64 KiB, when it was longer than what `head` holds whole. */
  readonly tail: string | undefined
}

export interface AnswerUsage {
  readonly tokens: Tokens
  /** US dollars, when the upstream reported what the request cost. */
  readonly reportedCostUsd: number | null
  /** The error's `code` or `type` as the caller's format words it (`rate_limit_exceeded`, `overloaded_error`, …). */
  readonly errorClass: string | null
}

const nothing: AnswerUsage = { tokens: noTokens, reportedCostUsd: null, errorClass: null }

// ---------------------------------------------------------------------------------------------
// Wire shapes: only what is read, leniently; usage objects with the formats' own schemas
// ---------------------------------------------------------------------------------------------

const OptionalUnknown = Schema.optionalKey(Schema.Unknown)
const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))
const OptionalFinite = Schema.optionalKey(Schema.NullOr(Schema.Finite))

/** An error object: OpenAI's and Open Responses' `{type, code}`, Anthropic's `{type}`. */
const ErrorFields = Schema.Struct({
  type: OptionalString,
  code: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Finite])))
})
type ErrorFields = typeof ErrorFields.Type

/** A JSON body or one event's data, any of the three formats. */
const Document = Schema.Struct({
  type: OptionalString,
  usage: OptionalUnknown,
  error: OptionalUnknown,
  /** Open Responses' flat `error` event (OpenAI's shape): `{type: "error", code, message}`. */
  code: OptionalUnknown,
  /** Anthropic's `message_start` (`Nested`); a string in error events. */
  message: OptionalUnknown,
  /** Open Responses' lifecycle events (`Nested`). */
  response: OptionalUnknown
})
type Document = typeof Document.Type

/** The object `message_start` and the Responses lifecycle events nest their usage (and error) in. */
const Nested = Schema.Struct({ usage: OptionalUnknown, error: OptionalUnknown })

/** What some upstreams add to `usage`: what the request cost. */
const ReportedCost = Schema.Struct({
  /** OpenRouter, in credits (dollars): the charge to the account. */
  cost: OptionalFinite,
  /** OpenRouter: a request on the user's own provider key, billed by that provider. */
  is_byok: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  cost_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ upstream_inference_cost: OptionalFinite }))),
  /** xAI, in ticks: 10^10 ticks a dollar. */
  cost_in_usd_ticks: OptionalFinite
})

const decodeDocument = Schema.decodeUnknownResult(Document)
const decodeNested = Schema.decodeUnknownResult(Nested)

/** `message` / `response` of a document, or empty when it is not an object holding them. */
const nested = (value: unknown): typeof Nested.Type => {
  if (typeof value !== "object" || value === null) return {}
  const decoded = decodeNested(value)
  return Result.isSuccess(decoded) ? decoded.success : {}
}
const decodeErrorFields = Schema.decodeUnknownResult(ErrorFields)
const decodeCost = Schema.decodeUnknownResult(ReportedCost)
const decodeOpenAiUsage = Schema.decodeUnknownResult(OpenAiUsage.OpenAiUsage)
const decodeAnthropicUsage = Schema.decodeUnknownResult(AnthropicUsage.AnthropicUsage)
const decodeResponsesUsage = Schema.decodeUnknownResult(ResponsesUsage.ResponsesUsage)

const TICKS_PER_USD = 1e10

/** The cost a `usage` object reports, in dollars, or null. */
const costOf = (usage: unknown): number | null => {
  // Most usage objects report no cost: those are not decoded a second time (measured, a third of the read).
  if (typeof usage !== "object" || usage === null || !("cost" in usage || "cost_in_usd_ticks" in usage)) return null
  const cost = decodeCost(usage)
  if (Result.isFailure(cost)) return null
  const { cost: credits, is_byok, cost_details, cost_in_usd_ticks } = cost.success
  if (credits !== undefined && credits !== null && credits >= 0) {
    // With the user's own key, `cost` is only OpenRouter's fee; the provider bills the inference.
    const byok = is_byok === true ? cost_details?.upstream_inference_cost ?? 0 : 0
    return credits + (byok >= 0 ? byok : 0)
  }
  if (cost_in_usd_ticks !== undefined && cost_in_usd_ticks !== null && cost_in_usd_ticks >= 0) return cost_in_usd_ticks / TICKS_PER_USD
  return null
}

/** `code`, else `type`: the more specific word the format has for the error. */
const classOf = (error: unknown): string | null => {
  const fields = decodeErrorFields(error)
  if (Result.isFailure(fields)) return null
  const { code, type } = fields.success
  if (typeof code === "number") return String(code)
  if (code !== undefined && code !== null && code !== "") return code
  return type !== undefined && type !== null && type !== "" ? type : null
}

const orNull = (value: number | undefined): number | null => value ?? null

/** Canonical usage (OpenAI and Open Responses: every count passes straight through) as ledger tokens. */
const tokensOf = (usage: Usage): Tokens => ({
  input: usage.inputTokens,
  output: usage.outputTokens,
  cachedRead: orNull(usage.cachedInputTokens),
  cacheWrite: orNull(usage.cacheWriteInputTokens),
  reasoning: orNull(usage.reasoningTokens)
})

// ---------------------------------------------------------------------------------------------
// What each format's documents say, accumulated in order
// ---------------------------------------------------------------------------------------------

/** What has been read so far; later documents override earlier ones (streams report cumulatively). */
interface Reading {
  tokens: Tokens | undefined
  cost: number | null
  errorClass: string | null
  /** Anthropic: `message_start`'s usage, which `message_delta` overlays. */
  anthropicStart: AnthropicUsage.AnthropicUsage | undefined
  /** Anthropic: the message's or the last `message_delta`'s usage. */
  anthropicFinal: AnthropicUsage.AnthropicUsage | undefined
}

interface FormatReader {
  /**
   * Events that can matter, by the words they must contain: every other event (content deltas,
   * the bulk of a stream) is skipped without being parsed. A JSON string's own quotes are escaped,
   * so a bare `"usage"` is a key or a whole value, never part of the model's text.
   */
  readonly relevant: RegExp
  /** Takes in one JSON document (a body or an event's data). */
  readonly read: (reading: Reading, document: Document) => void
  /** Takes in a `usage` object found on its own (the fallback for a final event cut by the tail). */
  readonly readUsage: (reading: Reading, usage: unknown) => void
}

const openAiUsage = (reading: Reading, usage: unknown) => {
  if (usage === undefined || usage === null) return
  const decoded = decodeOpenAiUsage(usage)
  if (Result.isSuccess(decoded)) reading.tokens = tokensOf(OpenAiUsage.toCanonical(decoded.success))
  reading.cost = costOf(usage) ?? reading.cost
}

const responsesUsage = (reading: Reading, usage: unknown) => {
  if (usage === undefined || usage === null) return
  const decoded = decodeResponsesUsage(usage)
  if (Result.isSuccess(decoded)) reading.tokens = tokensOf(ResponsesUsage.toCanonical(decoded.success))
  reading.cost = costOf(usage) ?? reading.cost
}

const anthropicUsage = (usage: unknown): AnthropicUsage.AnthropicUsage | undefined => {
  if (usage === undefined || usage === null) return undefined
  const decoded = decodeAnthropicUsage(usage)
  return Result.isSuccess(decoded) ? decoded.success : undefined
}

const anthropicFinal = (reading: Reading, usage: unknown) => {
  const decoded = anthropicUsage(usage)
  if (decoded !== undefined) reading.anthropicFinal = decoded
  if (usage !== undefined && usage !== null) reading.cost = costOf(usage) ?? reading.cost
}

const readers: Record<ApiFormat, FormatReader> = {
  openai: {
    relevant: /"usage"\s*:\s*\{|"error"/,
    read: (reading, document) => {
      openAiUsage(reading, document.usage)
      if (document.error !== undefined && document.error !== null) reading.errorClass = classOf(document.error) ?? reading.errorClass
    },
    readUsage: openAiUsage
  },
  anthropic: {
    relevant: /"(?:message_start|message_delta|message|error)"|"usage"\s*:\s*\{/,
    read: (reading, document) => {
      switch (document.type) {
        case "message_start":
          reading.anthropicStart = anthropicUsage(nested(document.message).usage) ?? reading.anthropicStart
          break
        case "error":
          reading.errorClass = classOf(document.error) ?? reading.errorClass
          break
        default:
          // `message_delta`, and a whole message (`type: "message"`, or a compatible host's without a type).
          anthropicFinal(reading, document.usage)
      }
    },
    readUsage: anthropicFinal
  },
  responses: {
    relevant: /"(?:response\.completed|response\.incomplete|response\.failed|error)"|"usage"\s*:\s*\{/,
    read: (reading, document) => {
      switch (document.type) {
        case "response.completed":
        case "response.incomplete":
        case "response.failed": {
          const response = nested(document.response)
          responsesUsage(reading, response.usage)
          if (response.error !== undefined && response.error !== null) reading.errorClass = classOf(response.error) ?? reading.errorClass
          break
        }
        case "error":
          // The spec nests the payload in `error`; OpenAI sends it flat.
          reading.errorClass = classOf(document.error ?? document) ?? reading.errorClass
          break
        default:
          // A whole body: a ResponseResource, or an error body.
          responsesUsage(reading, document.usage)
          if (document.error !== undefined && document.error !== null) reading.errorClass = classOf(document.error) ?? reading.errorClass
      }
    },
    readUsage: responsesUsage
  }
}

/**
 * Anthropic's tokens: `message_start`'s counts overlaid by the final ones. A stream that ended
 * before `message_delta` reports its prompt only (the output count of `message_start` is a
 * placeholder); a `message_start` whose prompt is 0 holds placeholders only (Switchboard's own,
 * when it translates from an upstream that reports usage at the end), so it says nothing.
 */
const anthropicTokens = (reading: Reading): Tokens | undefined => {
  const start = reading.anthropicStart
  const final = reading.anthropicFinal
  if (final === undefined) {
    if (start === undefined || !(start.input_tokens !== undefined && start.input_tokens !== null && start.input_tokens > 0)) return undefined
    const usage = AnthropicUsage.toCanonical(start)
    return { ...tokensOf(usage), output: null, reasoning: null }
  }
  const usage = AnthropicUsage.toCanonical(final, start)
  const input = final.input_tokens ?? start?.input_tokens
  const output = final.output_tokens ?? start?.output_tokens
  return {
    ...tokensOf(usage),
    input: input === undefined || input === null ? null : usage.inputTokens,
    output: output === undefined || output === null ? null : usage.outputTokens
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies and streams
// ---------------------------------------------------------------------------------------------

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const readDocument = (reader: FormatReader, reading: Reading, json: unknown) => {
  if (typeof json !== "object" || json === null) return
  const document = decodeDocument(json)
  if (Result.isSuccess(document)) reader.read(reading, document.success)
}

/**
 * Every whole event of `text` that may matter, in order. `whole`: the text ends where the body
 * ends. eventsource-parser rather than `Sse.makeDecoder` (Effect's parser): the same WHATWG
 * algorithm at a sixth of the CPU, which counts here, once for every answer.
 */
const readEvents = (reader: FormatReader, reading: Reading, text: string, whole: boolean) => {
  const parser = createParser({
    onEvent: (event) => {
      if (reader.relevant.test(event.data)) readDocument(reader, reading, parseJson(event.data))
    }
  })
  parser.feed(text)
  // A final event without its closing blank line is delivered; an event cut by the end of `head`
  // (not `whole`) is left out.
  if (whole) parser.feed("\n\n")
}

/**
 * Of a stream kept as head and tail, what the head can add: what a stream says first (Anthropic's
 * `message_start`) is in its first events; what it says last (usage, errors) is in the tail.
 */
const HEAD_EVENTS_TEXT = 16 * 1024

const USAGE_KEY = /"usage"\s*:\s*(?=\{)/g

/**
 * The last `"usage": {…}` object of `text` that is whole, read on its own: for a body or final
 * event longer than the tail, whose beginning is gone. jsonc-parser reads the object's extent
 * (a complete value followed by more text is "end of file expected" after it).
 */
const lastUsageObject = (text: string): unknown => {
  const starts: Array<number> = []
  for (const match of text.matchAll(USAGE_KEY)) starts.push(match.index + match[0].length)
  for (let i = starts.length - 1; i >= 0; i--) {
    const rest = text.slice(starts[i])
    const errors: Array<ParseError> = []
    const node = parseTree(rest, errors, { disallowComments: true })
    const complete = errors.length === 0 || (printParseErrorCode(errors[0]!.error) === "EndOfFileExpected" && errors[0]!.offset >= (node?.length ?? 0))
    if (node !== undefined && node.type === "object" && complete) {
      const usage = parseJson(rest.slice(0, node.length))
      if (usage !== undefined) return usage
    }
  }
  return undefined
}

const isEventStream = (answer: Answer): boolean =>
  answer.contentType.toLowerCase().includes("text/event-stream") ||
  // A host that streams under another content type: the body starts like SSE, not like JSON.
  /^\s*(?:data|event)\s*:/.test(answer.head.slice(0, 64))

const read = (format: ApiFormat, answer: Answer): AnswerUsage => {
  const reader = readers[format]
  const reading: Reading = { tokens: undefined, cost: null, errorClass: null, anthropicStart: undefined, anthropicFinal: undefined }
  if (isEventStream(answer)) {
    if (answer.tail === undefined) readEvents(reader, reading, answer.head, true)
    else {
      readEvents(reader, reading, answer.head.slice(0, HEAD_EVENTS_TEXT), false)
      readEvents(reader, reading, answer.tail, true)
    }
  } else {
    // A JSON body too long to be kept whole does not parse here; its usage is read from the tail below.
    readDocument(reader, reading, parseJson(answer.head))
  }
  const tokens = () => format === "anthropic" ? anthropicTokens(reading) : reading.tokens
  if (tokens() === undefined && answer.tail !== undefined) {
    const usage = lastUsageObject(answer.tail)
    if (usage !== undefined) reader.readUsage(reading, usage)
  }
  return { tokens: tokens() ?? noTokens, reportedCostUsd: reading.cost, errorClass: reading.errorClass }
}

/** The tokens, reported cost and error class of a caller-facing answer in `format`. Pure; never throws. */
export const answerUsage = (format: ApiFormat, answer: Answer): AnswerUsage => {
  try {
    return read(format, answer)
  } catch {
    return nothing
  }
}
