/**
 * What the ledger learns of one API request, seen from the node server, before the fast lane and
 * the Effect app: both lanes (and every way an answer is made there — passed through, translated,
 * a local engine, a chain's fall-over, an error of Switchboard's own) end in the same
 * `ServerResponse`, so one tap there records them all alike, with no per-lane bookkeeping that
 * could drift.
 *
 * Per request it gives an id (`x-switchboard-request-id` on the answer), and keeps the start,
 * the time of the answer's first body byte, the first and last `KEEP` bytes of the body (usage
 * is at the end of a JSON answer and of a stream; Anthropic's cache counts are at a stream's
 * start), and whether the answer ended or the caller went away. Which route answered it reads
 * from the answer's own routing headers (`x-switchboard-model`, `-provider`, `-attempts`). The
 * few facts only a lane knows (the model asked for, a virtual model, pass-through or translated,
 * the gateway key) it notes on the request's `Observation` (`observationOf`).
 *
 * Nothing is parsed here: the kept bytes go, as they are, to `UsageRecorder`, which reads them
 * in batches off the request path.
 */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { Usage } from "../formats/Canonical.ts"
import type { Mode } from "./RequestRecord.ts"
import type { FrontHandler } from "../http/EarlyRequests.ts"

export const REQUEST_ID_HEADER = "x-switchboard-request-id"

/** How much of an answer's body is kept at each end. */
export const KEEP = 64 * 1024

type Chunk = string | Uint8Array

/** One request as it goes: made on arrival, noted by the lanes, closed when the answer is over. */
export interface Observation {
  readonly id: string
  /** Unix milliseconds. */
  readonly startedAt: number
  /** `performance.now()` at arrival: durations are measured on the monotonic clock. */
  readonly start: number
  readonly inbound: ApiFormat
  readonly path: string
  readonly client: string | undefined
  requestedModel: string | undefined
  virtualModel: string | undefined
  mode: Mode | undefined
  stream: boolean
  keyId: string | undefined
  /** Usage a lane knew without writing it to the caller (the answer then has none to read). */
  usage: Usage | undefined
  /** An event of the answer withheld from the caller (a usage chunk it did not ask for), read with the rest. */
  unsent: string | undefined
  /** Whatever the lanes keep for the recorder's follow-ups (a budget's admission). */
  admission: unknown
}

/** What the recorder gets once the answer is over. */
export interface ObservedRequest {
  readonly observation: Observation
  readonly status: number
  /** Whether a head was written at all (not: the caller left before any answer). */
  readonly answered: boolean
  /** Whether the whole answer was written (not: the caller went away, or it was cut). */
  readonly finished: boolean
  readonly contentType: string
  readonly routedModel: string | undefined
  readonly routedProvider: string | undefined
  readonly attempts: number
  /** Milliseconds from arrival. */
  readonly firstByteMs: number | undefined
  readonly durationMs: number
  /** The body's first chunks (up to `KEEP` bytes or a little more), and the last ones when there was more. */
  readonly head: ReadonlyArray<Chunk>
  readonly tail: ReadonlyArray<Chunk> | undefined
}

const observations = new WeakMap<IncomingMessage, Observation>()

/** The request's observation, for a lane to note what it knows; undefined when none is kept (not an API request, or no recorder). */
export const observationOf = (request: IncomingMessage): Observation | undefined => observations.get(request)

const size = (chunk: Chunk): number => typeof chunk === "string" ? chunk.length : chunk.byteLength

const headerText = (value: number | string | ReadonlyArray<string> | undefined): string | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value.join(", ") : String(value)

/**
 * Starts observing `request` to an API endpoint of format `inbound`; `done` gets the observation
 * once the answer is over (ended, cut, or the caller gone), exactly once.
 */
export const observe = (
  request: IncomingMessage,
  response: ServerResponse,
  inbound: ApiFormat,
  path: string,
  done: (observed: ObservedRequest) => void
): Observation => {
  const userAgent = request.headers["user-agent"]
  const observation: Observation = {
    id: randomUUID(),
    startedAt: Date.now(),
    start: performance.now(),
    inbound,
    path,
    client: userAgent === undefined ? undefined : userAgent.slice(0, 200),
    requestedModel: undefined,
    virtualModel: undefined,
    mode: undefined,
    stream: false,
    keyId: undefined,
    usage: undefined,
    unsent: undefined,
    admission: undefined
  }
  observations.set(request, observation)
  response.setHeader(REQUEST_ID_HEADER, observation.id)

  const head: Array<Chunk> = []
  let headBytes = 0
  let tail: Array<Chunk> | undefined
  let tailBytes = 0
  let firstByte: number | undefined
  const keep = (chunk: unknown): void => {
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) return
    const bytes = size(chunk)
    if (bytes === 0) return
    firstByte ??= performance.now()
    if (headBytes < KEEP) {
      head.push(chunk)
      headBytes += bytes
      return
    }
    ;(tail ??= []).push(chunk)
    tailBytes += bytes
    // Drop the oldest chunks while the rest still hold `KEEP` bytes.
    while (tail.length > 1 && tailBytes - size(tail[0]!) >= KEEP) tailBytes -= size(tail.shift()!)
  }

  // The taps: every body byte either lane writes goes through one of these.
  const write = response.write
  const end = response.end
  response.write = function(this: ServerResponse, chunk: unknown, ...rest: Array<unknown>) {
    keep(chunk)
    return (write as (...args: Array<unknown>) => boolean).call(this, chunk, ...rest)
  } as typeof response.write
  response.end = function(this: ServerResponse, chunk?: unknown, ...rest: Array<unknown>) {
    if (typeof chunk !== "function") keep(chunk)
    return (end as (...args: Array<unknown>) => ServerResponse).call(this, chunk, ...rest)
  } as typeof response.end

  response.once("close", () => {
    const now = performance.now()
    const attempts = Number(headerText(response.getHeader("x-switchboard-attempts")) ?? "0")
    done({
      observation,
      status: response.headersSent ? response.statusCode : 499,
      answered: response.headersSent,
      finished: response.writableFinished,
      contentType: headerText(response.getHeader("content-type")) ?? "",
      routedModel: headerText(response.getHeader("x-switchboard-model")),
      routedProvider: headerText(response.getHeader("x-switchboard-provider")),
      attempts: Number.isFinite(attempts) ? attempts : 0,
      firstByteMs: firstByte === undefined ? undefined : firstByte - observation.start,
      durationMs: now - observation.start,
      head,
      tail
    })
  })
  return observation
}

/**
 * A front handler (`EarlyRequests.ts`) that observes every POST to an API endpoint
 * (`inboundOf` gives the endpoint's format, or undefined for other paths), then hands the request
 * to `front` (the fast lane) or straight to `next` (the app).
 */
export const observing = (
  inboundOf: (path: string) => ApiFormat | undefined,
  done: (observed: ObservedRequest) => void,
  front: FrontHandler | undefined
): FrontHandler =>
(request, response, next) => {
  if (request.method === "POST") {
    const url = request.url ?? "/"
    const query = url.indexOf("?")
    const path = query === -1 ? url : url.slice(0, query)
    const inbound = inboundOf(path)
    if (inbound !== undefined) observe(request, response, inbound, path, done)
  }
  return front === undefined ? next(request, response) : front(request, response, next)
}
