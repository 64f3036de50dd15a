/**
 * Turns what `RequestObserver` saw of each request into a `RequestRecord` (`Recording.ts`), and
 * hands the records on: to the ledger, then (`onRecorded`) to the metrics, the traces, and the
 * budgets (which settle a reservation with the real cost).
 *
 * Off the request path: `observed` packs the observation into the current batch (`BatchWriter`,
 * in node's `close` callback) and returns; every `FLUSH_EVERY` the batch goes on, to one of:
 * - `layerThread`, the live one: a worker thread (`RecordingWorker.ts`) reads, prices and writes
 *   the records through its own database connection and answers with the metrics' tally, what
 *   admitted requests used and the write status. Should the thread die, the recorder carries on
 *   inline, logged.
 * - `layer`: inline, on this thread, to whatever `Ledger` is given (tests, an embedding program's
 *   own ledger), in slices that give way to requests between them.
 *
 * Nothing here can fail a request: a ledger that cannot write says so in its status, and a
 * backlog beyond `MAX_PENDING` observations (a ledger stuck for long) drops batches, counted.
 */
import { Context, Deferred, Duration, Effect, Layer, Semaphore } from "effect"
import { Worker } from "node:worker_threads"
import type { Admission } from "../gateway-keys/Budgets.ts"
import { Ledger, type LedgerStatus } from "./Ledger.ts"
import { BatchWriter, type ObservationBatch, unpack } from "./ObservationBatch.ts"
import { PriceBook } from "./PriceBook.ts"
import type { PricedProvider } from "./Prices.ts"
import { type Recorded, recordedOf, recordEach } from "./Recording.ts"
import type { DatabaseTarget } from "../database/Database.ts"
import type { FromRecorder, RecordingWorkerData, ToRecorder } from "./RecordingWorker.ts"
import type { ObservedRequest } from "./RequestObserver.ts"
import type { RequestRecord } from "./RequestRecord.ts"

const FLUSH_EVERY = Duration.millis(250)
/** Records per slice of an inline batch (see `recordInline`). */
const SLICE = 64
const MAX_PENDING = 50_000

export class UsageRecorder extends Context.Service<UsageRecorder, {
  /** An answer is over: record it. Synchronous and cheap (a copy into the batch). */
  readonly observed: (observed: ObservedRequest) => void
  /** Records what is pending now, and waits until it is written and handed on (tests; shutdown does it too). */
  readonly flush: Effect.Effect<void>
  /** Observations dropped because the backlog was full. */
  readonly dropped: Effect.Effect<number>
}>()("switchboard/UsageRecorder") {}

export interface RecorderOptions {
  /** What follows the ledger, batch by batch (never retried: a metric counted twice is worse than one missed). */
  readonly onRecorded: (recorded: Recorded) => Effect.Effect<void>
  /** Whether `onRecorded` wants the records whole (the traces), not only their tally. */
  readonly wantRecords: boolean
}

export interface ThreadOptions extends RecorderOptions {
  /** The ledger's database, which the thread opens for itself. */
  readonly database: DatabaseTarget
  readonly retentionDays: number
  /** The thread's code (tests: one that fails); default `RecordingWorker`'s. */
  readonly workerUrl?: URL | undefined
}

/** Lets node run what waits (requests' I/O) before going on: a macrotask, not a microtask. */
const giveWay = Effect.callback<void>((resume) => void setImmediate(() => resume(Effect.void)))

const handedOn = (options: RecorderOptions, recorded: Recorded) =>
  options.onRecorded(recorded).pipe(Effect.catchCause((cause) => Effect.logWarning("usage: handing records on failed", cause)))

/**
 * Records a batch on this thread, in slices, giving way to requests between them (the work is
 * synchronous, SQLite's writes too, and a whole busy batch at once would hold every request up).
 */
const recordInline = (
  ledger: Ledger["Service"],
  providers: ReadonlyMap<string, PricedProvider>,
  options: RecorderOptions,
  batch: ObservationBatch,
  admissions: ReadonlyArray<Admission | undefined>
) =>
  Effect.gen(function*() {
    const observed = unpack(batch)
    for (let start = 0; start < observed.length; start += SLICE) {
      if (start > 0) yield* giveWay
      const end = Math.min(observed.length, start + SLICE)
      const each = yield* recordEach(observed, providers, start, end)
      const records: Array<RequestRecord> = []
      const admitted: Array<Admission | undefined> = []
      each.forEach((record, offset) => {
        if (record === undefined) return
        records.push(record)
        admitted.push(admissions[start + offset])
      })
      yield* ledger.write(records)
      yield* handedOn(options, recordedOf(records, admitted, options.wantRecords))
    }
  })

