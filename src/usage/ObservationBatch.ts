/**
 * Finished requests' observations (`RequestObserver.ts`), packed as they finish into one flat
 * array of fields and one buffer of the answer bytes they kept: what the recording thread
 * (`RecordingWorker.ts`) takes in one message, with the buffer moved rather than copied.
 *
 * Packed at once, not kept as they are until the batch goes: an observation holds on to its
 * answer's chunks (undici's, node's), and holding them for a batch's lifetime made them survive
 * the young generation — measured, the ledger's largest cost after the database was the garbage
 * collector. Packed, each request leaves a few numbers and strings and a copy of its bytes.
 *
 * A gateway key's budget admission cannot cross threads (nor needs to): it stays with the writer,
 * by the observation's index in the batch.
 */
import type { Admission } from "../gateway-keys/Budgets.ts"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { Usage } from "../formats/Canonical.ts"
import type { Observation, ObservedRequest } from "./RequestObserver.ts"
import type { Mode } from "./RequestRecord.ts"

type Field = string | number | boolean | null

/** A batch as it crosses to the recording thread: plain data. */
export interface ObservationBatch {
  readonly count: number
  /**
   * `FIELDS` fields per observation, in the order `BatchWriter.add` puts them, as a JSON array: one
   * string crosses threads as a copy of its bytes, where an array of thousands of values was
   * serialised value by value (measured: a third of the recorder's cost on the serving thread).
   */
  readonly fields: string
  /** The kept answer bytes, observation after observation: head, then tail. */
  readonly bytes: Uint8Array
}

const FIELDS = 28

/** Room for a batch's bytes to start with; it grows by doubling. */
const INITIAL_BYTES = 256 * 1024

const orNull = <A>(value: A | undefined): A | null => value === undefined ? null : value
const orUndefined = <A>(value: A | null): A | undefined => value === null ? undefined : value

/** Packs observations as they come; `take` hands over what it has and starts a new batch. */
export class BatchWriter {
  private fields: Array<Field> = []
  private bytes: Buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES)
  private used = 0
  private admissions: Array<Admission | undefined> = []

  get count(): number {
    return this.admissions.length
  }

  add(observed: ObservedRequest): void {
    const o = observed.observation
    const usage = o.usage
    const headBytes = this.append(observed.head)
    const tailBytes = observed.tail === undefined ? -1 : this.append(observed.tail)
    this.fields.push(
      o.id,
      o.startedAt,
      o.inbound,
      o.path,
      orNull(o.client),
      orNull(o.requestedModel),
      orNull(o.virtualModel),
      orNull(o.mode),
      o.stream,
      orNull(o.keyId),
      usage === undefined ? null : usage.inputTokens,
      usage === undefined ? null : usage.outputTokens,
      usage === undefined ? null : orNull(usage.cachedInputTokens),
      usage === undefined ? null : orNull(usage.cacheWriteInputTokens),
      usage === undefined ? null : orNull(usage.reasoningTokens),
      orNull(o.unsent),
      observed.status,
      observed.answered,
      observed.finished,
      observed.contentType,
      orNull(observed.routedModel),
      orNull(observed.routedProvider),
      observed.attempts,
      orNull(observed.firstByteMs),
      observed.durationMs,
      headBytes,
      tailBytes,
      usage !== undefined
    )
    this.admissions.push(o.admission)
  }

  /** The batch so far (its bytes in a buffer of their own, to be moved), and the admissions by index. */
  take(): { readonly batch: ObservationBatch; readonly admissions: ReadonlyArray<Admission | undefined> } {
    const batch: ObservationBatch = { count: this.admissions.length, fields: JSON.stringify(this.fields), bytes: new Uint8Array(this.bytes.subarray(0, this.used)) }
    const admissions = this.admissions
    this.fields = []
    this.admissions = []
    this.used = 0
    return { batch, admissions }
  }

  /** Copies chunks into the batch's buffer; their byte count. */
  private append(chunks: ReadonlyArray<string | Uint8Array>): number {
    const start = this.used
    for (const chunk of chunks) {
      // A string takes at most 3 bytes per UTF-16 unit.
      this.ensure(typeof chunk === "string" ? chunk.length * 3 : chunk.byteLength)
      if (typeof chunk === "string") this.used += this.bytes.write(chunk, this.used)
      else {
        this.bytes.set(chunk, this.used)
        this.used += chunk.byteLength
      }
    }
    return this.used - start
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

/** The observations of a batch, as `RequestObserver` gave them (less the admissions, which stayed behind). */
export const unpack = (batch: ObservationBatch): Array<ObservedRequest> => {
  const observed: Array<ObservedRequest> = []
  const f = JSON.parse(batch.fields) as ReadonlyArray<Field>
  let offset = 0
  for (let index = 0; index < batch.count; index++) {
    const at = index * FIELDS
    const headBytes = f[at + 25] as number
    const tailBytes = f[at + 26] as number
    const head = batch.bytes.subarray(offset, offset + headBytes)
    offset += headBytes
    const tail = tailBytes === -1 ? undefined : batch.bytes.subarray(offset, offset + tailBytes)
    if (tailBytes !== -1) offset += tailBytes
    const usage: Usage | undefined = f[at + 27] === true
      ? {
        inputTokens: f[at + 10] as number,
        outputTokens: f[at + 11] as number,
        cachedInputTokens: orUndefined(f[at + 12] as number | null),
        cacheWriteInputTokens: orUndefined(f[at + 13] as number | null),
        reasoningTokens: orUndefined(f[at + 14] as number | null)
      }
      : undefined
    const durationMs = f[at + 24] as number
    const observation: Observation = {
      id: f[at] as string,
      startedAt: f[at + 1] as number,
      // Durations are already measured; the monotonic start is only needed where they were.
      start: 0,
      inbound: f[at + 2] as ApiFormat,
      path: f[at + 3] as string,
      client: orUndefined(f[at + 4] as string | null),
      requestedModel: orUndefined(f[at + 5] as string | null),
      virtualModel: orUndefined(f[at + 6] as string | null),
      mode: orUndefined(f[at + 7] as Mode | null),
      stream: f[at + 8] as boolean,
      keyId: orUndefined(f[at + 9] as string | null),
      usage,
      unsent: orUndefined(f[at + 15] as string | null),
      admission: undefined
    }
    observed.push({
      observation,
      status: f[at + 16] as number,
      answered: f[at + 17] as boolean,
      finished: f[at + 18] as boolean,
      contentType: f[at + 19] as string,
      routedModel: orUndefined(f[at + 20] as string | null),
      routedProvider: orUndefined(f[at + 21] as string | null),
      attempts: f[at + 22] as number,
      firstByteMs: orUndefined(f[at + 23] as number | null),
      durationMs,
      head: [head],
      tail: tail === undefined ? undefined : [tail]
    })
  }
  return observed
}
