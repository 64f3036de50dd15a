/**
 * One translated exchange as a pure, synchronous state machine, with no I/O: the core both
 * translation drivers can run (the fast lane's `FastTranslate.ts`; the Effect path's
 * `Translate.ts` has the same behaviours, written with Effect streams).
 *
 * `start` turns the caller's parsed body into the upstream request (path, headers, body text) or
 * an answer of its own (a 400 in the caller's format). The returned `Exchange` is then fed what
 * the upstream sends — its status and headers, body chunks, its end or its failure — and says
 * what to write to the caller: a whole answer (status, headers, body), or, for a stream, the head
 * and then SSE text as events complete (bytes → `Sse.makeDecoder` → the provider's decoder fold →
 * canonical events → the caller's encoder fold → SSE text, one piece per upstream chunk).
 *
 * The behaviours are the Effect path's, case by case: an upstream too slow is a 504, one that
 * cannot be reached a 502; an upstream error body is scrubbed of secrets and told in the caller's
 * shape with the upstream's status; a complete answer that is not JSON, or not of the provider's
 * format, is a 502; a 200 that is not an event stream for a streaming request is a 502; a failure
 * mid-stream is fed to the provider's decoder as that format's own error event, so open blocks
 * close and the caller gets its format's error; a conversation with nothing but instructions, or a
 * request nested too deeply to be written, is a 400.
 */
import { Redacted, Result } from "effect"
import type { HttpServerResponse } from "effect/http"
import type { ErrorKind, Request, StreamEvent } from "../formats/Canonical.ts"
import type { FormatError } from "../formats/FormatError.ts"
import * as Sse from "../formats/Sse.ts"
import type { UpstreamAuth } from "../providers/UpstreamAuth.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import type { UpstreamError } from "../providers/UpstreamError.ts"
import { asInboundEvent, type HttpFormat } from "./Formats.ts"
import { passedHeaders, upstreamErrorKind, upstreamFailure } from "./Forward.ts"

/** Where a translated request goes: the provider's format and connection (the HTTP part of a route). */
export interface TranslationTarget {
  /** The provider's format. */
  readonly format: HttpFormat
  /** `scheme://host[:port]/basePath`, no trailing slash. */
  readonly baseUrl: string
  readonly host: string
  readonly timeoutSeconds: number
  readonly auth: UpstreamAuth
  /** The model id the provider knows. */
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

/** The request to send upstream. */
export interface UpstreamRequest {
  /** The full URL (`baseUrl` + the provider format's path). */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

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
  | { readonly _tag: "Send"; readonly request: UpstreamRequest; readonly exchange: Exchange }

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } as const

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

/** A translation failure as the caller's error: its own request is a 400, an upstream body a 502. */
export const formatFailure = (inbound: HttpFormat, error: FormatError): Reply => {
  switch (error._tag) {
    case "InvalidRequest":
    case "UnsupportedField":
      return replyOf(inbound.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param }))
    case "InvalidUpstreamBody":
      return replyOf(inbound.renderError({ status: 502, kind: "server", message: error.message, code: "upstream_error" }))
  }
}

const badRequest = (inbound: HttpFormat, message: string, param?: string): Reply =>
  replyOf(inbound.renderError({ status: 400, kind: "invalid_request", message, param }))

const upstreamError = (inbound: HttpFormat, message: string): Reply =>
  replyOf(inbound.renderError({ status: 502, kind: "server", message, code: "upstream_error" }))

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
export const start = (inbound: HttpFormat, target: TranslationTarget, body: unknown): Start => {
  const decoded = inbound.requestToCanonical(body)
  if (Result.isFailure(decoded)) return { _tag: "Answer", reply: formatFailure(inbound, decoded.failure) }
  const canonical: Request = { ...decoded.success, model: target.upstreamModel }
  // Every format needs something to answer; instructions alone are not a conversation (Anthropic
  // rejects an empty `messages`, and an absent Responses `input` is only valid with stored state).
  if (!canonical.messages.some((message) => message.role !== "system")) {
    const param = inbound.api === "responses" ? "input" : "messages"
    return { _tag: "Answer", reply: badRequest(inbound, `${param} must hold at least one message besides instructions`, param) }
  }
  const provider = target.format
  const encoded = provider.requestFromCanonical(canonical)
  if (Result.isFailure(encoded)) return { _tag: "Answer", reply: formatFailure(inbound, encoded.failure) }
  let text: string
  try {
    text = JSON.stringify(encoded.success)
  } catch {
    // JSON.stringify recurses: a body nested tens of thousands deep (JSON.parse takes it) overflows the stack.
    return { _tag: "Answer", reply: badRequest(inbound, "the request is nested too deeply to be translated") }
  }
  return {
    _tag: "Send",
    request: {
      url: `${target.baseUrl}${provider.upstreamPath}`,
      headers: {
        ...Redacted.value(target.auth.headers),
        accept: canonical.stream ? "text/event-stream" : "application/json",
        "content-type": "application/json"
      },
      body: text
    },
    exchange: makeExchange(inbound, target, canonical)
  }
}

