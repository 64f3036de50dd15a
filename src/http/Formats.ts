/**
 * The wire formats the gateway speaks, as data: for each one its endpoint under a provider's base
 * URL, how its errors are rendered (as a response and as a stream event), how an upstream error
 * body of that format is read, and its translation functions to and from the canonical hub
 * (`src/formats/`). Routes, `Forward` and `Translate` look a format up here instead of branching
 * on format names: each format is one entry.
 */
import { type Effect, Predicate, type Result, type Stream } from "effect"
import type { HttpServerResponse } from "effect/http"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { ErrorKind, Request, Response, StreamError, StreamEvent, UpstreamFailure } from "../formats/Canonical.ts"
import type { InvalidRequest, InvalidUpstreamBody, UnsupportedField, WireFormat } from "../formats/FormatError.ts"
import * as Sse from "../formats/Sse.ts"
import * as StreamDecoding from "../formats/StreamDecoding.ts"
import * as AnthropicErrorType from "../formats/anthropic-messages/ErrorType.ts"
import * as AnthropicRequest from "../formats/anthropic-messages/Request.ts"
import * as AnthropicResponse from "../formats/anthropic-messages/Response.ts"
import * as AnthropicStream from "../formats/anthropic-messages/Stream.ts"
import * as ResponsesErrorType from "../formats/open-responses/ErrorType.ts"
import * as ResponsesRequest from "../formats/open-responses/Request.ts"
import * as ResponsesResponse from "../formats/open-responses/Response.ts"
import * as ResponsesStream from "../formats/open-responses/Stream.ts"
import * as OpenAiErrorType from "../formats/openai-chat/ErrorType.ts"
import * as OpenAiRequest from "../formats/openai-chat/Request.ts"
import * as OpenAiResponse from "../formats/openai-chat/Response.ts"
import * as OpenAiStream from "../formats/openai-chat/Stream.ts"
import { errorBodyMessage } from "../providers/UpstreamError.ts"
import { renderAnthropicError } from "./AnthropicError.ts"
import { type GatewayError, kindOfStatus } from "./GatewayError.ts"
import { renderOpenAiError } from "./OpenAiError.ts"
import { renderResponsesError } from "./ResponsesError.ts"

/** One wire format, everything the HTTP layer needs to serve it inbound or call it upstream. */
export interface HttpFormat {
  /** The provider `format` value in remote.json. */
  readonly api: ApiFormat
  /** The name `src/formats/` uses. */
  readonly wire: WireFormat
  /** The endpoint under a provider's base URL (`/chat/completions`, `/messages`). */
  readonly upstreamPath: string
  /** Switchboard's own errors, and relayed upstream errors, as a response in this format. */
  readonly renderError: (error: GatewayError) => HttpServerResponse.HttpServerResponse
  /** This format's SSE error event, as an upstream of it reports a failure mid-stream. */
  readonly errorEvent: (error: StreamError) => Sse.OutboundEvent
  /**
   * How a pass-through stream that fails mid-way (stall, reset) ends: this format's error
   * event(s). `seen` is what the upstream sent so far, for formats whose failure must refer to it.
   */
  readonly passThroughFailure: (error: StreamError, seen: PassThroughSeen) => ReadonlyArray<Sse.OutboundEvent>
  /** An upstream error body of this format (status ≥ 400), already scrubbed, as a canonical error. */
  readonly parseError: (status: number, body: string) => StreamError
  /**
   * Request headers of the caller that mean something to an upstream of the same format and
   * carry no credentials (Anthropic's `anthropic-beta`), for pass-through only.
   */
  readonly passThroughHeaders: (headers: Readonly<Record<string, string | undefined>>) => Record<string, string>

  /**
   * The translations, synchronous: for the fast lane's translation exchange
   * (`TranslateExchange.ts`), which runs with no Effect per request.
   */
  readonly requestToCanonical: (body: unknown) => Result.Result<Request, InvalidRequest | UnsupportedField>
  readonly requestFromCanonical: (request: Request) => Result.Result<object, UnsupportedField>
  readonly responseToCanonical: (body: unknown) => Result.Result<Response, InvalidUpstreamBody>
  /** A fresh run of this format's stream decoder fold (upstream events → canonical events). */
  readonly streamDecoder: () => StreamDecoding.Folding<Sse.InboundEvent | UpstreamFailure, StreamEvent>
  /** A fresh run of this format's stream encoder fold for the caller's request (canonical → its events). */
  readonly streamEncoder: (request: Request) => StreamDecoding.Folding<StreamEvent, Sse.OutboundEvent>

