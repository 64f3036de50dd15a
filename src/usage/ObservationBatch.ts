/**
 * Finished requests' observations (`RequestObserver.ts`), packed as they finish into one buffer:
 * what the recording thread (`RecordingWorker.ts`) takes in one message, the buffer moved rather
 * than copied.
 *
 * Packed at once, not kept as they are until the batch goes: an observation holds on to its
 * answer's chunks (undici's, node's), and holding them for a batch's lifetime made them survive
 * the young generation — measured, the ledger's largest cost after the database was the garbage
 * collector. Packed, each request leaves a copy of its bytes and nothing to collect.
 *
 * The format is a record per observation, written and read only here: the numbers (`NUMBERS`, as
 * little-endian doubles, NaN for none), a byte of flags, the strings (`STRINGS`, each a uint32
 * length — `NONE` for none, `SAME` for the previous record's — then UTF-8), then the kept answer
 * bytes, head and tail. Its own rather
 * than JSON or the structured clone: both cost a few µs per request on the serving thread
 * (measured), this about one.
 *
 * A gateway key's budget admission cannot cross threads (nor needs to): it stays with the writer,
 * by the observation's index in the batch.
 */
import type { Admission } from "../gateway-keys/Budgets.ts"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { Usage } from "../formats/Canonical.ts"
import type { Observation, ObservedRequest } from "./RequestObserver.ts"
import type { Mode } from "./RequestRecord.ts"

/** A batch as it crosses to the recording thread. */
export interface ObservationBatch {
  readonly count: number
  readonly bytes: Uint8Array
}

/** Room for a batch's bytes to start with; it grows by doubling. */
const INITIAL_BYTES = 256 * 1024
/** A grown buffer larger than this is let go once its batch is taken. */
const MAX_KEPT_BYTES = 4 * 1024 * 1024

/** The numbers of a record, in order (`add`, `unpack`). */
const NUMBERS = 12
/** The strings of a record, in order. */
const STRINGS = 12
/** The length of a string that is not there. */
const NONE = 0xffff_ffff
/** The length of a string that is the previous record's same string (a path, a model: most repeat). */
const SAME = 0xffff_fffe

const STREAM = 1
const ANSWERED = 2
const FINISHED = 4
const USAGE = 8

const numberOr = (value: number | undefined): number => value === undefined ? Number.NaN : value
const orUndefined = (value: number): number | undefined => Number.isNaN(value) ? undefined : value

/** Packs observations as they come; `take` hands over what it has and starts a new batch. */
export class BatchWriter {
  private bytes: Buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES)
  private used = 0
  private admissions: Array<Admission | undefined> = []
  /** The previous record's strings, by position (`SAME`). */
  private previous: Array<string | undefined> = new Array<string | undefined>(STRINGS).fill(undefined)

  get count(): number {
    return this.admissions.length
  }

  add(observed: ObservedRequest): void {
    const o = observed.observation
    const usage = o.usage
    const headBytes = bytesOf(observed.head)
    const tailBytes = observed.tail === undefined ? -1 : bytesOf(observed.tail)
    this.ensure(NUMBERS * 8 + 1)
    this.number(o.startedAt)
    this.number(observed.status)
    this.number(observed.attempts)
    this.number(numberOr(observed.firstByteMs))
    this.number(observed.durationMs)
    this.number(usage === undefined ? Number.NaN : usage.inputTokens)
    this.number(usage === undefined ? Number.NaN : usage.outputTokens)
    this.number(numberOr(usage?.cachedInputTokens))
    this.number(numberOr(usage?.cacheWriteInputTokens))
    this.number(numberOr(usage?.reasoningTokens))
    this.number(headBytes)
    this.number(tailBytes)
    this.bytes[this.used++] = (o.stream ? STREAM : 0) | (observed.answered ? ANSWERED : 0) | (observed.finished ? FINISHED : 0) |
      (usage === undefined ? 0 : USAGE)
    this.string(0, o.id)
    this.string(1, o.inbound)
    this.string(2, o.path)
    this.string(3, o.client)
    this.string(4, o.requestedModel)
    this.string(5, o.virtualModel)
    this.string(6, o.mode)
    this.string(7, o.keyId)
    this.string(8, o.unsent)
    this.string(9, observed.contentType)
    this.string(10, observed.routedModel)
    this.string(11, observed.routedProvider)
    this.chunks(observed.head, headBytes)
    if (observed.tail !== undefined) this.chunks(observed.tail, tailBytes)
    this.admissions.push(o.admission)
  }

  /** The batch so far (its bytes in a buffer of their own, to be moved), and the admissions by index. */
  take(): { readonly batch: ObservationBatch; readonly admissions: ReadonlyArray<Admission | undefined> } {
    const batch: ObservationBatch = { count: this.admissions.length, bytes: new Uint8Array(this.bytes.subarray(0, this.used)) }
    const admissions = this.admissions
    this.admissions = []
    this.used = 0
    this.previous.fill(undefined)
    // A burst of large answers grew the buffer: back to the usual size, not kept for good.
    if (this.bytes.length > MAX_KEPT_BYTES) this.bytes = Buffer.allocUnsafeSlow(INITIAL_BYTES)
    return { batch, admissions }
  }

  private number(value: number): void {
    this.used = this.bytes.writeDoubleLE(value, this.used)
  }

  private string(position: number, value: string | undefined): void {
    if (value === undefined || value === this.previous[position]) {
      this.ensure(4)
      this.used = this.bytes.writeUInt32LE(value === undefined ? NONE : SAME, this.used)
      return
    }
    this.previous[position] = value
    // A string takes at most 3 bytes per UTF-16 unit.
    this.ensure(4 + value.length * 3)
    const length = this.bytes.write(value, this.used + 4)
    this.bytes.writeUInt32LE(length, this.used)
    this.used += 4 + length
  }

  private chunks(chunks: ReadonlyArray<string | Uint8Array>, total: number): void {
    this.ensure(total)
    for (const chunk of chunks) {
      if (typeof chunk === "string") this.used += this.bytes.write(chunk, this.used)
      else {
        this.bytes.set(chunk, this.used)
        this.used += chunk.byteLength
      }
    }
  }

  private ensure(more: number): void {
    if (this.used + more <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.used + more) size *= 2
    const grown = Buffer.allocUnsafeSlow(size)
    this.bytes.copy(grown, 0, 0, this.used)
    this.bytes = grown
  }
}

