/**
 * What the usage ledger's recording costs per request, stage by stage, in one process: packing an
 * observation on the serving thread (`ObservationBatch`), then on the recording thread unpacking
 * it, reading and pricing the answer (`Recording.recordOf`), the metrics' tally and the SQLite
 * write (`LedgerSql`), for batches of the bench's own request (the `load` scenario's small chat
 * completion, passed through) at ~5,000 requests a second, a 250 ms batch.
 *
 * The end-to-end figure is the bench's `ledger` scenario (bench/run.ts); this one says where it
 * goes, without the noise of a machine shared with the load generator. CPU of one thread, so the
 * figures are lower than the same work costs under load (cache misses, preemption).
 *
 * Usage: node bench/recording.ts
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Database } from "../src/database/Database.ts"
import { Ledger } from "../src/usage/Ledger.ts"
import * as LedgerSql from "../src/usage/LedgerSql.ts"
import { tallyOf } from "../src/usage/MetricsTally.ts"
import { BatchWriter, unpack } from "../src/usage/ObservationBatch.ts"
import type { PricedProvider } from "../src/usage/Prices.ts"
import { recordOf } from "../src/usage/Recording.ts"
import { type ObservedRequest, requestId } from "../src/usage/RequestObserver.ts"
import { completionJson, PROVIDER_ID, UPSTREAM_MODEL } from "./protocol.ts"

/** Requests per batch: 250 ms at 5,000 requests a second. */
const BATCH = 1250
const ROUNDS = 40

const observed = (): ObservedRequest => {
  const now = Date.now()
  return {
    observation: {
      id: requestId(now),
      startedAt: now,
      start: performance.now(),
      inbound: "openai",
      path: "/v1/chat/completions",
      client: "autocannon",
      requestedModel: `${PROVIDER_ID}/${UPSTREAM_MODEL}`,
      virtualModel: undefined,
      mode: "pass-through",
      stream: false,
      keyId: undefined,
      usage: undefined,
      unsent: undefined,
      admission: undefined
    },
    status: 200,
    answered: true,
    finished: true,
    contentType: "application/json",
    routedModel: `${PROVIDER_ID}/${UPSTREAM_MODEL}`,
    routedProvider: PROVIDER_ID,
    attempts: 1,
    firstByteMs: 1.2,
    durationMs: 1.5,
    head: [Buffer.from(completionJson)],
    tail: undefined
  }
}

/** µs per request of `stage`, run on `ROUNDS` batches after one to warm up. */
const measure = async (label: string, stage: (round: number) => unknown): Promise<void> => {
  await stage(-1)
  const start = process.threadCpuUsage()
  for (let round = 0; round < ROUNDS; round++) await stage(round)
  const used = process.threadCpuUsage(start)
  console.log(`${label.padEnd(28)} ${((used.user + used.system) / ROUNDS / BATCH).toFixed(2).padStart(6)} µs/request`)
}

const home = mkdtempSync(join(tmpdir(), "switchboard-recording-"))
const runtime = ManagedRuntime.make(
  LedgerSql.layerWith({ retentionDays: 90 }).pipe(Layer.provide(Layer.orDie(Database.layerFor({ kind: "sqlite", file: join(home, "switchboard.db") }))))
)
try {
  const providers: ReadonlyMap<string, PricedProvider> = new Map()
  const writer = new BatchWriter()
  const observations = Array.from({ length: BATCH }, observed)
  await measure("pack (serving thread)", () => {
    for (const one of observations) writer.add(one)
    return writer.take()
  })
  for (const one of observations) writer.add(one)
  const { batch } = writer.take()
  await measure("unpack", () => unpack(batch))
  const unpacked = unpack(batch)
  await measure("read and price (recordOf)", () => unpacked.map((one) => recordOf(one, providers)))
  const records = unpacked.map((one) => recordOf(one, providers))
  await measure("metrics tally", () => tallyOf(records))
  // Fresh ids for every batch: a batch written twice is kept once, which would cost less.
  const batches = Array.from({ length: ROUNDS + 1 }, () => Array.from({ length: BATCH }, () => recordOf(observed(), providers)))
  const ledger = await runtime.runPromise(Effect.service(Ledger))
  await measure("SQLite write (LedgerSql)", (round) => runtime.runPromise(ledger.write(batches[round + 1]!)))
} finally {
  await runtime.dispose()
  rmSync(home, { recursive: true, force: true })
}