  /** The same translations as Effects and Streams, for the Effect path (`Translate.ts`). */
  readonly decodeRequest: (body: unknown) => Effect.Effect<Request, InvalidRequest | UnsupportedField>
  readonly encodeRequest: (request: Request) => Effect.Effect<object, UnsupportedField>
  readonly decodeResponse: (body: unknown) => Effect.Effect<Response, InvalidUpstreamBody>
  /** `request` is the caller's own (canonical) request: some encoders need its options. */
  readonly encodeResponse: (response: Response, request: Request) => object
  readonly decodeStream: <E, R>(events: Stream.Stream<Sse.InboundEvent, E, R>) => Stream.Stream<StreamEvent, E, R>
  readonly encodeStream: (
    request: Request
  ) => <E, R>(events: Stream.Stream<StreamEvent, E, R>) => Stream.Stream<Sse.OutboundEvent, E, R>
}

/** What `Forward` kept of a pass-through stream, without parsing it: its first and last chunks, as text. */
export interface PassThroughSeen {
  readonly model: string
  readonly first: string | undefined
  readonly last: string | undefined
}

/** The `error` object of an OpenAI (`{error:{type,code}}`) or Anthropic (`{type:"error",error:{type}}`) body, if any. */
const errorObject = (body: string): { readonly type: string | undefined; readonly code: string | undefined } | undefined => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return undefined
  }
  if (!Predicate.isObject(json) || !("error" in json) || !Predicate.isObject(json.error)) return undefined
  const error = json.error
  const type = "type" in error && Predicate.isString(error.type) ? error.type : undefined
  const code = "code" in error && (Predicate.isString(error.code) || Predicate.isNumber(error.code)) ? String(error.code) : undefined
  return { type, code }
}

/**
 * The body's own error type when it names one the format knows, else the status: a 404 with an
 * HTML page is still "not found", and an unknown type must not turn a 429 into a server error.
 */
const parsedKind = (status: number, fromBody: ErrorKind | undefined): ErrorKind =>
  fromBody === undefined || (fromBody === "server" && status < 500) ? kindOfStatus(status) : fromBody

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** OpenAI Chat Completions. */
export const openAiChat: HttpFormat = {
  api: "openai",
  wire: "openai-chat",
  upstreamPath: "/chat/completions",
  renderError: renderOpenAiError,
  errorEvent: (error) => Sse.json(OpenAiErrorType.fromCanonical(error)),
  parseError: (status, body) => {
    const error = errorObject(body)
    return {
      kind: parsedKind(status, error && (error.type !== undefined || error.code !== undefined) ? OpenAiErrorType.toCanonical(error.type, error.code) : undefined),
      message: errorBodyMessage(body)
    }
  },
  passThroughFailure: (error) => [openAiChat.errorEvent(error)],
  passThroughHeaders: () => ({}),
  requestToCanonical: OpenAiRequest.toCanonicalResult,
  requestFromCanonical: (request) => OpenAiRequest.fromCanonicalResult(request),
  responseToCanonical: OpenAiResponse.toCanonicalResult,
  streamDecoder: () => StreamDecoding.run(OpenAiStream.decoder),
  streamEncoder: (request) => StreamDecoding.run(OpenAiStream.encoder({ includeUsage: request.includeUsage ?? false, created: nowSeconds() })),
  decodeRequest: OpenAiRequest.toCanonical,
  encodeRequest: (request) => OpenAiRequest.fromCanonical(request),
  decodeResponse: OpenAiResponse.toCanonical,
  // Anthropic gives no `created`; the time of the answer is the best stand-in.
  encodeResponse: (response) => OpenAiResponse.fromCanonical(response, { created: nowSeconds() }),
  decodeStream: OpenAiStream.decodeStream,
  encodeStream: (request) => OpenAiStream.encodeStream({ includeUsage: request.includeUsage ?? false, created: nowSeconds() })
}

/** Anthropic Messages. */
export const anthropicMessages: HttpFormat = {
  api: "anthropic",
  wire: "anthropic-messages",
  upstreamPath: "/messages",
  renderError: renderAnthropicError,
  // Every Anthropic event carries its `event:` name: the SDK ignores events without one.
  errorEvent: (error) => Sse.json(AnthropicErrorType.fromCanonical(error), "error"),
  parseError: (status, body) => {
    const error = errorObject(body)
    return {
      kind: parsedKind(status, error?.type !== undefined ? AnthropicErrorType.toCanonical(error.type) : undefined),
      message: errorBodyMessage(body)
    }
  },
  passThroughFailure: (error) => [anthropicMessages.errorEvent(error)],
  passThroughHeaders: (headers): Record<string, string> => {
    const beta = headers["anthropic-beta"]
    return beta !== undefined && beta !== "" ? { "anthropic-beta": beta } : {}
  },
  requestToCanonical: AnthropicRequest.toCanonicalResult,
  requestFromCanonical: (request) => AnthropicRequest.fromCanonicalResult(request),
  responseToCanonical: AnthropicResponse.toCanonicalResult,
  streamDecoder: () => StreamDecoding.run(AnthropicStream.decoder),
  streamEncoder: () => StreamDecoding.run(AnthropicStream.encoder),
  decodeRequest: AnthropicRequest.toCanonical,
  encodeRequest: (request) => AnthropicRequest.fromCanonical(request),
  decodeResponse: AnthropicResponse.toCanonical,
  encodeResponse: (response) => AnthropicResponse.fromCanonical(response),
  decodeStream: AnthropicStream.decodeStream,
  encodeStream: () => AnthropicStream.encodeStream
}