/** The recorder, inline: records written to the `Ledger` at hand, on this thread. */
export const layer = (options: RecorderOptions) =>
  Layer.effect(UsageRecorder, Effect.gen(function*() {
    const ledger = yield* Ledger
    const book = yield* PriceBook
    const writer = new BatchWriter()
    let dropped = 0
    const flush = Effect.suspend(() => {
      if (writer.count === 0) return Effect.void
      const { admissions, batch } = writer.take()
      return recordInline(ledger, book.providers(), options, batch, admissions)
    })
    // One flush at a time: the loop's and a test's or shutdown's must not interleave their batches.
    const lock = yield* Semaphore.make(1)
    // Whoever calls `flush` (a test, shutdown), what follows runs with the gateway's own services
    // (its metric registry among them), as from the loop.
    const services = yield* Effect.context<never>()
    const flushOnce = lock.withPermits(1)(flush).pipe(Effect.provideContext(services))
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(FLUSH_EVERY), flushOnce)))
    yield* Effect.addFinalizer(() => flushOnce)
    return UsageRecorder.of({
      observed: (observed) => {
        if (writer.count >= MAX_PENDING) return void dropped++
        writer.add(observed)
      },
      flush: flushOnce,
      dropped: Effect.sync(() => dropped)
    })
  }))

/**
 * Where the recording thread's code is: beside this module, as TypeScript when Switchboard runs
 * from its sources, as its own bundle beside the server's when it runs from `dist/server/`
 * (scripts/server.vite.config.ts builds both). Worked out at run time, so the bundler leaves it be.
 */
const workerUrl = (): URL => {
  const here = import.meta.url
  return new URL(here.endsWith(".ts") ? "./RecordingWorker.ts" : "./recording-worker.mjs", here)
}

/**
 * The recorder, with the records made and written on a worker thread (`RecordingWorker.ts`). Gives
 * the `UsageRecorder` and the `Ledger` it was given, whose status then includes the thread's writes.
 */
