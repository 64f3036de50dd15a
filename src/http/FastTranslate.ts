/**
 * The translation driver of the fast lane: runs a `TranslateExchange` (the pure translation
 * core) over undici's dispatch API, from node's request/response, exactly as `FastLane.ts`
 * forwards a pass-through request: one idle timer for connect, headers and every gap between
 * chunks; backpressure as `pause`/`resume` while the caller's socket drains; a caller that goes
 * away aborts the upstream request. No Effect per request: the Effect HttpServer/HttpClient
 * machinery alone costs more CPU than the whole translation (docs/performance.md).
 */
import type { ServerResponse } from "node:http"
import type { Dispatcher } from "undici"
import { timeoutError, transportError } from "../providers/UpstreamError.ts"
import type { HttpFormat } from "./Formats.ts"
import { type Reply, replyOf, start, type TranslationTarget } from "./TranslateExchange.ts"

/** Header values as single strings (undici gives repeated headers as arrays). */
const singleValued = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) out[name] = typeof value === "string" ? value : value.join(", ")
  }
  return out
}

/** An upstream URL as undici's dispatch wants it, parsed once per URL (a handful: one per provider and format). */
const origins = new Map<string, { readonly origin: string; readonly path: string }>()
const MAX_CACHED_URLS = 256
const originOf = (url: string) => {
  let parsed = origins.get(url)
  if (parsed === undefined) {
    const u = new URL(url)
    parsed = { origin: u.origin, path: u.pathname + u.search }
    if (origins.size >= MAX_CACHED_URLS) origins.clear()
    origins.set(url, parsed)
  }
  return parsed
}

const writeReply = (response: ServerResponse, reply: Reply): void => {
  if (response.headersSent || response.destroyed || response.writableEnded) return
  response.writeHead(reply.status, reply.headers)
  response.end(reply.body)
}

/**
 * Serves one request whose model a provider of another format serves: `body` is the caller's
 * parsed JSON object. `handOver` gives the request to the Effect app instead; it is used only if
 * translating the request itself throws (which no input should make it do), so that the Effect
 * path's answer, whatever it is, is the answer.
 */
export const translateFast = (
  dispatcher: Dispatcher,
  inbound: HttpFormat,
  target: TranslationTarget,
  body: unknown,
  response: ServerResponse,
  handOver: () => void
): void => {
  let started: ReturnType<typeof start>
  try {
    started = start(inbound, target, body)
  } catch {
    return handOver()
  }
  if (started._tag === "Answer") return writeReply(response, started.reply)
  const exchange = started.exchange
  const { origin, path } = originOf(started.request.url)

  let controller: Dispatcher.DispatchController | undefined
  /** Why the exchange is being cut short, once it is (timeout, caller gone, answered early). */
  let stop: Error | undefined
  let timedOut = false
  const cut = (reason: Error) => {
    stop ??= reason
    controller?.abort(reason)
  }

  /** What the exchange says to write last: a whole answer, or the end of a stream. */
  const finish = (out: string | Reply) => {
    if (response.destroyed || response.writableEnded) return
    if (typeof out !== "string") return writeReply(response, out)
    response.end(out === "" ? undefined : out)
  }
  /** The exchange is pure and tested, but a bug in it must not take the server down with it. */
  const guarded = <A>(f: () => A): A | undefined => {
    try {
      return f()
    } catch {
      cut(new Error("translation failed"))
      if (!response.headersSent) {
        writeReply(response, replyOf(inbound.renderError({ status: 500, kind: "server", message: "Switchboard failed to translate the answer" })))
      } else {
        response.destroy()
      }
      return undefined
    }
  }
  const fail = (cause: unknown) => {
    const error = timedOut ? timeoutError(target.host, target.timeoutSeconds) : transportError(target.host, cause)
    const out = guarded(() => exchange.fail(error))
    if (out !== undefined) finish(out)
  }

  /** The caller is not keeping up: the upstream is paused until its socket drains. */
  let paused = false
  // One timer for the whole exchange, pushed back on every chunk: an idle timeout, as on the Effect path.
  const timer = setTimeout(() => {
    // Waiting on a slow caller is not the upstream being idle.
    if (paused) return void timer.refresh()
    timedOut = true
    // Still waiting for a connection: the caller is answered now, not when undici gives up.
    if (controller === undefined) fail(undefined)
    cut(new Error("idle timeout"))
  }, target.timeoutSeconds * 1000)
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

  dispatcher.dispatch({
    origin,
    path,
    method: "POST",
    headers: started.request.headers,
    body: started.request.body,
    // Timing is the timer's job (one clock for connect, headers and idle body).
    headersTimeout: 0,
    bodyTimeout: 0
  }, {
    onRequestStart: (c) => {
      controller = c
      if (stop !== undefined) c.abort(stop)
    },
    onResponseStart: (c, statusCode, headers) => {
      timer.refresh()
      const head = guarded(() => exchange.head(statusCode, singleValued(headers)))
      if (head === undefined) return
      if ("_tag" in head) {
        if (response.destroyed || response.writableEnded) return c.abort(new Error("the caller is gone or already answered"))
        return void response.writeHead(head.status, head.headers)
      }
      // Answered from the head alone (a stream that is not one): the body is not needed.
      clearTimeout(timer)
      writeReply(response, head)
      c.abort(new Error("answered without the upstream's body"))
    },
    onResponseData: (c, chunk) => {
      timer.refresh()
      const out = guarded(() => exchange.data(chunk))
      if (out === undefined || out === "" || response.destroyed || response.writableEnded) return
      if (!response.write(out)) {
        paused = true
        c.pause()
        response.once("drain", resume)
      }
    },
    onResponseEnd: () => {
      clearTimeout(timer)
      const out = guarded(() => exchange.end())
      if (out !== undefined) finish(out)
    },
    onResponseError: (_c, cause) => {
      clearTimeout(timer)
      // Gone, or already answered (a timeout while still waiting for a connection, an early answer).
      if (response.destroyed || response.writableEnded) return
      fail(cause)
    }
  })
}
