/**
 * The recording thread: a `worker_threads` worker the gateway starts for its usage ledger
 * (`UsageRecorder.layerThread`). It takes batches of finished requests (`ObservationBatch.ts`),
 * reads and prices each (`Recording.recordEach`), writes them to the ledger's database through its
 * own connection (`LedgerSql` over `Database`, as the serving thread would), and answers with
 * what the serving thread still needs: the metrics' tally, what each admitted request used (for
 * its key's budget), the records when traces want them, and the ledger's write status.
 *
 * Why a thread: reading, pricing and writing a row cost tens of µs of CPU, and SQLite's writes
 * (and WAL checkpoints) block; on the serving thread that was a third of the gateway's throughput
 * at 10 connections (docs/performance.md). Here it runs beside the requests, not between them.
 *
 * Messages are handled one at a time, in order: a `flush` is answered once every batch before it
 * is written. Log lines go to the serving thread, which logs them with its own logger.
 */
import { Cause, Effect, Layer, Logger, ManagedRuntime } from "effect"
import { readlinkSync } from "node:fs"
import { setPriority } from "node:os"
import { parentPort, workerData } from "node:worker_threads"
import { Database, type DatabaseTarget } from "../database/Database.ts"
import { Ledger, type LedgerStatus } from "./Ledger.ts"
import * as LedgerSql from "./LedgerSql.ts"
import { type MetricsTally, tallyOf } from "./MetricsTally.ts"
import { type ObservationBatch, unpack } from "./ObservationBatch.ts"
import type { PricedProvider } from "./Prices.ts"
import { recordEach, type Used, usedOf } from "./Recording.ts"
import type { RequestRecord } from "./RequestRecord.ts"

/** What the thread is started with. */
export interface RecordingWorkerData {
  readonly database: DatabaseTarget
  readonly retentionDays: number
  /** Whether to send the records back whole (traces are on). */
  readonly wantRecords: boolean
}

export type ToRecorder =
  | {
    readonly type: "batch"
    readonly seq: number
    readonly batch: ObservationBatch
    /** Indexes of the batch's requests a budget admitted: their use is sent back. */
    readonly admitted: ReadonlyArray<number>
    /** The providers' prices, when they changed since the last batch (maps cross threads as they are). */
    readonly providers: ReadonlyMap<string, PricedProvider> | undefined
  }
  | { readonly type: "flush"; readonly seq: number }

export type FromRecorder =
  | {
    readonly type: "recorded"
    readonly seq: number
    readonly tally: MetricsTally
    readonly used: ReadonlyArray<readonly [number, Used]>
    readonly records: ReadonlyArray<RequestRecord> | undefined
    readonly status: LedgerStatus
  }
  | { readonly type: "flushed"; readonly seq: number }
  /** A batch the thread could not record (its database layer would not build, a bug): lost, to be counted. */
  | { readonly type: "failed"; readonly seq: number; readonly reason: string }
  | { readonly type: "log"; readonly level: "Warn" | "Info" | "Error" | "Debug"; readonly message: string }

/**
 * How nice the thread is (Unix: 0 is the default, 19 the nicest): recording is background work,
 * and when the machine is busy the requests' threads should go first. Not the nicest: on a machine
 * kept busy by something else, a thread at 19 gets so little CPU that its batches (and a `flush`
 * waiting on them) would lag by seconds; at 10 it gets about a tenth of a busy CPU.
 */
const NICENESS = 10

/**
 * Lowers this thread's priority. Linux keeps a nice value per thread and `setpriority` takes a
 * thread id, which `/proc/thread-self` names; elsewhere (no such link) the thread keeps the
 * process's priority.
 */
const beNice = () => {
  try {
    const thread = /\/task\/(\d+)$/.exec(readlinkSync("/proc/thread-self"))?.[1]
    if (thread !== undefined) setPriority(Number(thread), NICENESS)
  } catch {
    // Not Linux, or not allowed: the same priority as the rest, which only costs speed.
  }
}

const start = () => {
  beNice()
  const port = parentPort
  if (port === null) throw new Error("RecordingWorker.ts runs as a worker thread (UsageRecorder.layerThread)")
  const data = workerData as RecordingWorkerData
  const post = (message: FromRecorder) => port.postMessage(message)

  // Only a URL that cannot be read fails here, and the serving thread read it first.
  const database = Layer.orDie(Database.layerFor(data.database))
  const logger = Logger.make<unknown, void>(({ cause, logLevel, message }) => {
    const level = logLevel === "Warn" || logLevel === "Info" || logLevel === "Error" || logLevel === "Debug" ? logLevel : "Info"
    const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
    post({ type: "log", level, message: cause.reasons.length > 0 ? `${text}\n${Cause.pretty(cause)}` : text })
  })
  // The logger is part of the runtime's context (merged, not only provided to the layer's build),
  // so what the batches log goes to the serving thread too.
  const logs = Logger.layer([logger])
  const runtime = ManagedRuntime.make(
    Layer.merge(
      LedgerSql.layerWith({ retentionDays: data.retentionDays }).pipe(Layer.provide(database), Layer.provide(logs)),
      logs
    )
  )

  let providers: ReadonlyMap<string, PricedProvider> = new Map()
  const record = (message: Extract<ToRecorder, { type: "batch" }>) =>
    Effect.gen(function*() {
      const ledger = yield* Ledger
      const observed = unpack(message.batch)
      const records = yield* recordEach(observed, providers)
      const kept = records.filter((record) => record !== undefined)
      yield* ledger.write(kept)
      const used: Array<readonly [number, Used]> = []
      for (const index of message.admitted) {
        const record = records[index]
        if (record !== undefined) used.push([index, usedOf(record)])
      }
      post({
        type: "recorded",
        seq: message.seq,
        tally: tallyOf(kept),
        used,
        records: data.wantRecords ? kept : undefined,
        status: yield* ledger.status
      })
    })

  // One message at a time, in order. A flush is answered outside the runtime, so that it is
  // answered even when the runtime cannot be built; a batch that fails is answered as failed, so
  // the serving thread counts it and does not wait for it.
  let queue: Promise<void> = Promise.resolve()
  port.on("message", (message: ToRecorder) => {
    queue = queue.then(async () => {
      if (message.type === "flush") return post({ type: "flushed", seq: message.seq })
      // Prices first: a batch that fails must not lose a change of prices for the next ones.
      if (message.providers !== undefined) providers = message.providers
      try {
        await runtime.runPromise(record(message))
      } catch (error) {
        post({ type: "failed", seq: message.seq, reason: String(error) })
      }
    })
  })
}

start()
