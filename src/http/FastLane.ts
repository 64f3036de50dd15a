/**
 * The pass-through fast lane: same-format requests forwarded straight from node's `request`
 * event, before the Effect HTTP app.
 *
 * Why it exists (measured, see docs/performance.md): on pass-through the gateway's own work is
 * tiny (read `model`, look it up, rewrite it, copy bytes), and the per-request cost of the Effect
 * HttpServer → HttpRouter → HttpClient stack (a fiber, request/response wrappers, the client's
 * request builder, stream plumbing) was most of the gateway's CPU time per request, leaving it
 * well under the throughput of a bare node:http + undici proxy. Here a request to one of the API
 * paths is read, its `model` resolved against the live routing table, and when the provider
 * speaks the caller's format it is forwarded with undici and streamed back by hand; when it
 * speaks another format, the request is translated on this lane too (`FastTranslate.ts`).
 *
 * Everything else — local models, unknown or ambiguous models, malformed bodies, other paths — is
 * handed to the Effect app unchanged (with the body already read: `PreReadBody.ts`), so every
 * error message and every non-pass-through behaviour has one implementation.
 *
 * The behaviour is the one of `Forward.ts`, built from the same pieces: the model rewrite
 * (`RawModel.ts`), the provider's headers winning over the caller's, `passedHeaders`, SSE kept in
 * whole events (`SseFraming.ts`), an idle timeout ending a stream with the format's error event,
 * 504/502 in the caller's format (`upstreamFailure`), error bodies scrubbed of secrets, a caller
 * that goes away aborting the upstream request, and no tracing headers.
 */
import { Redacted } from "effect"
import type { HttpServerResponse } from "effect/http"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Agent, type Dispatcher } from "undici"
import * as Sse from "../formats/Sse.ts"
import { scrub } from "../providers/UpstreamAuth.ts"
import { timeoutError, transportError, type UpstreamError } from "../providers/UpstreamError.ts"
import type { HttpEndpoint } from "../providers/Upstream.ts"
import { resolveModel, type RoutingTable } from "../router/RoutingTable.ts"
import type { FrontHandler } from "./EarlyRequests.ts"
import { anthropicMessages, type HttpFormat, openAiChat, openResponses } from "./Formats.ts"
import { answerHandling, passedHeaders, type PassThroughRoute, passThroughRoute, refusedAnswer, upstreamErrorKind, upstreamFailure, wrappedError } from "./Forward.ts"
import { readBody } from "./BodyReader.ts"
import { rememberBody } from "./PreReadBody.ts"
import { rewriteModel } from "./RawModel.ts"
import { makeEventFramer } from "./SseFraming.ts"
import { translateFast } from "./FastTranslate.ts"

/** The API endpoints and the format each speaks (the same paths the Effect routes serve). */
const ENDPOINTS: ReadonlyMap<string, HttpFormat> = new Map([
  ["/v1/chat/completions", openAiChat],
  ["/chat/completions", openAiChat],
  ["/v1/messages", anthropicMessages],
  ["/messages", anthropicMessages],
  ["/v1/responses", openResponses],
  ["/responses", openResponses]
])

export interface FastLaneOptions {
  /** The routing table as of now: read on every request, so a provider change applies at once. */
  readonly routingTable: () => RoutingTable
  /** undici's pooled keep-alive connections to the upstreams. */
  readonly dispatcher: Dispatcher
  /** The largest request body accepted (`BodyReader.MaxBodyBytes`). */
  readonly maxBodyBytes: number
}

/** The dispatcher the fast lane uses unless given one: one keep-alive pool per upstream origin. */
export const makeDispatcher = (): Agent => new Agent({ keepAliveTimeout: 30_000 })

/** Header values as single strings (node and undici give repeated headers as arrays). */
const singleValued = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) out[name] = typeof value === "string" ? value : value.join(", ")
  }
  return out
}

/** An Effect response of Switchboard's own (a rendered error: a `Uint8Array` body), written to node. */
const writeGatewayResponse = (response: ServerResponse, rendered: HttpServerResponse.HttpServerResponse): void => {
  if (response.headersSent || response.destroyed || response.writableEnded) return
  const body = rendered.body
  response.writeHead(rendered.status, rendered.headers)
  response.end(body._tag === "Uint8Array" ? body.body : undefined)
}

/** Where a route's requests of one format go, and the headers every one of them carries. */
interface Target {
  readonly origin: string
  readonly path: string
  /** The full upstream headers for a given caller `accept` with no pass-through headers (the usual case), built once. */
  readonly headersByAccept: Map<string, Readonly<Record<string, string>>>
}

