/**
 * One translated exchange as a pure, synchronous state machine, with no I/O, run by the fast
 * lane's `FastTranslate.ts`: the caller's side (its format ↔ canonical) around the provider's side
 * (`UpstreamExchange`, the same core `HttpUpstream` drives on the Effect path, where `Translate.ts`
 * is the caller's side). Both paths therefore behave alike case by case.
 *
 * `start` turns the caller's parsed body into the upstream request (path, headers, body text) or
 * an answer of its own (a 400 in the caller's format). The returned `Exchange` is then fed what
 * the upstream sends — its status and headers, body chunks, its end or its failure — and says
 * what to write to the caller: a whole answer (status, headers, body), or, for a stream, the head
 * and then SSE text as events complete (bytes → `UpstreamExchange.streamDecoder` → canonical events
 * → the caller's encoder fold → SSE text, one piece per upstream chunk).
 *
 * The behaviours are the Effect path's, case by case: an upstream too slow is a 504, one that
 * cannot be reached a 502; an upstream error body is scrubbed of secrets and told in the caller's
 * shape with the upstream's status; a complete answer that is not JSON, or not of the provider's
 * format, is a 502; a 200 that is not an event stream for a streaming request is a 502; a failure
 * mid-stream is fed to the provider's decoder as that format's own error event, so open blocks
 * close and the caller gets its format's error; a conversation with nothing but instructions, or a
 * request nested too deeply to be written, is a 400.
 */
import { Result } from "effect"
import { HttpServerResponse } from "effect/http"
import type { ServerResponse } from "node:http"
import type { Request, StreamEvent, Usage } from "../formats/Canonical.ts"
import { InvalidRequest, type UnsupportedField } from "../formats/FormatError.ts"
import * as Sse from "../formats/Sse.ts"
import { type GenerateError, type HttpEndpoint, unreachable } from "../providers/Upstream.ts"
import * as UpstreamExchange from "../providers/UpstreamExchange.ts"
import type { UpstreamError } from "../providers/UpstreamError.ts"
import type { HttpFormat } from "./Formats.ts"

/** Where a translated request goes: the provider's endpoint, and the model id it knows. */
export interface TranslationTarget extends HttpEndpoint {
  readonly upstreamModel: string
}

/** A whole answer for the caller. */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array
}

/** The head of a streamed answer; its body follows as SSE text. */
export interface StreamHead {
  readonly _tag: "StreamHead"
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

export type { UpstreamRequest } from "../providers/UpstreamExchange.ts"

/** What the upstream's answer becomes, fed to the exchange as it arrives. */
export interface Exchange {
  /** Whether the caller asked for a stream. */
  readonly stream: boolean
  /**
   * The upstream's status and headers: a `StreamHead` to write now (then `data` gives SSE text), a
   * whole `Reply` to write now (nothing more of the upstream is needed: the driver stops it), or
   * `undefined` while the body is read whole (a complete answer or an error body).
   */
  readonly head: (status: number, headers: Readonly<Record<string, string>>) => StreamHead | Reply | undefined
  /** A body chunk: the SSE text it completes on a stream (possibly ""), "" otherwise. */
  readonly data: (chunk: Uint8Array) => string
  /** The upstream's normal end: the last SSE text of a stream, or the whole answer. */
  readonly end: () => string | Reply
  /**
   * The upstream failed (unreachable, reset, idle timeout): before a stream's head, or while a
   * whole body was read, the caller's error `Reply` (502/504); on a stream, its last SSE text.
   */
  readonly fail: (error: UpstreamError) => string | Reply
}

/** The outcome of `start`: an answer of Switchboard's own, or a request to send and its exchange. */
export type Start =
  | { readonly _tag: "Answer"; readonly reply: Reply }
  | { readonly _tag: "Send"; readonly request: UpstreamExchange.UpstreamRequest; readonly exchange: Exchange }

/** The head of a translated stream, on both paths. */
export const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } as const

