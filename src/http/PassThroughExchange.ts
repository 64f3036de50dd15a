/**
 * One pass-through exchange — a caller's request forwarded to a provider of the caller's own
 * format, and the provider's answer streamed back — as pure functions, with no HTTP in them.
 *
 * Two drivers run it: the fast lane (`FastLane.ts`: node's `request` event and undici's dispatch
 * handler, for speed) and the Effect path (`Forward.ts`: `HttpClient` and a response stream).
 * Each moves bytes and keeps time; everything they must agree on is decided here, once:
 *
 * - the request: the upstream URL, the headers (the caller's pass-through headers, then the
 *   provider's — its credentials win — then `accept` and `content-type`), the body with only
 *   `model` rewritten (`RawModel.ts`);
 * - the answer, as a state machine fed `start` (status and headers), `data` (each chunk), `end`
 *   and `fail` (a transport error or the idle timeout), each giving the next state and one
 *   `Action` for the driver: write the head, write bytes, end, answer with a whole response of
 *   Switchboard's own (which also means: stop reading the upstream), or cut the connection.
 *
 * It owns SSE framing in whole events (`SseFraming.ts`), the first and last events kept for the
 * format's failure event (`HttpFormat.passThroughFailure`), the scrubbing of error bodies (some
 * providers quote the credentials they were sent), and the `answerHandling` decisions.
 */
import { Redacted } from "effect"
import { HttpServerResponse } from "effect/http"
import { unsealedForProvider } from "../formats/open-responses/CompactionContent.ts"
import * as Sse from "../formats/Sse.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import { httpStatusError, timeoutError, transportError, type UpstreamError } from "../providers/UpstreamError.ts"
import { type HttpEndpoint, unreachable, upstreamErrorKind } from "../providers/Upstream.ts"
import type { Route } from "../router/RoutingTable.ts"
import type { HttpFormat } from "./Formats.ts"
import { rewriteModel } from "./RawModel.ts"
import { frameEvents } from "./SseFraming.ts"
import { withholdUsageChunk, withUsageAsked } from "./UsageChunk.ts"

// ---------------------------------------------------------------------------------------------
// The request

/** What pass-through needs of a route: the provider's endpoint and the model id it knows. */
export interface PassThroughRoute {
  readonly endpoint: HttpEndpoint
  readonly upstreamModel: string
}

/** The route as a pass-through target when its provider speaks `format` natively, else undefined. */
export const passThroughRoute = (route: Route, format: HttpFormat): PassThroughRoute | undefined => {
  const endpoint = route.upstream.http
  return endpoint !== undefined && endpoint.format === format.api ? { endpoint, upstreamModel: route.upstreamModel } : undefined
}

/** Where a pass-through request of `format` goes. */
export const upstreamUrl = (endpoint: HttpEndpoint, format: HttpFormat): string => `${endpoint.baseUrl}${format.upstreamPath}`

/**
 * The upstream request headers: the caller's pass-through headers first (`format.passThroughHeaders`:
 * never credentials, so a gateway key or the caller's own API key never reaches a provider), then
 * the provider's own (its credentials always win), then `accept` (the caller's) and `content-type`.
 * No tracing headers: they would tell third-party providers about the caller's traces.
 */
export const upstreamHeaders = (
  endpoint: HttpEndpoint,
  format: HttpFormat,
  callerHeaders: Readonly<Record<string, string | undefined>>
): Record<string, string> => ({
  ...format.passThroughHeaders(callerHeaders),
  ...Redacted.value(endpoint.auth.headers),
  accept: callerHeaders["accept"] ?? "application/json",
  "content-type": "application/json"
})

/**
 * The caller's body text, sent on as it is but for `model` — and, for a Chat Completions stream
 * whose usage the caller did not ask for, `stream_options.include_usage` (`UsageChunk.ts`: the
 * ledger needs the usage; the chunk is withheld from the caller); for a Responses provider,
 * compaction items Switchboard made become the summary they carry (`CompactionContent.unsealedForProvider`).
 */
export const upstreamBody = (route: PassThroughRoute, callerBody: string, askUsage = false): string => {
  const body = rewriteModel(route.endpoint.format === "responses" ? unsealedForProvider(callerBody) : callerBody, route.upstreamModel)
  return askUsage ? withUsageAsked(body) : body
}

// ---------------------------------------------------------------------------------------------
// The answer

/** Upstream response headers worth passing to the caller; hop-by-hop and framing headers are not. */
const PASSED_RESPONSE_HEADERS = /^(content-type|content-encoding|retry-after|x-request-id|request-id|openai-.*|x-ratelimit-.*|anthropic-.*|cache-control)$/

/** The upstream response headers a caller may see (a translated answer keeps only those that do not describe the body). */
export const passedHeaders = (
  upstream: Readonly<Record<string, string>>,
  options: { readonly body: boolean } = { body: true }
): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const name in upstream) {
    if (!PASSED_RESPONSE_HEADERS.test(name)) continue
    if (!options.body && (name === "content-type" || name === "content-encoding" || name === "cache-control")) continue
    headers[name] = upstream[name]!
  }
  return headers
}