/** Parsed once per endpoint (endpoints live until their provider reconnects, then these go with them). */
const targets = new WeakMap<HttpEndpoint, Map<HttpFormat, Target>>()
const targetOf = (route: PassThroughRoute, format: HttpFormat): Target => {
  let byFormat = targets.get(route.endpoint)
  if (byFormat === undefined) targets.set(route.endpoint, byFormat = new Map())
  let target = byFormat.get(format)
  if (target === undefined) {
    const url = new URL(`${route.endpoint.baseUrl}${format.upstreamPath}`)
    target = { origin: url.origin, path: url.pathname + url.search, headersByAccept: new Map() }
    byFormat.set(format, target)
  }
  return target
}

/** Callers send one of very few `accept` values; a hostile variety must not grow the cache. */
const MAX_CACHED_ACCEPTS = 8

/** The upstream request headers: the caller's pass-through ones, then the provider's (its credentials win), then ours. */
const upstreamHeaders = (target: Target, route: PassThroughRoute, format: HttpFormat, request: IncomingMessage): Readonly<Record<string, string>> => {
  const accept = request.headers.accept ?? "application/json"
  // Node joins repeated headers into one string except `set-cookie`, which no format passes through.
  const passThrough = format.passThroughHeaders(request.headers as Readonly<Record<string, string | undefined>>)
  const cacheable = Object.keys(passThrough).length === 0
  const cached = cacheable ? target.headersByAccept.get(accept) : undefined
  if (cached !== undefined) return cached
  const headers = { ...passThrough, ...Redacted.value(route.endpoint.auth.headers), accept, "content-type": "application/json" }
  if (cacheable && target.headersByAccept.size < MAX_CACHED_ACCEPTS) target.headersByAccept.set(accept, headers)
  return headers
}

/**
 * Forwards one pass-through request whose body is `body` (model already rewritten) and streams
 * the answer back, as `Forward.forward` does on the Effect path.
 *
 * Written against undici's dispatch handler interface rather than `request()`: no response
 * stream object, no promise and no AbortSignal per request (each showed in the profiles), and
 * backpressure is one `pause`/`resume`.
 */
const forward = (
  dispatcher: Dispatcher,
  route: PassThroughRoute,
  format: HttpFormat,
  body: string,
  request: IncomingMessage,
  response: ServerResponse
): void => {
  const target = targetOf(route, format)
  let controller: Dispatcher.DispatchController | undefined
  /** Why the exchange is being cut short, once it is (timeout, caller gone). */
  let stop: Error | undefined
  let timedOut = false
  const cut = (reason: Error) => {
    stop ??= reason
    controller?.abort(reason)
  }
  const failure = (cause: unknown): UpstreamError =>
    timedOut ? timeoutError(route.endpoint.host, route.endpoint.timeoutSeconds) : transportError(route.endpoint.host, cause)
  const failBeforeAnswer = (cause: unknown) => writeGatewayResponse(response, upstreamFailure(format, failure(cause)))

  /** The caller is not keeping up: the upstream is paused until its socket drains. */
  let paused = false
  // One timer for the whole exchange, pushed back on every chunk: an idle timeout, as on the Effect path.
  const timer = setTimeout(() => {
    // Waiting on a slow caller is not the upstream being idle (the Effect path does not pull then either).
    if (paused) return void timer.refresh()
    timedOut = true
    // Still waiting for a connection: the caller is answered now, not when undici gives up.
    if (controller === undefined) failBeforeAnswer(undefined)
    cut(new Error("idle timeout"))
  }, route.endpoint.timeoutSeconds * 1000)
  // The caller went away: nobody reads the answer, so the upstream need not write it.
  response.once("close", () => {
    clearTimeout(timer)
    if (!response.writableFinished) cut(new Error("the caller closed the connection"))
  })
  const resume = () => {
    paused = false
    timer.refresh()
    controller?.resume()
  }

  /** Set while an error body is read whole (to be scrubbed) instead of streamed. */
  let errorBody: Array<Buffer> | undefined
  let errorStatus = 0
  let errorHeaders: Record<string, string> = {}
  /** The upstream's headers, when the error body is not JSON and is told in the caller's shape instead. */
  let wrapError: Record<string, string> | undefined
  let framer: ReturnType<typeof makeEventFramer> | undefined
  let first: Uint8Array | undefined
  let last: Uint8Array | undefined

  dispatcher.dispatch({
    origin: target.origin,
    path: target.path,
    method: "POST",
    headers: upstreamHeaders(target, route, format, request),
    body,
    // Timing is the timer's job (one clock for connect, headers and idle body, as Forward.ts).
    headersTimeout: 0,
    bodyTimeout: 0
  }, {
    onRequestStart: (c) => {
      controller = c
      if (stop !== undefined) c.abort(stop)
    },
    onResponseStart: (c, statusCode, headers) => {
      timer.refresh()
      const passed = passedHeaders(singleValued(headers))
      const handling = answerHandling(statusCode, passed)
      if (handling === "refuse") {
        // A success that is not JSON: never passed on as one (see Forward.ts); not read either.
        clearTimeout(timer)
        writeGatewayResponse(response, refusedAnswer(format, route, statusCode, passed["content-type"] ?? ""))
        return c.abort(new Error("the upstream's answer is not JSON"))
      }
      // Error bodies may quote the credentials: read whole and scrubbed (see Forward.ts).
      if (handling === "scrub" || handling === "wrap") {
        errorBody = []
        errorStatus = statusCode
        errorHeaders = passed
        wrapError = handling === "wrap" ? singleValued(headers) : undefined
        return
      }
      const isSse = handling === "stream"
      // A plain body goes through byte for byte, so its length holds: without it node would frame
      // the answer in chunks, which costs a write (a syscall) more per request.
      const length = headers["content-length"]
      if (!isSse && typeof length === "string") passed["content-length"] = length
      if (isSse) framer = makeEventFramer()
      if (response.destroyed || response.writableEnded) return c.abort(new Error("the caller is gone or already answered"))
      response.writeHead(statusCode, passed)
    },
    onResponseData: (c, chunk) => {
      timer.refresh()
      if (errorBody !== undefined) return void errorBody.push(chunk)
      let out: Uint8Array | undefined = chunk
      if (framer !== undefined) {
        out = framer.push(chunk)
        if (out === undefined) return
        first ??= out
        last = out
      }
      if (!response.write(out)) {
        paused = true
        c.pause()
        response.once("drain", resume)
      }
    },
    onResponseEnd: () => {
      clearTimeout(timer)
      if (response.destroyed || response.writableEnded) return
      if (errorBody !== undefined && wrapError !== undefined) {
        return writeGatewayResponse(response, wrappedError(format, route, errorStatus, wrapError, Buffer.concat(errorBody).toString("utf8")))
      }
      if (errorBody !== undefined) {
        const scrubbed = scrub(Buffer.concat(errorBody).toString("utf8"), route.endpoint.auth.secrets)
        response.writeHead(errorStatus, { ...errorHeaders, "content-length": String(Buffer.byteLength(scrubbed)) })
        return void response.end(scrubbed)
      }
      // A normal end passes on whatever the upstream wrote last, even without a final blank line.
      response.end(framer?.rest())
    },
    onResponseError: (_c, cause) => {
      clearTimeout(timer)
      // Gone, or already answered (a timeout while still waiting for a connection).
      if (response.destroyed || response.writableEnded) return
      if (!response.headersSent) return failBeforeAnswer(cause)
      // A plain body cannot say it failed: cutting the connection is the only honest end.
      if (framer === undefined) return void response.destroy()
      const error = failure(cause)
      const seen = { model: route.upstreamModel, first: first && Buffer.from(first).toString("utf8"), last: last && Buffer.from(last).toString("utf8") }
      const events = format.passThroughFailure({ kind: upstreamErrorKind(error), message: scrub(error.message, route.endpoint.auth.secrets) }, seen)
      response.end(events.map(Sse.encode).join(""))
    }
  })
}

