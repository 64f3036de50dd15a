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
 * The behaviour is the one of `Forward.ts`: both drive the same pure core
 * (`PassThroughExchange.ts`), which builds the request and decides every step of the answer; this
 * driver only carries its actions out, keeps the idle timer, follows the caller's backpressure,
 * and aborts the upstream request when the caller goes away.
 *
 * Where gateway keys are required (a non-loopback listener) the fast lane checks them first, with
 * the synchronous check over the cached hashes (`GatewayKeyGuard.quickCheck`): no key is a 401 in
 * the caller's format right here; a key not known to be current goes to the app, whose guard may
 * re-read the keys (one created a moment ago) before refusing.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import { Agent, type Dispatcher } from "undici"
import type { HttpEndpoint } from "../providers/Upstream.ts"
import { resolveModel, type RoutingTable } from "../router/RoutingTable.ts"
import { keyRefusal, quickCheck } from "../gateway-keys/GatewayKeyGuard.ts"
import type { FrontHandler } from "./EarlyRequests.ts"
import { anthropicMessages, type HttpFormat, openAiChat, openResponses } from "./Formats.ts"
import * as Exchange from "./PassThroughExchange.ts"
import { readBody } from "./BodyReader.ts"
import { rememberBody } from "./PreReadBody.ts"
import { translateFast } from "./FastTranslate.ts"
import * as UndiciExchange from "./UndiciExchange.ts"
import { writeGatewayResponse } from "./UndiciExchange.ts"
import { type AttemptSink, directSink } from "./Attempt.ts"
import { replyOf } from "./TranslateExchange.ts"
import { type FastAttempt, runFastChain } from "./FastChain.ts"
import type { TargetHealthRegistry } from "../router/TargetHealth.ts"
import { observationOf, withRequestId } from "../usage/RequestObserver.ts"
import type { Usage } from "../formats/Canonical.ts"
import { asksForUsage } from "./UsageChunk.ts"
import { asksForState } from "../formats/open-responses/Continuation.ts"