/**
 * How a pass-through answer is handled, from its status and (passed) headers:
 * - `stream`: an event stream, forwarded in whole events;
 * - `pass`: a body that goes through byte for byte (JSON, or an encoded body Switchboard cannot read);
 * - `scrub`: a JSON error body, read whole and scrubbed of the provider's secrets (some quote them);
 * - `wrap`: an error body that is not JSON (a proxy's HTML page): its text, scrubbed, told in the
 *   caller's error shape, so SDKs raise their usual error with a readable message;
 * - `refuse`: a success that is not JSON (a captive portal, a plain-text notice): never a success
 *   for the caller, who would get a body their SDK cannot read — a 502 instead.
 * A missing content type passes: some servers leave it out of plain JSON answers.
 */
export type AnswerHandling = "stream" | "pass" | "scrub" | "wrap" | "refuse"

export const answerHandling = (status: number, headers: Readonly<Record<string, string>>): AnswerHandling => {
  const contentType = (headers["content-type"] ?? "").toLowerCase()
  if (contentType.startsWith("text/event-stream")) return "stream"
  if (headers["content-encoding"] !== undefined) return "pass"
  const json = contentType === "" || contentType.includes("json")
  if (status >= 400) return json ? "scrub" : "wrap"
  return json ? "pass" : "refuse"
}

/** A gateway failure before any answer, in the caller's format (`unreachable`: 504 too slow, 502 not reached). */
export const upstreamFailure = (format: HttpFormat, error: UpstreamError) => format.renderError(unreachable(error))

/** The error a driver reports with `fail`: the idle timeout, or the transport's `cause`. */
export const exchangeError = (route: PassThroughRoute, failure: { readonly timedOut: true } | { readonly timedOut: false; readonly cause: unknown }): UpstreamError =>
  failure.timedOut ? timeoutError(route.endpoint.name, route.endpoint.timeoutSeconds) : transportError(route.endpoint.name, failure.cause)

/** The answer for a non-JSON error body (`wrap`): the upstream's status, the page's text in the caller's shape. */
const wrappedError = (format: HttpFormat, route: PassThroughRoute, status: number, headers: Readonly<Record<string, string>>, text: string) =>
  format.renderError({
    status,
    ...format.parseError(status, text),
    message: httpStatusError(route.endpoint.name, status, scrub(text, route.endpoint.auth.secrets)).message,
    code: "upstream_error",
    headers: passedHeaders(headers, { body: false })
  })

/** The answer for a success that is not JSON (`refuse`). */
const refusedAnswer = (format: HttpFormat, route: PassThroughRoute, status: number, contentType: string) =>
  format.renderError({
    status: 502,
    kind: "server",
    message: `${route.endpoint.name} answered ${status} with ${contentType}, not JSON: is ${route.endpoint.baseUrl} the provider's API?`,
    code: "upstream_error"
  })

/** What the exchange is about: fixed for its whole life. */
export interface Exchange {
  readonly route: PassThroughRoute
  readonly format: HttpFormat
  /** Switchboard asked for the usage chunk the caller did not (`upstreamBody`): withhold it. */
  readonly withholdUsage?: boolean
}

/**
 * Where an exchange is:
 * - `Waiting`: no answer from the upstream yet;
 * - `Streaming`: the head is written and the body goes through; for SSE (`sse`) in whole events,
 *   the unfinished tail held in `pending`, the first and last events kept (not read) for a
 *   failure event that must refer to the stream (Open Responses: its id, the next sequence number);
 * - `Collecting`: an error body read whole (to be scrubbed, or told in the caller's shape);
 * - `Done`: answered; anything more from the upstream is ignored.
 */
export type ExchangeState =
  | { readonly _tag: "Waiting" }
  | {
    readonly _tag: "Streaming"
    readonly sse: boolean
    readonly pending: Uint8Array | undefined
    readonly first: Uint8Array | undefined
    readonly last: Uint8Array | undefined
    /** See `Exchange.withholdUsage`. */
    readonly withhold?: boolean
  }
  | {
    readonly _tag: "Collecting"
    readonly status: number
    /** The upstream's headers as received (a wrapped error keeps some of them). */
    readonly headers: Readonly<Record<string, string>>
    readonly wrap: boolean
    readonly chunks: Array<Uint8Array>
  }
  | { readonly _tag: "Done" }

export const initial: ExchangeState = { _tag: "Waiting" }
const done: ExchangeState = { _tag: "Done" }
const PLAIN: ExchangeState = { _tag: "Streaming", sse: false, pending: undefined, first: undefined, last: undefined }
const SSE: ExchangeState = { _tag: "Streaming", sse: true, pending: undefined, first: undefined, last: undefined }
const SSE_WITHHOLDING: ExchangeState = { ...SSE, withhold: true }