/**
 * Every format needs something to answer; instructions alone are not a conversation (Anthropic
 * rejects an empty `messages`, and an absent Responses `input` is only valid with stored state).
 * The caller's 400, or undefined when the request has a conversation.
 */
export const conversationProblem = (inbound: HttpFormat, canonical: Request): InvalidRequest | undefined => {
  if (canonical.messages.some((message) => message.role !== "system")) return undefined
  const param = inbound.api === "responses" ? "input" : "messages"
  return new InvalidRequest({ format: inbound.wire, message: `${param} must hold at least one message besides instructions`, param })
}

/** A response Switchboard renders (`HttpFormat.renderError`: a `Uint8Array` body) as a `Reply`. */
export const replyOf = (rendered: HttpServerResponse.HttpServerResponse): Reply => {
  const body = rendered.body
  const bytes = body._tag === "Uint8Array" ? body.body : new Uint8Array()
  const headers: Record<string, string> = { ...rendered.headers }
  if (body._tag === "Uint8Array" && body.contentType !== "" && headers["content-type"] === undefined) {
    headers["content-type"] = body.contentType
  }
  headers["content-length"] = String(bytes.byteLength)
  return { status: rendered.status, headers, body: bytes }
}

/** A `Reply` as an Effect response (a fast-lane answer the app sends after all). */
export const responseOf = (reply: Reply): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.uint8Array(typeof reply.body === "string" ? new TextEncoder().encode(reply.body) : reply.body, {
    status: reply.status,
    headers: reply.headers
  })

/** The caller's request does not decode, or asks for what its format cannot say: a 400. */
const requestFailure = (inbound: HttpFormat, error: InvalidRequest | UnsupportedField): Reply =>
  replyOf(inbound.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param }))

/** The provider's refusal (or Switchboard's, on its behalf) in the caller's format. */
const refusal = (inbound: HttpFormat, error: GenerateError): Reply => replyOf(inbound.renderError(error))

/** A reply written to node, unless the caller is gone or already answered. */
export const writeReply = (response: ServerResponse, reply: Reply): void => {
  if (response.headersSent || response.destroyed || response.writableEnded) return
  response.writeHead(reply.status, reply.headers)
  response.end(reply.body)
}

const jsonReply = (value: object, headers: Readonly<Record<string, string>>): Reply => {
  const text = JSON.stringify(value)
  return {
    status: 200,
    headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) },
    body: text
  }
}

/**
 * The caller's body (a parsed JSON object) as the upstream request, or Switchboard's own answer
 * when it cannot be translated.
 */
export const start = (inbound: HttpFormat, target: TranslationTarget, body: unknown, onUsage?: (usage: Usage) => void): Start => {
  const decoded = inbound.requestToCanonical(body)
  if (Result.isFailure(decoded)) return { _tag: "Answer", reply: requestFailure(inbound, decoded.failure) }
  const canonical: Request = { ...decoded.success, model: target.upstreamModel }
  const problem = conversationProblem(inbound, canonical)
  if (problem !== undefined) return { _tag: "Answer", reply: requestFailure(inbound, problem) }
  const request = UpstreamExchange.requestFor(target, canonical)
  if (Result.isFailure(request)) return { _tag: "Answer", reply: refusal(inbound, request.failure) }
  return { _tag: "Send", request: request.success, exchange: makeExchange(inbound, target, canonical, onUsage) }
}

/** Reading the upstream's answer: nothing yet, a whole body, or a stream being translated. */
type Phase =
  | { readonly _tag: "Waiting" }
  | { readonly _tag: "Body"; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly chunks: Array<Uint8Array> }
  | { readonly _tag: "Streaming"; readonly translate: StreamTranslation }
  | { readonly _tag: "Done" }