export const layerThread = (options: ThreadOptions) =>
  Layer.effectContext(Effect.gen(function*() {
    const ledger = yield* Ledger
    const book = yield* PriceBook
    const services = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(services)
    const runPromise = Effect.runPromiseWith(services)
    const writer = new BatchWriter()
    let dropped = 0
    /** The thread's last word on its writes. */
    let status: LedgerStatus | undefined
    let seq = 0
    /** Batches sent and not yet answered: their admissions and size. */
    const inFlight = new Map<number, { readonly admissions: ReadonlyArray<Admission | undefined>; readonly count: number }>()
    let inFlightCount = 0
    const flushed = new Map<number, Deferred.Deferred<void>>()
    /** What follows the ledger, batch after batch, in order. */
    let handing: Promise<void> = Promise.resolve()
    let sentProviders: ReadonlyMap<string, PricedProvider> | undefined
    let stopping = false

    const data: RecordingWorkerData = { database: options.database, retentionDays: options.retentionDays, wantRecords: options.wantRecords }
    let worker: Worker | undefined = new Worker(options.workerUrl ?? workerUrl(), { workerData: data })
    // The gateway's scope ends the thread; it must not keep a process alive by itself.
    worker.unref()

    /** The thread is gone: what it had is lost (counted), and the recorder goes on inline. */
    const lost = (reason: string) => {
      if (worker === undefined) return
      worker = undefined
      for (const batch of inFlight.values()) dropped += batch.count
      inFlight.clear()
      inFlightCount = 0
      // Its counts stay in the status; its health no longer says anything (the inline writes' does).
      if (status !== undefined) status = { ...status, ok: true, lastError: null }
      for (const deferred of flushed.values()) Deferred.doneUnsafe(deferred, Effect.void)
      flushed.clear()
      if (!stopping) runFork(Effect.logWarning(`usage: the recording thread stopped (${reason}); recording on the serving thread instead`))
    }

    worker.on("message", (message: FromRecorder) => {
      switch (message.type) {
        case "recorded": {
          const sent = inFlight.get(message.seq)
          inFlight.delete(message.seq)
          if (sent !== undefined) inFlightCount -= sent.count
          status = message.status
          const settlements: Array<Recorded["settlements"][number]> = []
          for (const [index, used] of message.used) {
            const admission = sent?.admissions[index]
            if (admission !== undefined) settlements.push({ admission, used })
          }
          const recorded: Recorded = { tally: message.tally, settlements, records: message.records }
          // `handedOn` never fails; the catch keeps the chain going should anything else throw.
          handing = handing.then(() => runPromise(Effect.suspend(() => handedOn(options, recorded)))).catch(() => {})
          return
        }
        case "failed": {
          const sent = inFlight.get(message.seq)
          inFlight.delete(message.seq)
          if (sent !== undefined) {
            inFlightCount -= sent.count
            dropped += sent.count
          }
          runFork(Effect.logWarning(`usage: the recording thread could not record a batch: ${message.reason}`))
          return
        }
        case "flushed": {
          const deferred = flushed.get(message.seq)
          flushed.delete(message.seq)
          if (deferred !== undefined) void handing.then(() => Deferred.doneUnsafe(deferred, Effect.void))
          return
        }
        case "log":
          return void runFork(Effect.logWithLevel(message.level)(message.message))
      }
    })
    worker.on("error", (error) => lost(error.message))
    worker.on("exit", (code) => lost(`exit code ${code}`))

    /** Sends the batch so far: to the thread, or inline when there is none. */
    const send = Effect.suspend(() => {
      if (writer.count === 0) return Effect.void
      const { admissions, batch } = writer.take()
      const providers = book.providers()
      if (worker === undefined) return recordInline(ledger, providers, options, batch, admissions)
      if (inFlightCount + batch.count > MAX_PENDING) {
        dropped += batch.count
        return Effect.void
      }
      const changed = providers !== sentProviders
      sentProviders = providers
      const admitted: Array<number> = []
      admissions.forEach((admission, index) => admission !== undefined && admitted.push(index))
      const message: ToRecorder = { type: "batch", seq: ++seq, batch, admitted, providers: changed ? providers : undefined }
      inFlight.set(seq, { admissions, count: batch.count })
      inFlightCount += batch.count
      worker.postMessage(message, [batch.bytes.buffer as ArrayBuffer])
      return Effect.void
    })
    const lock = yield* Semaphore.make(1)
    const sendOnce = lock.withPermits(1)(send).pipe(Effect.provideContext(services))
    const flush = Effect.gen(function*() {
      yield* sendOnce
      const thread = worker
      if (thread !== undefined) {
        const deferred = yield* Deferred.make<void>()
        const id = ++seq
        flushed.set(id, deferred)
        thread.postMessage({ type: "flush", seq: id } satisfies ToRecorder)
        yield* Deferred.await(deferred)
      }
      // What follows the batches answered so far (also when the thread was lost meanwhile).
      yield* Effect.promise(() => handing)
    })
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(FLUSH_EVERY), sendOnce)))
    yield* Effect.addFinalizer(() =>
      flush.pipe(
        Effect.timeout(Duration.seconds(10)),
        Effect.ignore,
        Effect.andThen(Effect.promise(async () => {
          stopping = true
          const thread = worker
          worker = undefined
          if (thread !== undefined) await thread.terminate()
        }))
      )
    )

    const recorder = UsageRecorder.of({
      observed: (observed) => {
        if (writer.count >= MAX_PENDING) return void dropped++
        writer.add(observed)
      },
      flush,
      dropped: Effect.sync(() => dropped)
    })
    const withThreadStatus: Ledger["Service"] = {
      ...ledger,
      status: Effect.map(ledger.status, (own): LedgerStatus =>
        status === undefined ? own : {
          ...own,
          ok: own.ok && status.ok,
          lastError: status.lastError ?? own.lastError,
          written: own.written + status.written,
          dropped: own.dropped + status.dropped
        })
    }
    return Context.make(UsageRecorder, recorder).pipe(Context.add(Ledger, withThreadStatus))
  }))