const bytesOf = (chunks: ReadonlyArray<string | Uint8Array>): number => {
  let total = 0
  for (const chunk of chunks) total += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength
  return total
}

/** The observations of a batch, as `RequestObserver` gave them (less the admissions, which stayed behind). */
export const unpack = (batch: ObservationBatch): Array<ObservedRequest> => {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength)
  let at = 0
  const number = (): number => {
    const value = bytes.readDoubleLE(at)
    at += 8
    return value
  }
  const previous = new Array<string | undefined>(STRINGS).fill(undefined)
  const string = (position: number): string | undefined => {
    const length = bytes.readUInt32LE(at)
    at += 4
    if (length === NONE) return undefined
    if (length === SAME) return previous[position]
    const value = bytes.toString("utf8", at, at + length)
    at += length
    previous[position] = value
    return value
  }
  const observed: Array<ObservedRequest> = []
  for (let index = 0; index < batch.count; index++) {
    const startedAt = number()
    const status = number()
    const attempts = number()
    const firstByteMs = number()
    const durationMs = number()
    const input = number()
    const output = number()
    const cachedRead = number()
    const cacheWrite = number()
    const reasoning = number()
    const headBytes = number()
    const tailBytes = number()
    const flags = bytes[at++]!
    const id = string(0)
    const inbound = string(1)
    const path = string(2)
    const client = string(3)
    const requestedModel = string(4)
    const virtualModel = string(5)
    const mode = string(6)
    const keyId = string(7)
    const unsent = string(8)
    const contentType = string(9)
    const routedModel = string(10)
    const routedProvider = string(11)
    const head = bytes.subarray(at, at + headBytes)
    at += headBytes
    const tail = tailBytes === -1 ? undefined : bytes.subarray(at, at + tailBytes)
    if (tailBytes !== -1) at += tailBytes
    const usage: Usage | undefined = (flags & USAGE) === 0 ? undefined : {
      inputTokens: input,
      outputTokens: output,
      cachedInputTokens: orUndefined(cachedRead),
      cacheWriteInputTokens: orUndefined(cacheWrite),
      reasoningTokens: orUndefined(reasoning)
    }
    const observation: Observation = {
      id: id ?? "",
      startedAt,
      // Durations are already measured; the monotonic start is only needed where they were.
      start: 0,
      inbound: inbound as ApiFormat,
      path: path ?? "",
      client,
      requestedModel,
      virtualModel,
      mode: mode as Mode | undefined,
      stream: (flags & STREAM) !== 0,
      keyId,
      usage,
      unsent,
      admission: undefined
    }
    observed.push({
      observation,
      status,
      answered: (flags & ANSWERED) !== 0,
      finished: (flags & FINISHED) !== 0,
      contentType: contentType ?? "",
      routedModel,
      routedProvider,
      attempts,
      firstByteMs: orUndefined(firstByteMs),
      durationMs,
      head: [head],
      tail: tail === undefined ? undefined : [tail]
    })
  }
  return observed
}