/** The ResponseResource of the upstream's `response.created` event, if the text holds one. */
const createdResource = (text: string | undefined): Record<string, unknown> | undefined => {
  const line = text?.split(/\r?\n/).find((l) => l.startsWith("data:"))
  if (line === undefined) return undefined
  try {
    const event: unknown = JSON.parse(line.slice("data:".length))
    return Predicate.isObject(event) && event.type === "response.created" && Predicate.isObject(event.response)
      ? event.response as Record<string, unknown>
      : undefined
  } catch {
    return undefined
  }
}

/** The sequence number after the last one in the text (the upstream's last event), 0 without one. */
const nextSequence = (text: string | undefined): number => {
  let next = 0
  for (const match of (text ?? "").matchAll(/"sequence_number"\s*:\s*(\d+)/g)) next = Math.max(next, Number(match[1]) + 1)
  return next
}

/**
 * Open Responses. A mid-stream failure is an `error` event followed by `response.failed` (the
 * spec: "any error incurred while streaming will be followed by a `response.failed` event").
 */
export const openResponses: HttpFormat = {
  api: "responses",
  wire: "open-responses",
  upstreamPath: "/responses",
  renderError: renderResponsesError,
  errorEvent: (error) => Sse.json({ type: "error", sequence_number: 0, error: ResponsesErrorType.payloadFromCanonical(error) }, "error"),
  /**
   * On pass-through nothing was parsed, so the failed resource is the upstream's own
   * `response.created` one (its id, model, echoes) when the first chunk holds it, and the events
   * continue the upstream's sequence numbers as far as its last chunk tells them.
   */
  passThroughFailure: (error, seen) => {
    const sequence = Math.max(nextSequence(seen.last), seen.first === seen.last ? 0 : nextSequence(seen.first))
    const created = createdResource(seen.first)
    const failed = created !== undefined
      ? { ...created, status: "failed", completed_at: null, error: ResponsesErrorType.responseErrorFromCanonical(error) }
      : ResponsesResponse.resource({
        id: "resp_failed",
        model: seen.model,
        createdAt: nowSeconds(),
        completedAt: nowSeconds(),
        status: "failed",
        incompleteDetails: null,
        output: [],
        error,
        usage: undefined,
        echo: ResponsesResponse.echoOf(undefined)
      })
    return [
      Sse.json({ type: "error", sequence_number: sequence, error: ResponsesErrorType.payloadFromCanonical(error) }, "error"),
      Sse.json({ type: "response.failed", sequence_number: sequence + 1, response: failed }, "response.failed"),
      Sse.done
    ]
  },
  parseError: (status, body) => {
    const error = errorObject(body)
    return {
      kind: parsedKind(status, error && (error.type !== undefined || error.code !== undefined) ? ResponsesErrorType.toCanonical(error.type, error.code) : undefined),
      message: errorBodyMessage(body)
    }
  },
  passThroughHeaders: () => ({}),
  requestToCanonical: ResponsesRequest.toCanonicalResult,
  requestFromCanonical: ResponsesRequest.fromCanonicalResult,
  responseToCanonical: ResponsesResponse.toCanonicalResult,
  streamDecoder: () => StreamDecoding.run(ResponsesStream.decoder),
  streamEncoder: (request) => StreamDecoding.run(ResponsesStream.encoder({ created: nowSeconds(), request })),
  decodeRequest: ResponsesRequest.toCanonical,
  encodeRequest: ResponsesRequest.fromCanonical,
  decodeResponse: ResponsesResponse.toCanonical,
  // The resource echoes the caller's request parameters (tools, limits, sampling).
  encodeResponse: (response, request) => ResponsesResponse.fromCanonical(response, { created: nowSeconds(), request }),
  decodeStream: ResponsesStream.decodeStream,
  encodeStream: (request) => ResponsesStream.encodeStream({ created: nowSeconds(), request })
}

/** Each provider format and the module that serves it. */
export const formats: { readonly [F in ApiFormat]: HttpFormat } = {
  openai: openAiChat,
  anthropic: anthropicMessages,
  responses: openResponses
}

/** The inbound event an upstream of `format` would have sent to report `error` mid-stream. */
export const asInboundEvent = (format: HttpFormat, error: StreamError): Sse.InboundEvent => {
  const event = format.errorEvent(error)
  return event._tag === "Json"
    ? { event: event.event ?? "message", data: JSON.stringify(event.data) }
    : { event: "message", data: "[DONE]" }
}
