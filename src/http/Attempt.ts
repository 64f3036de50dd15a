/**
 * What one attempt on one target does with its answer on the fast lane, given by whoever runs it:
 * a request for a plain model writes everything straight to the caller; a virtual model's chain
 * (`FastChain.ts`) keeps a failed attempt's whole answer back and tries the next target instead.
 * The drivers (`FastLane.forward`, `FastTranslate.translateFast`) call these rather than writing
 * whole answers themselves, so they run the same for both.
 */
import type { ServerResponse } from "node:http"
import type { Route } from "../router/RoutingTable.ts"
import { routedHeaders } from "../router/Chain.ts"
import { type Reply, writeReply } from "./TranslateExchange.ts"

export interface AttemptSink {
  /** Added to the head of the answer (the routing headers). */
  readonly headers: Readonly<Record<string, string>>
  /** The answer's head is being written: from now on the answer is the caller's, whatever follows. */
  readonly committed: () => void
  /** A whole answer, nothing of it written yet: write it, or (a chain) judge it first. */
  readonly reply: (reply: Reply) => void
}

/** A reply with more headers (a new object: replies may be shared). */
export const withHeaders = (reply: Reply, headers: Readonly<Record<string, string>>): Reply => ({
  ...reply,
  headers: { ...reply.headers, ...headers }
})

const nothing = () => {}

/** The sink of a request for a plain model: one attempt, written as it comes. */
export const directSink = (route: Route, response: ServerResponse): AttemptSink => {
  const headers = routedHeaders(route, 1)
  return { headers, committed: nothing, reply: (reply) => writeReply(response, withHeaders(reply, headers)) }
}
