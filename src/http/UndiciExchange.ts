/**
 * The fast lane's one way of running an exchange with an upstream: undici's dispatch handler API
 * from node's request/response, for both fast-lane drivers (pass-through in `FastLane.ts`,
 * translation in `FastTranslate.ts`), which only say what the answer's head, chunks, end and
 * failure mean (their pure cores decide that).
 *
 * Owned here, once: one timer for connect, headers and every gap between chunks (an idle timeout,
 * as on the Effect path; waiting on a slow caller does not count), backpressure as one
 * `pause`/`resume` while the caller's socket drains, a caller that goes away aborting the
 * upstream request, and a failure reported at most once. Written against the dispatch interface
 * rather than `request()`: no response stream object, promise or AbortSignal per request (each
 * showed in the profiles).
 */
import type { HttpServerResponse } from "effect/http"
import type { ServerResponse } from "node:http"
import type { Dispatcher } from "undici"
import type { RequestHealth } from "../providers/Upstream.ts"
import { replyOf, writeReply } from "./TranslateExchange.ts"

/** The upstream request, as undici's dispatch takes it. */
export interface UpstreamCall {
  readonly origin: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What a driver does as the answer arrives; `start` and `data` return false when the upstream need not be read on. */
export interface AnswerSink {
  readonly start: (status: number, headers: Readonly<Record<string, string>>) => boolean
  readonly data: (chunk: Uint8Array) => boolean
  readonly end: () => void
  /** The upstream failed, or was idle past the timeout (`timedOut`); at most once, never after `end`. */
  readonly fail: (timedOut: boolean, cause: unknown) => void
}

/** What a sink may ask of the exchange. */
export interface ExchangeIo {
  /** Writes to the caller, pausing the upstream while the caller's socket drains. */
  readonly write: (bytes: string | Uint8Array) => void
  /** The answer is complete without more of the upstream (a whole answer of Switchboard's own). */
  readonly stopTimer: () => void
  /** Stops the upstream request. */
  readonly cut: (reason: Error) => void
}

/** Header values as single strings (node and undici give repeated headers as arrays). */
const singleValued = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) out[name] = typeof value === "string" ? value : value.join(", ")
  }
  return out
}

/** A whole response of Switchboard's own (a rendered error, a scrubbed error body: a `Uint8Array` body), written to node. */
export const writeGatewayResponse = (response: ServerResponse, rendered: HttpServerResponse.HttpServerResponse): void =>
  writeReply(response, replyOf(rendered))

/**
 * The exchange with `call`, its answer given to the sink `sinkFor` makes; `health` hears whether
 * the upstream answered (its head came) or could not be reached (failed or timed out before).
 */
export const run = (
  dispatcher: Dispatcher,
  call: UpstreamCall,
  timeoutSeconds: number,
  health: RequestHealth,
  response: ServerResponse,
  sinkFor: (io: ExchangeIo) => AnswerSink
): void => {
  let controller: Dispatcher.DispatchController | undefined
  /** Why the exchange is being cut short, once it is (timeout, caller gone, answered early). */
  let stop: Error | undefined
  /** The caller is not keeping up: the upstream is paused until its socket drains. */
  let paused = false
  let over = false
  /** Whether the upstream answered (its head came): only a failure before that says it cannot be reached. */
  let answered = false
  const cut = (reason: Error) => {
    stop ??= reason
    controller?.abort(reason)
  }
  const resume = () => {
    paused = false
    timer.refresh()
    controller?.resume()
  }
  const sink = sinkFor({
    write: (bytes) => {
      if (!response.write(bytes)) {
        paused = true
        controller?.pause()
        response.once("drain", resume)
      }
    },
    stopTimer: () => clearTimeout(timer),
    cut
  })
  const fail = (timedOut: boolean, cause: unknown) => {
    if (over) return
    over = true
    if (!answered) health.unreachable()
    sink.fail(timedOut, cause)
  }
  const timer = setTimeout(() => {
    // Waiting on a slow caller is not the upstream being idle (the Effect path does not pull then either).
    if (paused) return void timer.refresh()
    // Still waiting for a connection, or mid-answer: the caller is told now, not when undici gives up.
    fail(true, undefined)
    cut(new Error("idle timeout"))
  }, timeoutSeconds * 1000)
  // The caller went away: nobody reads the answer, so the upstream need not write it.
  response.once("close", () => {
    clearTimeout(timer)
    if (!response.writableFinished) cut(new Error("the caller closed the connection"))
  })

  dispatcher.dispatch({
    origin: call.origin,
    path: call.path,
    method: "POST",
    headers: call.headers,
    body: call.body,
    // Timing is the timer's job (one clock for connect, headers and idle body, as on the Effect path).
    headersTimeout: 0,
    bodyTimeout: 0
  }, {
    onRequestStart: (c) => {
      controller = c
      if (stop !== undefined) c.abort(stop)
    },
    onResponseStart: (c, statusCode, headers) => {
      timer.refresh()
      answered = true
      health.reached()
      if (!sink.start(statusCode, singleValued(headers))) {
        // The sink is done with this answer (a chain may be trying the next target): the abort is no failure to tell it.
        over = true
        clearTimeout(timer)
        c.abort(new Error("the answer is not read on"))
      }
    },
    onResponseData: (c, chunk) => {
      timer.refresh()
      if (!sink.data(chunk)) {
        over = true
        clearTimeout(timer)
        c.abort(new Error("the answer is not read on"))
      }
    },
    onResponseEnd: () => {
      clearTimeout(timer)
      if (over || response.destroyed) return
      over = true
      sink.end()
    },
    onResponseError: (_c, cause) => {
      clearTimeout(timer)
      // Gone: nothing to tell anyone.
      if (response.destroyed) return
      fail(false, cause)
    }
  })
}
