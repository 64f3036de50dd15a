/**
 * A request body the fast lane (`FastLane.ts`) already read before handing the request on.
 *
 * The fast lane has to read a body to learn its `model`; when the request turns out not to be its
 * to serve (a translation, an unknown model, a malformed body), the Effect app answers it, and
 * the node request stream is spent by then. The body travels with the request object itself
 * (`HttpServerRequest.source`), under a symbol private to this module, so it lives exactly as
 * long as the request. (A `WeakMap` keyed by request did the same but costs the garbage collector
 * an ephemeron per request, measurable under load.)
 */
import type { BodyRead } from "./BodyReader.ts"
import type { ChainResume } from "./FastChain.ts"

/** A body read ahead (or refused: too large, not UTF-8), and its parsed JSON when it parsed (so it is not parsed twice). */
export interface PreRead {
  readonly read: BodyRead
  readonly json?: unknown
  /** A virtual model's chain the fast lane started and hands on at a target it cannot serve (a local engine). */
  readonly resume?: ChainResume | undefined
}

const PRE_READ = Symbol("switchboard/PreReadBody")

interface Carrier {
  [PRE_READ]?: PreRead
}

/** Records the body of `source` (a node `IncomingMessage`) that was consumed before the app saw it. */
export const rememberBody = (source: object, body: PreRead): void => {
  ;(source as Carrier)[PRE_READ] = body
}

/** The body the fast lane read for `source`, if it read it. */
export const preReadBody = (source: object): PreRead | undefined => (source as Carrier)[PRE_READ]
