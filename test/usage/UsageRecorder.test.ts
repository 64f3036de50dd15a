/**
 * The recorder's two ways: on its worker thread (`layerThread`: the records made there and written
 * to the SQLite file through the thread's own connection; the metrics' tally, the admitted
 * requests' use and the write status back on this side), and inline when the thread cannot run.
 * Also the pieces both use: the packing of observations into a batch, and the metrics' tally.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Database } from "../../src/database/Database.ts"
import type { Admission } from "../../src/gateway-keys/Budgets.ts"
import { Ledger } from "../../src/usage/Ledger.ts"
import * as LedgerSql from "../../src/usage/LedgerSql.ts"
import { bucketOf, SECONDS, tallyOf } from "../../src/usage/MetricsTally.ts"
import { BatchWriter, unpack } from "../../src/usage/ObservationBatch.ts"
import { PriceBook } from "../../src/usage/PriceBook.ts"
import type { Recorded } from "../../src/usage/Recording.ts"
import type { ObservedRequest } from "../../src/usage/RequestObserver.ts"
import * as UsageRecorder from "../../src/usage/UsageRecorder.ts"
import { record } from "./LedgerRows.ts"

const chatAnswer = (input: number, output: number) =>
  JSON.stringify({ id: "c", object: "chat.completion", model: "m", choices: [], usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } })

let counter = 0
const observed = (overrides: { readonly admission?: Admission; readonly head?: Array<string | Uint8Array>; readonly tail?: Array<string | Uint8Array> } = {}): ObservedRequest => ({
  observation: {
    id: `0190a000-0000-7000-8000-${String(++counter).padStart(12, "0")}`,
    startedAt: Date.now(),
    start: 0,
    inbound: "openai",
    path: "/v1/chat/completions",
    client: "tests/1.0 ✓",
    requestedModel: "up/gpt-test",
    virtualModel: undefined,
    mode: "pass-through",
    stream: false,
    keyId: overrides.admission?.keyId,
    usage: undefined,
    unsent: undefined,
    admission: overrides.admission
  },
  status: 200,
  answered: true,
  finished: true,
  contentType: "application/json",
  routedModel: "up/gpt-test",
  routedProvider: "up",
  attempts: 1,
  firstByteMs: 1.5,
  durationMs: 2.25,
  head: overrides.head ?? [Buffer.from(chatAnswer(7, 3))],
  tail: overrides.tail
})

const noPrices = Layer.succeed(PriceBook, PriceBook.of({ providers: () => new Map(), estimate: () => null }))

const text = (chunks: ReadonlyArray<string | Uint8Array> | undefined) =>
  chunks === undefined ? undefined : chunks.map((chunk) => typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")).join("")

describe("ObservationBatch", () => {
  it("gives back what was packed: fields, none-values, usage, strings and bytes, heads and tails", () => {
    const writer = new BatchWriter()
    const admission: Admission = { keyId: "k1", local: false, reservation: undefined }
    const plain = observed()
    const full: ObservedRequest = {
      ...observed({ admission, head: ["data: {\"a\":\"é\"}\n\n", Buffer.from("data: [")], tail: [Buffer.from("DONE]\n\n")] }),
      observation: {
        ...observed().observation,
        virtualModel: "fast",
        stream: true,
        usage: { inputTokens: 40, outputTokens: 9, cachedInputTokens: 12, cacheWriteInputTokens: undefined, reasoningTokens: 3 },
        unsent: "data: {\"usage\":{}}\n\n"
      },
      status: 499,
      answered: false,
      finished: false,
      firstByteMs: undefined,
      routedModel: undefined,
      routedProvider: undefined
    }
    writer.add(plain)
    writer.add(full)
    expect(writer.count).toBe(2)
    const { admissions, batch } = writer.take()
    expect(writer.count).toBe(0)
    expect(admissions).toEqual([undefined, undefined])
    const back = unpack(batch)
    for (const [index, original] of [plain, full].entries()) {
      const got = back[index]!
      expect({ ...got.observation, start: 0 }).toEqual({ ...original.observation, start: 0, admission: undefined })
      expect({ ...got, observation: undefined, head: text(got.head), tail: text(got.tail) })
        .toEqual({ ...original, observation: undefined, head: text(original.head), tail: text(original.tail) })
    }
  })

  it("keeps the admissions on this side, by index", () => {
    const writer = new BatchWriter()
    const admission: Admission = { keyId: "k1", local: true, reservation: undefined }
    writer.add(observed())
    writer.add(observed({ admission }))
    expect(writer.take().admissions).toEqual([undefined, admission])
  })

  it("grows past its first buffer", () => {
    const writer = new BatchWriter()
    const big = "x".repeat(300 * 1024)
    writer.add(observed({ head: [big] }))
    writer.add(observed())
    const back = unpack(writer.take().batch)
    expect(text(back[0]!.head)).toBe(big)
    expect(text(back[1]!.head)).toBe(chatAnswer(7, 3))
  })
})

describe("tallyOf", () => {
  it("puts a value in the first bucket at or above it, else the overflow", () => {
    expect([0, 0.05, 0.06, 1, 120, 121].map(bucketOf)).toEqual([0, 0, 1, 4, SECONDS.length - 1, SECONDS.length])
  })

  it("sums per series: requests by route, format and status; tokens reported above 0; known costs; the latencies", () => {
    const tally = tallyOf([
      record({ id: "a" }),
      record({ id: "b", status: 429, tokens: { input: 1, output: null, cachedRead: 2, cacheWrite: null, reasoning: null }, costUsd: null, ttftMs: null }),
      record({ id: "c", provider: null, model: null, status: 404, costUsd: 0 })
    ])
    const counters = Object.fromEntries(tally.counters.map((c) => [`${c.metric} ${Object.values(c.labels).join(",")}`, c.delta]))
    expect(counters).toEqual({
      "requests openai,openai/gpt-4o-mini,openai,200": 1,
      "requests openai,openai/gpt-4o-mini,openai,429": 1,
      "requests none,none,openai,404": 1,
      "tokens openai,openai/gpt-4o-mini,input": 101,
      "tokens openai,openai/gpt-4o-mini,output": 20,
      "tokens openai,openai/gpt-4o-mini,cached_read": 2,
      "tokens none,none,input": 100,
      "tokens none,none,output": 20,
      "cost openai,openai/gpt-4o-mini": 0.25
    })
    const duration = tally.histograms.find((h) => h.metric === "duration" && h.labels["provider"] === "openai")!
    expect(duration).toMatchObject({ count: 2, sum: 0.9, min: 0.45, max: 0.45 })
    expect(duration.counts[bucketOf(0.45)]).toBe(2)
    const firstToken = tally.histograms.find((h) => h.metric === "firstToken" && h.labels["provider"] === "openai")!
    expect(firstToken).toMatchObject({ count: 1, sum: 0.12 })
  })
})

describe("UsageRecorder.layerThread", () => {
  const withHome = <A, E>(body: (home: string) => Effect.Effect<A, E>) =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "switchboard-recorder-"))),
      body,
      (home) => Effect.sync(() => rmSync(home, { recursive: true, force: true }))
    )

  it.effect("records on its thread: rows in the database file, the tally and the admitted requests' use back here, the writes in the status", () =>
    withHome((home) =>
      Effect.gen(function*() {
        const file = join(home, "switchboard.db")
        const recorded: Array<Recorded> = []
        const admission: Admission = { keyId: "k1", local: false, reservation: undefined }
        const layer = UsageRecorder.layerThread({
          database: { kind: "sqlite", file },
          retentionDays: 90,
          wantRecords: true,
          onRecorded: (batch) => Effect.sync(() => void recorded.push(batch))
        }).pipe(Layer.provide(Ledger.layerMemory()), Layer.provide(noPrices))
        const ids = yield* Effect.scoped(Effect.gen(function*() {
          const recorder = yield* UsageRecorder.UsageRecorder
          const ledger = yield* Ledger
          const first = observed()
          const second = observed({ admission, head: [Buffer.from(chatAnswer(20, 4))] })
          recorder.observed(first)
          recorder.observed(second)
          yield* recorder.flush
          const status = yield* ledger.status
          expect(status).toMatchObject({ ok: true, written: 2 })
          return [first.observation.id, second.observation.id]
        }).pipe(Effect.provide(layer)))
        const counted = recorded.flatMap((batch) => batch.tally.counters).filter((c) => c.metric === "requests")
        expect(counted.reduce((sum, c) => sum + c.delta, 0)).toBe(2)
        expect(recorded.flatMap((batch) => batch.settlements)).toEqual([{ admission, used: { tokens: 24, costUsd: null } }])
        expect(recorded.flatMap((batch) => batch.records ?? []).map((r) => r.id)).toEqual(ids)
        // Written by the thread, read here through a connection of this test's own.
        const rows = yield* Effect.gen(function*() {
          const ledger = yield* Ledger
          return yield* Effect.forEach(ids, (id) => ledger.request(id))
        }).pipe(Effect.provide(LedgerSql.layerWith({ retentionDays: 90 }).pipe(Layer.provide(Database.layerSqlite(file)))))
        expect(rows.map((row) => Option.getOrThrow(row).tokens)).toEqual([
          { input: 7, output: 3, cachedRead: null, cacheWrite: null, reasoning: null },
          { input: 20, output: 4, cachedRead: null, cacheWrite: null, reasoning: null }
        ])
      })
    ))

  it.effect("a batch the thread cannot record (its database layer does not build) is counted as dropped, and a flush still returns", () =>
    Effect.gen(function*() {
      const layer = UsageRecorder.layerThread({
        database: { kind: "postgres", url: "not a url" },
        retentionDays: 90,
        wantRecords: false,
        onRecorded: () => Effect.void
      }).pipe(Layer.provide(Ledger.layerMemory()), Layer.provide(noPrices))
      yield* Effect.scoped(Effect.gen(function*() {
        const recorder = yield* UsageRecorder.UsageRecorder
        recorder.observed(observed())
        yield* recorder.flush
        expect(yield* recorder.dropped).toBe(1)
      }).pipe(Effect.provide(layer)))
    }))

  it.effect("a thread that cannot run: the recorder records inline, to the ledger it was given", () =>
    withHome((home) =>
      Effect.gen(function*() {
        const broken = join(home, "broken-worker.mjs")
        writeFileSync(broken, "throw new Error('no recording here')\n")
        const layer = UsageRecorder.layerThread({
          database: { kind: "sqlite", file: join(home, "switchboard.db") },
          retentionDays: 90,
          wantRecords: false,
          onRecorded: () => Effect.void,
          workerUrl: pathToFileURL(broken)
        }).pipe(Layer.provide(Ledger.layerMemory()), Layer.provide(noPrices))
        yield* Effect.scoped(Effect.gen(function*() {
          const recorder = yield* UsageRecorder.UsageRecorder
          const ledger = yield* Ledger
          // Give the thread its moment to fail.
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)))
          const one = observed()
          recorder.observed(one)
          yield* recorder.flush
          const row = yield* ledger.request(one.observation.id)
          expect(Option.getOrThrow(row).tokens.input).toBe(7)
        }).pipe(Effect.provide(layer)))
      })
    ))
})