const makeExchange = (inbound: HttpFormat, target: TranslationTarget, canonical: Request, onUsage: ((usage: Usage) => void) | undefined): Exchange => {
  let phase: Phase = { _tag: "Waiting" }

  const wholeBody = (status: number, headers: Readonly<Record<string, string>>, chunks: ReadonlyArray<Uint8Array>): Reply => {
    const answer = UpstreamExchange.wholeAnswer(target, status, headers, Buffer.concat(chunks).toString("utf8"))
    if (Result.isFailure(answer)) return refusal(inbound, answer.failure)
    if (onUsage !== undefined && answer.success.usage !== undefined) onUsage(answer.success.usage)
    return jsonReply(inbound.encodeResponse(answer.success, canonical), headers)
  }

  return {
    stream: canonical.stream,
    head: (status, upstreamHeaders) => {
      const head = UpstreamExchange.headOf(target, canonical, status, upstreamHeaders)
      switch (head._tag) {
        case "Refused":
          phase = { _tag: "Done" }
          return refusal(inbound, head.error)
        case "ReadWhole":
          phase = { _tag: "Body", status, headers: head.headers, chunks: [] }
          return undefined
        case "Stream":
          phase = { _tag: "Streaming", translate: streamTranslation(inbound, target, canonical, onUsage) }
          return { _tag: "StreamHead", status: 200, headers: { ...head.headers, ...SSE_HEADERS } }
      }
    },
    data: (chunk) => {
      if (phase._tag === "Body") {
        phase.chunks.push(chunk)
        return ""
      }
      return phase._tag === "Streaming" ? phase.translate.data(chunk) : ""
    },
    end: () => {
      const current = phase
      phase = { _tag: "Done" }
      switch (current._tag) {
        case "Body":
          return wholeBody(current.status, current.headers, current.chunks)
        case "Streaming":
          return current.translate.end()
        case "Waiting":
        case "Done":
          return ""
      }
    },
    fail: (error) => {
      const current = phase
      phase = { _tag: "Done" }
      return current._tag === "Streaming" ? current.translate.fail(error) : refusal(inbound, unreachable(error))
    }
  }
}

/** A stream being translated: upstream bytes in, the caller's SSE text out. */
interface StreamTranslation {
  readonly data: (chunk: Uint8Array) => string
  readonly end: () => string
  readonly fail: (error: UpstreamError) => string
}

const streamTranslation = (
  inbound: HttpFormat,
  target: TranslationTarget,
  canonical: Request,
  onUsage: ((usage: Usage) => void) | undefined
): StreamTranslation => {
  const decoder = UpstreamExchange.streamDecoder(target)
  const encoder = inbound.streamEncoder(canonical)
  const encode = (events: ReadonlyArray<StreamEvent>, last: boolean): string => {
    const out: Array<string> = []
    for (const event of events) {
      if (onUsage !== undefined) noteUsage(event, onUsage)
      for (const outbound of encoder.push(event)) out.push(Sse.encode(outbound))
    }
    if (last) for (const outbound of encoder.end()) out.push(Sse.encode(outbound))
    return out.length === 1 ? out[0]! : out.join("")
  }
  let ended = false
  /** The decoder's end (after `end` or `fail`) is the encoder's end too. */
  const finish = (events: ReadonlyArray<StreamEvent>) => {
    if (ended) return ""
    ended = true
    return encode(events, true)
  }
  return {
    data: (chunk) => {
      if (ended) return ""
      const events = decoder.data(chunk)
      // A malformed stream ends the decoder at once, with its error event.
      return decoder.done() ? finish(events) : encode(events, false)
    },
    end: () => finish(decoder.end()),
    fail: (error) => finish(decoder.fail(error))
  }
}

/**
 * The usage a translated answer carries, for the ledger (`RequestObserver`): the caller's format
 * may not be able to say all of it (OpenAI has no cache writes; a Chat Completions stream has no
 * usage unless asked), so it is taken here, from the canonical events. The finish's usage is the
 * whole; a start's (Anthropic's `message_start`) stands until then.
 */
export const noteUsage = (event: StreamEvent, onUsage: (usage: Usage) => void): void => {
  if ((event._tag === "Finish" || event._tag === "Start") && event.usage !== undefined) onUsage(event.usage)
}