/** Reading the upstream's answer: nothing yet, a whole body, or a stream being translated. */
type Phase =
  | { readonly _tag: "Waiting" }
  | { readonly _tag: "Body"; readonly status: number; readonly headers: Record<string, string>; readonly chunks: Array<Uint8Array> }
  | { readonly _tag: "Streaming"; readonly translate: StreamTranslation }
  | { readonly _tag: "Done" }

const makeExchange = (inbound: HttpFormat, target: TranslationTarget, canonical: Request): Exchange => {
  const provider = target.format
  const secrets = target.auth.secrets
  let phase: Phase = { _tag: "Waiting" }

  const wholeBody = (status: number, headers: Record<string, string>, chunks: ReadonlyArray<Uint8Array>): Reply => {
    const text = Buffer.concat(chunks).toString("utf8")
    if (status >= 400) {
      // Upstreams sometimes quote the credentials they were sent: scrubbed before anything is read.
      const error = provider.parseError(status, scrub(text, secrets))
      return replyOf(inbound.renderError({ status, ...error, headers }))
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return upstreamError(inbound, `${target.host} answered with a body that is not JSON`)
    }
    const answer = provider.responseToCanonical(json)
    if (Result.isFailure(answer)) return formatFailure(inbound, answer.failure)
    return jsonReply(inbound.encodeResponse(answer.success, canonical), headers)
  }

  return {
    stream: canonical.stream,
    head: (status, upstreamHeaders) => {
      const headers = passedHeaders(upstreamHeaders, { body: false })
      const contentType = (upstreamHeaders["content-type"] ?? "").toLowerCase()
      // A 200 that is not an event stream (a plain page, a proxy's notice) has no events to translate:
      // said now, as an error before the answer, rather than as an empty stream that fails at its end.
      if (canonical.stream && status < 400 && !contentType.startsWith("text/event-stream")) {
        phase = { _tag: "Done" }
        return upstreamError(
          inbound,
          `${target.host} answered a streaming request with ${contentType === "" ? "no content type" : contentType}, not an event stream`
        )
      }
      if (status >= 400 || !canonical.stream) {
        phase = { _tag: "Body", status, headers, chunks: [] }
        return undefined
      }
      phase = { _tag: "Streaming", translate: streamTranslation(inbound, target, canonical) }
      return { _tag: "StreamHead", status: 200, headers: { ...headers, ...SSE_HEADERS } }
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
      return current._tag === "Streaming" ? current.translate.fail(error) : replyOf(upstreamFailure(inbound, error))
    }
  }
}

/** A stream being translated: upstream bytes in, the caller's SSE text out. */
interface StreamTranslation {
  readonly data: (chunk: Uint8Array) => string
  readonly end: () => string
  readonly fail: (error: UpstreamError) => string
}

const streamTranslation = (inbound: HttpFormat, target: TranslationTarget, canonical: Request): StreamTranslation => {
  const provider = target.format
  const sse = Sse.makeDecoder()
  const decoder = provider.streamDecoder()
  const encoder = inbound.streamEncoder(canonical)
  let ended = false

  const encode = (events: ReadonlyArray<StreamEvent>, into: Array<string>) => {
    for (const event of events) for (const outbound of encoder.push(event)) into.push(Sse.encode(outbound))
  }
  const decode = (events: ReadonlyArray<Sse.InboundEvent>, into: Array<string>) => {
    for (const event of events) encode(decoder.push(event), into)
  }
  /** The end of the input: the decoder's and then the encoder's halt. */
  const close = (into: Array<string>): string => {
    ended = true
    encode(decoder.end(), into)
    for (const outbound of encoder.end()) into.push(Sse.encode(outbound))
    return into.join("")
  }
  /**
   * A failure becomes the provider format's own error event before the decoder, so the decoder
   * closes its blocks and reports the error as if the upstream had.
   */
  const failWith = (kind: ErrorKind, message: string, into: Array<string>): string => {
    decode([asInboundEvent(provider, { kind, message: scrub(message, target.auth.secrets) })], into)
    return close(into)
  }
  const malformed = (into: Array<string>) => failWith("server", `${target.host} sent a malformed event stream`, into)

  return {
    data: (chunk) => {
      if (ended) return ""
      const out: Array<string> = []
      const events = sse.feed(chunk)
      if (Result.isFailure(events)) return malformed(out)
      decode(events.success, out)
      return out.length === 1 ? out[0]! : out.join("")
    },
    end: () => {
      if (ended) return ""
      const out: Array<string> = []
      const events = sse.end()
      if (Result.isFailure(events)) return malformed(out)
      decode(events.success, out)
      return close(out)
    },
    fail: (error) => ended ? "" : failWith(upstreamErrorKind(error), error.message, [])
  }
}