/**
 * The fast lane as a front handler for `createServerHoldingEarlyRequests`: serves what it can,
 * passes everything else to `next` (the Effect app).
 */
export const makeFastLane = (options: FastLaneOptions): FrontHandler => (request, response, next) => {
  const url = request.url ?? "/"
  const query = url.indexOf("?")
  const format = request.method === "POST" ? ENDPOINTS.get(query === -1 ? url : url.slice(0, query)) : undefined
  const contentType = request.headers["content-type"]
  if (format === undefined || (contentType !== undefined && contentType !== "" && !contentType.includes("json"))) {
    return next(request, response)
  }

  readBody(request, options.maxBodyBytes, (read) => {
    let json: unknown
    const handOver = () => {
      rememberBody(request, { read, json })
      next(request, response)
    }
    // Refusals (too large, not UTF-8) are the app's to word, in the caller's format.
    if (read._tag !== "Read") return handOver()
    const text = read.text
    // Parsed whole (it must be valid JSON to be forwarded), but never re-serialised.
    try {
      json = JSON.parse(text)
    } catch {
      return handOver()
    }
    const model = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as { model?: unknown }).model : undefined
    if (typeof model !== "string" || model === "") return handOver()
    const resolution = resolveModel(options.routingTable(), model)
    if (resolution._tag !== "Found") return handOver()
    const route = passThroughRoute(resolution.route, format)
    if (route === undefined) {
      // Another format: translated here when the provider is reached over HTTP; engines without
      // an HTTP endpoint (local models) answer through the app's `Upstream.generate`.
      const endpoint = resolution.route.upstream.http
      if (endpoint === undefined) return handOver()
      const target = { ...endpoint, upstreamModel: resolution.route.upstreamModel }
      return translateFast(options.dispatcher, format, target, json, response, handOver)
    }
    forward(options.dispatcher, route, format, rewriteModel(text, route.upstreamModel), request, response)
  })
}
