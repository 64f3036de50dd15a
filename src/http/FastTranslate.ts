/**
 * The translation driver of the fast lane: runs a `TranslateExchange` (the pure translation
 * core) over `UndiciExchange`, from node's request/response, as `FastLane.ts` forwards a
 * pass-through request (same timer, backpressure and caller-gone handling). No Effect per
 * request: the Effect HttpServer/HttpClient machinery alone costs more CPU than the whole
 * translation (docs/performance.md).
 */
import type { ServerResponse } from "node:http"
import type { Dispatcher } from "undici"
import * as UndiciExchange from "./UndiciExchange.ts"
import { timeoutError, transportError } from "../providers/UpstreamError.ts"
import type { HttpFormat } from "./Formats.ts"
import { type Reply, replyOf, start, type TranslationTarget, writeReply } from "./TranslateExchange.ts"
import type { AttemptSink } from "./Attempt.ts"
import type { Usage } from "../formats/Canonical.ts"

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

/** What `guarded` gives when the exchange threw. */
const broken: unique symbol = Symbol("broken")


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
  handOver: () => void,
  sink: AttemptSink,
  /** The answer's usage, for the ledger (`TranslateExchange.noteUsage`). */
  onUsage?: (usage: Usage) => void
): void => {
  let started: ReturnType<typeof start>
  try {
    started = start(inbound, target, body, onUsage)
  } catch {
    return handOver()
  }
  if (started._tag === "Answer") return sink.reply(started.reply)
  const exchange = started.exchange
  const { origin, path } = originOf(started.request.url)
  const call = { origin, path, headers: started.request.headers, body: started.request.body }

  UndiciExchange.run(dispatcher, call, target.timeoutSeconds, target.health, response, (io) => {
    /** What the exchange says to write last: a whole answer, or the end of a stream. */
    const finish = (out: string | Reply) => {
      if (response.destroyed || response.writableEnded) return
      if (typeof out !== "string") return sink.reply(out)
      response.end(out === "" ? undefined : out)
    }
    /** The exchange is pure and tested, but a bug in it must not take the server down with it: `broken` then. */
    const guarded = <A>(f: () => A): A | typeof broken => {
      try {
        return f()
      } catch {
        io.cut(new Error("translation failed"))
        if (!response.headersSent) {
          writeReply(response, replyOf(inbound.renderError({ status: 500, kind: "server", message: "Switchboard failed to translate the answer" })))
        } else {
          response.destroy()
        }
        return broken
      }
    }
    return {
      start: (status, headers) => {
        const head = guarded(() => exchange.head(status, headers))
        if (head === broken) return false
        // Nothing to write yet: the body is read whole (a complete answer or an error).
        if (head === undefined) return true
        if ("_tag" in head) {
          if (response.destroyed || response.writableEnded) return false
          sink.committed()
          response.writeHead(head.status, { ...head.headers, ...sink.headers })
          return true
        }
        // Answered from the head alone (a stream that is not one): the body is not needed.
        io.stopTimer()
        sink.reply(head)
        return false
      },
      data: (chunk) => {
        const out = guarded(() => exchange.data(chunk))
        if (out === broken) return false
        if (out !== "" && !response.destroyed && !response.writableEnded) io.write(out)
        return true
      },
      end: () => {
        const out = guarded(() => exchange.end())
        if (out !== broken) finish(out)
      },
      fail: (timedOut, cause) => {
        const error = timedOut ? timeoutError(target.name, target.timeoutSeconds) : transportError(target.name, cause)
        const out = guarded(() => exchange.fail(error))
        if (out !== broken) finish(out)
      }
    }
  })
}
