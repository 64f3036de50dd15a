/**
 * Calling a provider over HTTP with a canonical request, as pure functions and folds with no I/O:
 * the one core that both drivers run — `HttpUpstream.generate` (Effect's HttpClient and Streams,
 * for the app) and the fast lane's translation (`TranslateExchange` over undici's dispatch).
 *
 * - `requestFor`: the canonical request in the provider's format: URL, headers (its credentials),
 *   body text — or a 400 when the provider's format cannot express it;
 * - `headOf`: what the upstream's status and headers mean: a stream to translate as it comes, a
 *   body to read whole (a complete answer or an error), or a refusal (a 200 that is not an event
 *   stream for a streaming request);
 * - `wholeAnswer`: a body read whole → the canonical response, or the upstream's error with its
 *   status (scrubbed of the provider's secrets), or a 502 for a body that is not the format's;
 * - `streamDecoder`: upstream bytes → canonical events, chunk by chunk; a failure (unreachable,
 *   reset, idle timeout, malformed SSE) is fed to the provider's decoder as that format's own error
 *   event, so open blocks are closed as an upstream-reported error would close them.
 */
import { Redacted, Result } from "effect"
import type { ErrorKind, Request, Response, StreamEvent } from "../formats/Canonical.ts"
import { inRequestTerms } from "../formats/FieldPath.ts"
import * as Sse from "../formats/Sse.ts"
import { asInboundEvent, formats } from "../http/Formats.ts"
import { passedHeaders } from "../http/PassThroughExchange.ts"
import { GenerateError, type HttpEndpoint, upstreamErrorKind } from "./Upstream.ts"
import { scrub } from "./UpstreamAuth.ts"
import type { UpstreamError } from "./UpstreamError.ts"

/** The request to send to the provider. */
export interface UpstreamRequest {
  /** `baseUrl` + the provider format's path. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export const requestFor = (endpoint: HttpEndpoint, canonical: Request): Result.Result<UpstreamRequest, GenerateError> => {
  const provider = formats[endpoint.format]
  const encoded = provider.requestFromCanonical(canonical)
  if (Result.isFailure(encoded)) {
    // The encoder names canonical fields: the caller reads its own (`FieldPath.ts`).
    const param = inRequestTerms(encoded.failure.param, canonical)
    return Result.fail(new GenerateError({ status: 400, kind: "invalid_request", message: encoded.failure.message, param }))
  }
  let body: string
  try {
    body = JSON.stringify(encoded.success)
  } catch {
    // JSON.stringify recurses: a body nested tens of thousands deep (JSON.parse takes it) overflows the stack.
    return Result.fail(new GenerateError({ status: 400, kind: "invalid_request", message: "the request is nested too deeply to be translated" }))
  }
  return Result.succeed({
    url: `${endpoint.baseUrl}${provider.upstreamPath}`,
    headers: {
      ...Redacted.value(endpoint.auth.headers),
      accept: canonical.stream ? "text/event-stream" : "application/json",
      "content-type": "application/json"
    },
    body
  })
}

/** What the upstream's status and headers mean for reading its answer. `headers`: those a caller may see. */
export type Head =
  | { readonly _tag: "Stream"; readonly headers: Readonly<Record<string, string>> }
  | { readonly _tag: "ReadWhole"; readonly headers: Readonly<Record<string, string>> }
  | { readonly _tag: "Refused"; readonly error: GenerateError }

export const headOf = (
  endpoint: HttpEndpoint,
  canonical: Request,
  status: number,
  upstreamHeaders: Readonly<Record<string, string>>
): Head => {
  const headers = passedHeaders(upstreamHeaders, { body: false })
  const contentType = (upstreamHeaders["content-type"] ?? "").toLowerCase()
  // A 200 that is not an event stream (a plain page, a proxy's notice) has no events to translate:
  // said now, as an error before the answer, rather than as an empty stream that fails at its end.
  if (canonical.stream && status < 400 && !contentType.startsWith("text/event-stream")) {
    return {
      _tag: "Refused",
      error: badGateway(`${endpoint.name} answered a streaming request with ${contentType === "" ? "no content type" : contentType}, not an event stream`)
    }
  }
  return status >= 400 || !canonical.stream ? { _tag: "ReadWhole", headers } : { _tag: "Stream", headers }
}

export const wholeAnswer = (
  endpoint: HttpEndpoint,
  status: number,
  headers: Readonly<Record<string, string>>,
  text: string
): Result.Result<Response, GenerateError> => {
  const provider = formats[endpoint.format]
  if (status >= 400) {
    // Upstreams sometimes quote the credentials they were sent: scrubbed before anything is read.
    const error = provider.parseError(status, scrub(text, endpoint.auth.secrets))
    return Result.fail(new GenerateError({ status, ...error, headers }))
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Result.fail(badGateway(`${endpoint.name} answered with a body that is not JSON`))
  }
  return Result.mapError(provider.responseToCanonical(json), (error) => badGateway(error.message))
}

/** Upstream bytes in, canonical events out; after `end` or `fail` (or malformed input) it takes nothing more. */
export interface StreamDecoder {
  readonly data: (chunk: Uint8Array) => ReadonlyArray<StreamEvent>
  /** Whether the decoder has ended (its last events given): by `end`, `fail`, or a malformed stream. */
  readonly done: () => boolean
  readonly end: () => ReadonlyArray<StreamEvent>
  readonly fail: (error: UpstreamError) => ReadonlyArray<StreamEvent>
}

export const streamDecoder = (endpoint: HttpEndpoint): StreamDecoder => {
  const provider = formats[endpoint.format]
  const sse = Sse.makeDecoder()
  const decoder = provider.streamDecoder()
  let ended = false

  const decode = (events: ReadonlyArray<Sse.InboundEvent>, into: Array<StreamEvent>) => {
    for (const event of events) for (const out of decoder.push(event)) into.push(out)
  }
  /** The end of the input: the decoder's halt (it says whether the upstream ended cleanly). */
  const close = (into: Array<StreamEvent>) => {
    ended = true
    for (const out of decoder.end()) into.push(out)
    return into
  }
  const failWith = (kind: ErrorKind, message: string, into: Array<StreamEvent>) => {
    decode([asInboundEvent(provider, { kind, message: scrub(message, endpoint.auth.secrets) })], into)
    return close(into)
  }
  const malformed = (into: Array<StreamEvent>) => failWith("server", `${endpoint.name} sent a malformed event stream`, into)

  return {
    done: () => ended,
    data: (chunk) => {
      if (ended) return []
      const out: Array<StreamEvent> = []
      const events = sse.feed(chunk)
      if (Result.isFailure(events)) return malformed(out)
      decode(events.success, out)
      return out
    },
    end: () => {
      if (ended) return []
      const out: Array<StreamEvent> = []
      const events = sse.end()
      if (Result.isFailure(events)) return malformed(out)
      decode(events.success, out)
      return close(out)
    },
    fail: (error) => ended ? [] : failWith(upstreamErrorKind(error), error.message, [])
  }
}

const badGateway = (message: string) => new GenerateError({ status: 502, kind: "server", message, code: "upstream_error" })
