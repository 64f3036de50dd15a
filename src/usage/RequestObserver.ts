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
import { randomBytes } from "node:crypto"
import { IncomingMessage, ServerResponse } from "node:http"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { Usage } from "../formats/Canonical.ts"
import type { Mode } from "./RequestRecord.ts"
import type { Admission } from "../gateway-keys/Budgets.ts"
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
  /** The gateway key's budget admission, settled with the real cost once the answer is over. */
  admission: Admission | undefined
  /**
   * Answered by a request of the gateway to itself (`Loopback.ts`: stored responses), which is
   * recorded as the request it is: this one is not, or its tokens and cost would count twice.
   */
  relayed?: boolean
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

/**
 * node's `IncomingMessage` with room for its observation (the server makes every request one of
 * these: `createServer({ IncomingMessage })`, see `EarlyRequests.ts`): a field read, where a
 * `WeakMap` from request to observation cost a hash-table insert per request (measured).
 */
export class ObservedMessage extends IncomingMessage {
  observation: Observation | undefined = undefined
}

/**
 * A request id: a UUIDv7 (RFC 9562: 48 bits of Unix milliseconds, then the version, 74 more bits),
 * so ids sort by time and the ledger's primary key grows at its end rather than at random places
 * (measured: a third less time per row in SQLite, flat as the table grows, where v4 ids got slower).
 *
 * The 74 bits are RFC 9562's "fixed-length dedicated counter" (its method 1) and a random node
 * part: a 24-bit counter (ids of one process stay ordered and distinct within a millisecond), then
 * 48 random bits drawn once per process (distinct across gateways sharing a database). A
 * `randomUUID` per request cost a few µs of every request (measured), for randomness nobody needs.
 */