/**
 * What the driver does next:
 * - `Head`: write the status and headers (`length`: the upstream's `content-length`, set when the
 *   body goes through byte for byte, for a driver that can keep it);
 * - `Write`: write these bytes to the caller;
 * - `End`: end the answer, after these bytes if any;
 * - `Answer`: answer with this whole response of Switchboard's own instead (nothing is written
 *   yet), and stop reading the upstream;
 * - `Cut`: cut the caller's connection: a plain body that failed half-way cannot say so otherwise;
 * - `Nothing`: nothing to do (a chunk held back, or the exchange already over).
 */
export type Action =
  | { readonly _tag: "Head"; readonly status: number; readonly headers: Record<string, string>; readonly length: string | undefined }
  | {
    readonly _tag: "Write"
    readonly bytes: Uint8Array
    /** An event taken out of the answer (a usage chunk the caller did not ask for), for the ledger. */
    readonly withheld?: string | undefined
  }
  | { readonly _tag: "End"; readonly bytes: Uint8Array | undefined }
  | { readonly _tag: "Answer"; readonly response: HttpServerResponse.HttpServerResponse }
  | { readonly _tag: "Cut" }
  | { readonly _tag: "Nothing" }

export type Step = readonly [ExchangeState, Action]

const NOTHING: Action = { _tag: "Nothing" }
const CUT: Action = { _tag: "Cut" }

/** The upstream answered with `status` and `headers` (single-valued, lower-case names). */
export const start = (exchange: Exchange, state: ExchangeState, status: number, headers: Readonly<Record<string, string>>): Step => {
  if (state._tag !== "Waiting") return [state, NOTHING]
  const passed = passedHeaders(headers)
  switch (answerHandling(status, passed)) {
    case "refuse":
      return [done, { _tag: "Answer", response: refusedAnswer(exchange.format, exchange.route, status, passed["content-type"] ?? "") }]
    case "scrub":
      return [{ _tag: "Collecting", status, headers, wrap: false, chunks: [] }, NOTHING]
    case "wrap":
      return [{ _tag: "Collecting", status, headers, wrap: true, chunks: [] }, NOTHING]
    case "stream":
      return [exchange.withholdUsage === true ? SSE_WITHHOLDING : SSE, { _tag: "Head", status, headers: passed, length: undefined }]
    case "pass":
      return [PLAIN, { _tag: "Head", status, headers: passed, length: headers["content-length"] }]
  }
}

/** A chunk of the upstream's body. */
export const data = (state: ExchangeState, chunk: Uint8Array): Step => {
  switch (state._tag) {
    case "Streaming": {
      if (!state.sse) return [state, { _tag: "Write", bytes: chunk }]
      const framed = frameEvents(state.pending, chunk)
      const events = framed.events
      if (events === undefined) return [{ ...state, pending: framed.pending }, NOTHING]
      const next: ExchangeState = { ...state, pending: framed.pending, first: state.first ?? events, last: events }
      if (state.withhold !== true) return [next, { _tag: "Write", bytes: events }]
      const kept = withholdUsageChunk(events)
      return [next, { _tag: "Write", bytes: kept.events, withheld: kept.withheld }]
    }
    case "Collecting":
      // The array is this exchange's own: appended in place (a copy per chunk made long error bodies quadratic).
      state.chunks.push(chunk)
      return [state, NOTHING]
    default:
      return [state, NOTHING]
  }
}

const text = (chunks: ReadonlyArray<Uint8Array>): string => Buffer.concat(chunks).toString("utf8")

/** The upstream's body ended normally. */
export const end = (exchange: Exchange, state: ExchangeState): Step => {
  switch (state._tag) {
    case "Streaming":
      // A normal end passes on whatever the upstream wrote last, even without a final blank line.
      return [done, { _tag: "End", bytes: state.pending }]
    case "Collecting": {
      const body = text(state.chunks)
      const { route, format } = exchange
      return [done, {
        _tag: "Answer",
        response: state.wrap
          ? wrappedError(format, route, state.status, state.headers, body)
          : HttpServerResponse.text(scrub(body, route.endpoint.auth.secrets), { status: state.status, headers: passedHeaders(state.headers) })
      }]
    }
    default:
      // An end before any answer is the transport's to report (as a failure); after one, nothing.
      return [done, NOTHING]
  }
}

/** The exchange failed: the idle timeout, or the transport (`exchangeError`). */
export const fail = (exchange: Exchange, state: ExchangeState, error: UpstreamError): Step => {
  switch (state._tag) {
    case "Waiting":
    case "Collecting":
      return [done, { _tag: "Answer", response: upstreamFailure(exchange.format, error) }]
    case "Streaming": {
      if (!state.sse) return [done, CUT]
      const { route, format } = exchange
      const seen = { model: route.upstreamModel, first: state.first && utf8(state.first), last: state.last && utf8(state.last) }
      const events = format.passThroughFailure({ kind: upstreamErrorKind(error), message: scrub(error.message, route.endpoint.auth.secrets) }, seen)
      return [done, { _tag: "End", bytes: encoder.encode(events.map(Sse.encode).join("")) }]
    }
    case "Done":
      return [state, NOTHING]
  }
}

const encoder = new TextEncoder()
const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