/** The API endpoints and the format each speaks (the same paths the Effect routes serve). */
export const ENDPOINTS: ReadonlyMap<string, HttpFormat> = new Map([
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
  /**
   * When requests need a gateway key (a non-loopback listener): whether a presented key is
   * current by the cached hashes (`GatewayKeys.isKnownCurrent`). Undefined: no key needed.
   */
  readonly isKnownKey?: ((presented: string) => boolean) | undefined
  /**
   * Whether a request's gateway key has rate limits or budgets (`Admission.limitedKey`): those
   * requests are handed to the app, which admits them. Undefined: no key has any.
   */
  readonly limitedKey?: ((request: IncomingMessage) => boolean) | undefined
  /** The virtual models' circuit breakers (shared with the Effect path). */
  readonly health: TargetHealthRegistry
  /** Where a virtual model's chain says why it passed a target over or an attempt failed. */
  readonly log: (message: string) => void
}

/** The dispatcher the fast lane uses unless given one: one keep-alive pool per upstream origin. */
export const makeDispatcher = (): Agent => new Agent({ keepAliveTimeout: 30_000 })

/** Where a route's requests of one format go, and the headers every one of them carries. */
interface Target {
  readonly origin: string
  readonly path: string
  /** The full upstream headers for a given caller `accept` with no pass-through headers (the usual case), built once. */
  readonly headersByAccept: Map<string, Readonly<Record<string, string>>>
}

/** Parsed once per endpoint (endpoints live until their provider reconnects, then these go with them). */
const targets = new WeakMap<HttpEndpoint, Map<HttpFormat, Target>>()
const targetOf = (endpoint: HttpEndpoint, format: HttpFormat): Target => {
  let byFormat = targets.get(endpoint)
  if (byFormat === undefined) targets.set(endpoint, byFormat = new Map())
  let target = byFormat.get(format)
  if (target === undefined) {
    const url = new URL(Exchange.upstreamUrl(endpoint, format))
    target = { origin: url.origin, path: url.pathname + url.search, headersByAccept: new Map() }
    byFormat.set(format, target)
  }
  return target
}

/** Callers send one of very few `accept` values; a hostile variety must not grow the cache. */
const MAX_CACHED_ACCEPTS = 8

/** `Exchange.upstreamHeaders`, cached per endpoint and `accept` when the caller sends no pass-through headers. */
const upstreamHeaders = (target: Target, endpoint: HttpEndpoint, format: HttpFormat, request: IncomingMessage): Readonly<Record<string, string>> => {
  // Node joins repeated headers into one string except `set-cookie`, which no format passes through.
  const callerHeaders = request.headers as Readonly<Record<string, string | undefined>>
  const accept = callerHeaders["accept"] ?? "application/json"
  const cacheable = Object.keys(format.passThroughHeaders(callerHeaders)).length === 0
  const cached = cacheable ? target.headersByAccept.get(accept) : undefined
  if (cached !== undefined) return cached
  const headers = Exchange.upstreamHeaders(endpoint, format, callerHeaders)
  if (cacheable && target.headersByAccept.size < MAX_CACHED_ACCEPTS) target.headersByAccept.set(accept, headers)
  return headers
}

/**
 * Forwards one pass-through request whose body is `body` (model already rewritten) and streams
 * the answer back: a driver of `PassThroughExchange.ts` over `UndiciExchange`, as
 * `Forward.forward` is on the Effect path.
 */
export const forward = (
  dispatcher: Dispatcher,
  route: Exchange.PassThroughRoute,
  format: HttpFormat,
  body: string,
  request: IncomingMessage,
  response: ServerResponse,
  sink: AttemptSink,
  /** Switchboard asked for a usage chunk the caller did not (`UsageChunk.ts`): withheld, and told to the ledger. */
  withholdUsage = false
): void => {
  const exchange: Exchange.Exchange = { route, format, withholdUsage }
  const target = targetOf(route.endpoint, format)
  const call = { origin: target.origin, path: target.path, headers: upstreamHeaders(target, route.endpoint, format, request), body }
  UndiciExchange.run(dispatcher, call, route.endpoint.timeoutSeconds, route.endpoint.health, response, (io) => {
    let state = Exchange.initial
    /** Does what the core says; false once the exchange is over for the upstream (stop reading it). */
    const act = ([next, action]: Exchange.Step): boolean => {
      state = next
      switch (action._tag) {
        case "Nothing":
          return true
        case "Head":
          if (response.destroyed || response.writableEnded) return false
          // A plain body goes through byte for byte, so its length holds: without it node would frame
          // the answer in chunks, which costs a write (a syscall) more per request.
          if (action.length !== undefined) action.headers["content-length"] = action.length
          sink.committed()
          // The ledger's request id, put in the lane's own (fresh) headers object here: the tap would copy the object to add it.
          withRequestId(request, action.headers)
          response.writeHead(action.status, Object.assign(action.headers, sink.headers))
          return true
        case "Write":
          if (action.withheld !== undefined) {
            const observation = observationOf(request)
            if (observation !== undefined) observation.unsent = action.withheld
          }
          if (action.bytes.byteLength > 0) io.write(action.bytes)
          return true
        case "End":
          if (!response.destroyed && !response.writableEnded) response.end(action.bytes)
          return false
        case "Answer":
          io.stopTimer()
          sink.reply(replyOf(action.response))
          return false
        case "Cut":
          response.destroy()
          return false
      }
    }
    return {
      start: (status, headers) => act(Exchange.start(exchange, state, status, headers)),
      data: (chunk) => act(Exchange.data(state, chunk)),
      end: () => void act(Exchange.end(exchange, state)),
      fail: (timedOut, cause) => void act(Exchange.fail(exchange, state, Exchange.exchangeError(route, { timedOut, cause })))
    }
  })
}

/**
 * The fast lane as a front handler for `createServerHoldingEarlyRequests`: serves what it can,
 * passes everything else to `next` (the Effect app).
 */
export const makeFastLane = (options: FastLaneOptions): FrontHandler => {
  const attempt = attemptWith(options.dispatcher)
  return (request, response, next) => serve(options, attempt, request, response, next)
}

const serve = (options: FastLaneOptions, attempt: FastAttempt, request: IncomingMessage, response: ServerResponse, next: RequestListener): void => {
  const url = request.url ?? "/"
  const query = url.indexOf("?")
  const path = query === -1 ? url : url.slice(0, query)
  const format = request.method === "POST" ? ENDPOINTS.get(path) : undefined
  const contentType = request.headers["content-type"]
  if (format === undefined || (contentType !== undefined && contentType !== "" && !contentType.includes("json"))) {
    return next(request, response)
  }
  if (options.isKnownKey !== undefined) {
    const problem = quickCheck(options.isKnownKey, "POST", path, request.headers as Readonly<Record<string, string | undefined>>)
    if (problem === "gateway_key_required") return writeGatewayResponse(response, keyRefusal(path, problem))
    // A key not known to be current: the app's guard decides (it re-reads the keys before refusing).
    if (problem === "unsure") return next(request, response)
  }
  // Budgets are admitted on the Effect path only (one implementation of the check and its 429).
  if (options.limitedKey?.(request) === true) return next(request, response)

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
    // Stored responses are the app's (`StatefulResponses.ts`); a property read on the Responses path only.
    if (format === openResponses && asksForState(json as Record<string, unknown>)) return handOver()
    const table = options.routingTable()
    const resolution = resolveModel(table, model)
    const observation = observationOf(request)
    if (observation !== undefined) {
      observation.requestedModel = model
      observation.stream = (json as { stream?: unknown }).stream === true
      if (resolution._tag === "Virtual") observation.virtualModel = resolution.model.name
    }
    if (resolution._tag === "Virtual") {
      const chain = { table, health: options.health, log: options.log, attempt }
      return runFastChain(chain, resolution.model, format, json as Record<string, unknown>, read, request, response, next)
    }
    if (resolution._tag !== "Found") return handOver()
    // Engines without an HTTP endpoint (local models) answer through the app's `Upstream.generate`.
    if (resolution.route.upstream.http === undefined) return handOver()
    attempt(resolution.route, format, json, text, request, response, directSink(resolution.route, response), handOver)
  })
}

/**
 * One attempt on a route reached over HTTP, its answer given to `sink`: passed through when it
 * speaks the caller's format, else translated here (`FastTranslate.ts`). `body` is the parsed JSON
 * object `text` holds.
 */
const attemptWith = (dispatcher: Dispatcher): FastAttempt => (route, format, body, text, request, response, sink, handOver) => {
  const passThrough = Exchange.passThroughRoute(route, format)
  const observation = observationOf(request)
  if (observation !== undefined) observation.mode = passThrough !== undefined ? "pass-through" : "translated"
  if (passThrough !== undefined) {
    const askUsage = observation !== undefined && format.api === "openai" && asksForUsage(body)
    return forward(dispatcher, passThrough, format, Exchange.upstreamBody(passThrough, text, askUsage), request, response, sink, askUsage)
  }
  const endpoint = route.upstream.http
  // An engine without an HTTP endpoint answers through the app's `Upstream.generate` (callers check first).
  if (endpoint === undefined) return handOver()
  const onUsage = observation === undefined ? undefined : (usage: Usage) => void (observation.usage = usage)
  translateFast(dispatcher, format, { ...endpoint, upstreamModel: route.upstreamModel }, body, response, handOver, sink, onUsage)
}