const NODE_PART = randomBytes(6).toString("hex")
let counter = 0
let lastMs = -1
let msPart = ""
export const requestId = (now: number = Date.now()): string => {
  counter = (counter + 1) & 0xff_ffff
  // Several requests a millisecond when busy: the time part is formatted once for them.
  if (now !== lastMs) {
    lastMs = now
    const ms = now.toString(16).padStart(12, "0")
    msPart = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`
  }
  // Six hex digits of counter after a leading 1 (no padding to do): three in the version's group,
  // three after the variant's 8.
  const hex = (0x100_0000 + counter).toString(16)
  return `${msPart}${hex.slice(1, 4)}-8${hex.slice(4)}-${NODE_PART}`
}

/** The request's observation, for a lane to note what it knows; undefined when none is kept (not an API request, or no recorder). */
export const observationOf = (request: IncomingMessage): Observation | undefined =>
  request instanceof ObservedMessage ? request.observation : undefined

/**
 * Puts the request id into `headers`, an object of the caller's own that becomes the answer's
 * head: cheaper than the tap's copy of a head's headers (`tapped.writeHead`), which it then skips.
 */
export const withRequestId = (request: IncomingMessage, headers: Record<string, unknown>): void => {
  const observation = observationOf(request)
  if (observation !== undefined) headers[REQUEST_ID_HEADER] = observation.id
}

const size = (chunk: Chunk): number => typeof chunk === "string" ? chunk.length : chunk.byteLength

const headerText = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : Array.isArray(value) ? value.join(", ") : String(value)

/**
 * node's `ServerResponse`, tapped (the server makes every response one of these:
 * `createServer({ ServerResponse })`, see `EarlyRequests.ts`). Its `write`, `end` and `writeHead`
 * are the ones every body byte and every head of either lane goes through; they keep what an
 * observed response asks for (`observe` sets `observation`; the rest pass straight on), and its
 * `emit` of `close` ends the observation.
 *
 * A subclass with the tap's fields its own, rather than methods set on each response or a tap
 * object beside it: patching instances gave every response a hidden class of its own, which slows
 * node's own http code on every property it reads, and each object more per request is garbage
 * to collect (both measured).
 */
export class TappedResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  observation: Observation | undefined = undefined
  done: ((observed: ObservedRequest) => void) | undefined = undefined
  /** The first chunk, as it is (most answers have one). */
  keptFirst: Chunk | undefined = undefined
  /** From the second chunk on, the head copied into one buffer (see `keepHead`). */
  keptCopy: Buffer | undefined = undefined
  keptCopyUsed = 0
  keptHeadBytes = 0
  keptTail: Array<Chunk> | undefined = undefined
  keptTailBytes = 0
  firstByte: number | undefined = undefined
  /** From the head as written: the routing headers and the content type. */
  headHeaders: Readonly<Record<string, unknown>> | undefined = undefined
}

const keep = (response: TappedResponse, chunk: unknown): void => {
  if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) return
  const bytes = size(chunk)
  if (bytes === 0) return
  response.firstByte ??= performance.now()
  if (response.keptHeadBytes < KEEP) {
    keepHead(response, chunk)
    response.keptHeadBytes += bytes
    return
  }
  const tail = response.keptTail ??= []
  tail.push(chunk)
  response.keptTailBytes += bytes
  // Drop the oldest chunks while the rest still hold `KEEP` bytes.
  while (tail.length > 1 && response.keptTailBytes - size(tail[0]!) >= KEEP) response.keptTailBytes -= size(tail.shift()!)
}

/**
 * The head of an answer: its first chunk as it is; from a second one on (a stream), every chunk
 * copied into one buffer. Kept as chunks, a stream's hundred small buffers each cost an allocation
 * of their own and the objects around it: measured, ~170 KiB more per open stream than without the
 * ledger; copied, about the bytes themselves.
 */
const keepHead = (response: TappedResponse, chunk: Chunk): void => {
  const first = response.keptFirst
  if (first === undefined) {
    response.keptFirst = chunk
    return
  }
  const more = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength
  let copy = response.keptCopy
  if (copy === undefined) {
    const firstBytes = typeof first === "string" ? Buffer.byteLength(first) : first.byteLength
    copy = Buffer.allocUnsafeSlow(Math.max(4096, (firstBytes + more) * 2))
    response.keptCopyUsed = typeof first === "string" ? copy.write(first, 0) : (copy.set(first, 0), first.byteLength)
    response.keptCopy = copy
  }
  if (response.keptCopyUsed + more > copy.length) {
    const grown = Buffer.allocUnsafeSlow(Math.max(copy.length * 2, response.keptCopyUsed + more))
    copy.copy(grown, 0, 0, response.keptCopyUsed)
    copy = grown
    response.keptCopy = grown
  }
  if (typeof chunk === "string") response.keptCopyUsed += copy.write(chunk, response.keptCopyUsed)
  else {
    copy.set(chunk, response.keptCopyUsed)
    response.keptCopyUsed += chunk.byteLength
  }
}

type Write<This> = (this: This, chunk: unknown, encoding?: unknown, callback?: unknown) => boolean
type End<This> = (this: This, chunk?: unknown, encoding?: unknown, callback?: unknown) => ServerResponse
type WriteHead<This> = (this: This, status: number, reason?: unknown, headers?: unknown) => ServerResponse
type Emit<This> = (this: This, event: string | symbol, ...args: Array<unknown>) => boolean
interface Methods<This> {
  write: Write<This>
  end: End<This>
  writeHead: WriteHead<This>
  emit: Emit<This>
}
const base = ServerResponse.prototype as unknown as Methods<ServerResponse>
const tapped = TappedResponse.prototype as unknown as Methods<TappedResponse>

tapped.write = function(this: TappedResponse, chunk, encoding, callback) {
  if (this.observation !== undefined) keep(this, chunk)
  return base.write.call(this, chunk, encoding, callback)
}

tapped.end = function(this: TappedResponse, chunk, encoding, callback) {
  if (this.observation !== undefined && typeof chunk !== "function") keep(this, chunk)
  return base.end.call(this, chunk, encoding, callback)
}

/**
 * The request id goes into the head's own headers (a copy: the object may be shared; unless a lane
 * put it there already, `withRequestId`) rather than through `setHeader` first, which would send
 * node's `writeHead` down its slow path (a `setHeader` per header) on every request; the routing
 * headers are read from the same object.
 */
tapped.writeHead = function(this: TappedResponse, status, reason, headers) {
  const observation = this.observation
  // A relayed answer carries the id of the loopback request it relays: that one has the ledger's row.
  if (observation === undefined || observation.relayed === true) return base.writeHead.call(this, status, reason, headers)
  const id = observation.id
  if (typeof reason === "object" && reason !== null && !Array.isArray(reason)) {
    const given = reason as Record<string, unknown>
    this.headHeaders = given
    return base.writeHead.call(this, status, given[REQUEST_ID_HEADER] === id ? given : { ...given, [REQUEST_ID_HEADER]: id })
  }
  if (typeof headers === "object" && headers !== null && !Array.isArray(headers)) {
    const given = headers as Record<string, unknown>
    this.headHeaders = given
    return base.writeHead.call(this, status, reason, given[REQUEST_ID_HEADER] === id ? given : { ...given, [REQUEST_ID_HEADER]: id })
  }
  // No headers object (or raw header pairs): the id the slow way, the routing headers at the end.
  if (!this.headersSent) this.setHeader(REQUEST_ID_HEADER, id)
  return base.writeHead.call(this, status, reason, headers)
}

/**
 * `close` (the answer ended, was cut, or the caller went away: node emits it once, last) ends the
 * observation. Seen in `emit` rather than by a listener: a listener per response cost node's
 * listener bookkeeping on every request (measured), for an event every response has.
 */
tapped.emit = function(this: TappedResponse, event) {
  if (event === "close" && this.observation !== undefined) {
    // Recording must never break node's own `close` handling.
    try {
      closed(this)
    } catch {
      // Not recorded; the answer is unaffected.
    }
  }
  return base.emit.apply(this, arguments as unknown as Parameters<Emit<ServerResponse>>)
}

const closed = (response: TappedResponse): void => {
  const observation = response.observation
  const done = response.done
  if (observation === undefined || done === undefined) return
  // Once: a response closes once, but the observation must not outlive it either way.
  response.observation = undefined
  response.done = undefined
  if (observation.relayed === true) return
  const now = performance.now()
  const headers = response.headHeaders
  const header = (name: string): string | undefined => headerText(headers?.[name] ?? response.getHeader(name))
  const attempts = Number(header("x-switchboard-attempts") ?? "0")
  const copy = response.keptCopy
  const first = response.keptFirst
  const head = copy !== undefined ? [copy.subarray(0, response.keptCopyUsed)] : first !== undefined ? [first] : []
  const tail = response.keptTail
  response.keptFirst = undefined
  response.keptCopy = undefined
  response.keptTail = undefined
  done({
    observation,
    status: response.headersSent ? response.statusCode : 499,
    answered: response.headersSent,
    finished: response.writableFinished,
    contentType: header("content-type") ?? "",
    routedModel: header("x-switchboard-model"),
    routedProvider: header("x-switchboard-provider"),
    attempts: Number.isFinite(attempts) ? attempts : 0,
    firstByteMs: response.firstByte === undefined ? undefined : response.firstByte - observation.start,
    durationMs: now - observation.start,
    head,
    tail
  })
}

/**
 * Starts observing `request` to an API endpoint of format `inbound`; `done` gets the observation
 * once the answer is over (ended, cut, or the caller gone), exactly once. Undefined when the
 * request and response are not an `ObservedMessage` and a `TappedResponse` (a server made without
 * them records nothing).
 */
export const observe = (
  request: IncomingMessage,
  response: ServerResponse,
  inbound: ApiFormat,
  path: string,
  done: (observed: ObservedRequest) => void
): Observation | undefined => {
  if (!(response instanceof TappedResponse) || !(request instanceof ObservedMessage)) return undefined
  const userAgent = request.headers["user-agent"]
  const now = Date.now()
  const observation: Observation = {
    id: requestId(now),
    startedAt: now,
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
  request.observation = observation
  response.observation = observation
  response.done = done
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
  front: FrontHandler | undefined,
  /** The gateway key a request presents, by id, when it is a known one (`Budgets.identify`). */
  identify: (headers: Readonly<Record<string, string | undefined>>) => string | undefined = () => undefined
): FrontHandler =>
(request, response, next) => {
  if (request.method === "POST") {
    const url = request.url ?? "/"
    const query = url.indexOf("?")
    const path = query === -1 ? url : url.slice(0, query)
    const inbound = inboundOf(path)
    const observation = inbound === undefined ? undefined : observe(request, response, inbound, path, done)
    if (observation !== undefined) observation.keyId = identify(request.headers as Readonly<Record<string, string | undefined>>)
  }
  return front === undefined ? next(request, response) : front(request, response, next)
}
