/**
 * Turns what `RequestObserver` saw of each request into a `RequestRecord`, and hands the records
 * on: to the ledger, the metrics, the traces, and the budgets (which settle a reservation with
 * the real cost).
 *
 * Off the request path: `observed` only pushes onto a buffer (it runs in node's `close`
 * callback); a background fiber takes the buffer every `FLUSH_EVERY`, reads the usage out of the
 * kept answer bytes (`AnswerUsage.ts`), prices it (`Prices.ts`) and writes the batch. Nothing
 * here can fail a request: a ledger that cannot write says so in its status, and a buffer that
 * outgrows `MAX_PENDING` (a ledger stuck for long) drops its oldest observations, counted.
 */
import { Context, Duration, Effect, Layer, Semaphore } from "effect"
import { answerUsage } from "./AnswerUsage.ts"
import type { Admission } from "../gateway-keys/Budgets.ts"
import { Ledger } from "./Ledger.ts"
import { presetOf, PriceBook, type PricedProvider } from "./PriceBook.ts"
import { priceOf } from "./Prices.ts"
import type { ObservedRequest } from "./RequestObserver.ts"
import { noTokens, type RequestRecord, type Tokens } from "./RequestRecord.ts"

const FLUSH_EVERY = Duration.millis(100)
/** Records per slice of a batch (see `flush`). */
const SLICE = 64
const MAX_PENDING = 50_000

/** A consumer of finished records besides the ledger (metrics, traces, budgets). */
export type RecordSink = (records: ReadonlyArray<RecordedRequest>) => Effect.Effect<void>

/** A record, with what the lanes kept for follow-ups (a budget's admission). */
export interface RecordedRequest {
  readonly record: RequestRecord
  readonly admission: Admission | undefined
}

export class UsageRecorder extends Context.Service<UsageRecorder, {
  /** An answer is over: record it. Synchronous and cheap (a push). */
  readonly observed: (observed: ObservedRequest) => void
  /** Records what is pending now (tests; shutdown does it too). */
  readonly flush: Effect.Effect<void>
  /** Observations dropped because the buffer was full. */
  readonly dropped: Effect.Effect<number>
}>()("switchboard/UsageRecorder") {}

/** Lets node run what waits (requests' I/O) before going on: a macrotask, not a microtask. */
const giveWay = Effect.callback<void>((resume) => void setImmediate(() => resume(Effect.void)))

const decoder = new TextDecoder()
const textOf = (chunks: ReadonlyArray<string | Uint8Array>): string => {
  let text = ""
  for (const chunk of chunks) text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}


/**
 * The usage a lane noted (a translated answer's, from the canonical events: all the upstream
 * said, even what the caller's format cannot say) wins over what the answer's bytes tell.
 */
const withNoted = (tokens: Tokens, usage: ObservedRequest["observation"]["usage"]): Tokens =>
  usage === undefined
    ? tokens
    : {
      input: usage.inputTokens,
      output: usage.outputTokens,
      cachedRead: usage.cachedInputTokens ?? null,
      cacheWrite: usage.cacheWriteInputTokens ?? null,
      reasoning: usage.reasoningTokens ?? null
    }

/** The record of one observed request (pure, given the providers' prices). */
export const recordOf = (observed: ObservedRequest, providers: ReadonlyMap<string, PricedProvider>): RequestRecord => {
  const o = observed.observation
  const tail = observed.tail === undefined ? undefined : withUnsent(textOf(observed.tail), o.unsent)
  const head = observed.tail === undefined ? withUnsent(textOf(observed.head), o.unsent) : textOf(observed.head)
  const read = observed.answered
    ? answerUsage(o.inbound, { status: observed.status, contentType: observed.contentType, head, tail })
    : { tokens: noTokens, reportedCostUsd: null, errorClass: null }
  const tokens = withNoted(read.tokens, o.usage)
  const provider = observed.routedProvider
  const model = observed.routedModel
  const upstreamModel = provider !== undefined && model !== undefined && model.startsWith(`${provider}/`)
    ? model.slice(provider.length + 1)
    : model
  const priced = provider === undefined ? undefined : providers.get(provider)
  const preset = provider === undefined ? undefined : presetOf(providers, provider)
  const price = provider !== undefined && upstreamModel !== undefined
    ? priceOf({
      providerId: provider,
      preset,
      upstreamModel,
      tokens,
      reportedCostUsd: read.reportedCostUsd,
      override: priced?.prices.get(upstreamModel),
      at: new Date(o.startedAt)
    })
    : { costUsd: null, source: "unknown" as const }
  const outcome = !observed.finished ? "client_closed" : observed.status >= 400 ? "error" : "ok"
  return {
    id: o.id,
    startedAt: o.startedAt,
    keyId: o.keyId ?? null,
    client: o.client ?? null,
    inboundFormat: o.inbound,
    path: o.path,
    requestedModel: o.requestedModel ?? null,
    virtualModel: o.virtualModel ?? null,
    provider: provider ?? null,
    model: model ?? null,
    upstreamModel: upstreamModel ?? null,
    mode: o.mode ?? null,
    stream: o.stream,
    status: observed.status,
    outcome,
    errorClass: observed.status >= 400 ? read.errorClass : null,
    attempts: observed.attempts,
    ttftMs: observed.firstByteMs === undefined ? null : round(observed.firstByteMs),
    durationMs: round(observed.durationMs),
    tokens,
    costUsd: price.costUsd,
    priceSource: price.source
  }
}

/** A withheld event (`Observation.unsent`: a usage chunk) put back where it was: before `[DONE]`. */
const withUnsent = (text: string, unsent: string | undefined): string => {
  if (unsent === undefined) return text
  const done = text.lastIndexOf("data: [DONE]")
  return done === -1 ? text + unsent : text.slice(0, done) + unsent + text.slice(done)
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/**
 * The recorder, writing to the `Ledger` and to `sinks` (each given every batch; a sink that
 * fails is logged and skipped, never retried: a metric counted twice is worse than one missed).
 */
export const layer = (sinks: ReadonlyArray<RecordSink> = []) =>
  Layer.effect(UsageRecorder, Effect.gen(function*() {
    const ledger = yield* Ledger
    const book = yield* PriceBook

    let pending: Array<ObservedRequest> = []
    let dropped = 0
    /** A slice of the batch: read, priced, written, handed to the sinks. */
    const recordSlice = (slice: ReadonlyArray<ObservedRequest>, priced: ReadonlyMap<string, PricedProvider>) =>
      Effect.gen(function*() {
        const recorded: Array<RecordedRequest> = []
        for (const observed of slice) {
          // A bug in reading one answer must not lose the others.
          try {
            recorded.push({ record: recordOf(observed, priced), admission: observed.observation.admission })
          } catch (cause) {
            yield* Effect.logWarning(`usage: could not record request ${observed.observation.id}: ${String(cause)}`)
          }
        }
        yield* ledger.write(recorded.map((r) => r.record))
        for (const sink of sinks) {
          yield* sink(recorded).pipe(Effect.catchCause((cause) => Effect.logWarning("usage: a record sink failed", cause)))
        }
      })
    const flush = Effect.gen(function*() {
      if (pending.length === 0) return
      const batch = pending
      pending = []
      const priced = book.providers()
      // In slices, giving way to requests between them: the work is synchronous (SQLite writes
      // are), and a whole busy batch at once would hold every request up for tens of ms.
      for (let start = 0; start < batch.length; start += SLICE) {
        if (start > 0) yield* giveWay
        yield* recordSlice(batch.slice(start, start + SLICE), priced)
      }
    })
    // One flush at a time: the loop's and a test's or shutdown's must not interleave their batches.
    const lock = yield* Semaphore.make(1)
    // Whoever calls `flush` (a test, shutdown), the sinks run with the gateway's own services (its
    // metric registry among them), as from the loop.
    const services = yield* Effect.context<never>()
    const flushOnce = lock.withPermits(1)(flush).pipe(Effect.provideContext(services))
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(FLUSH_EVERY), flushOnce)))
    yield* Effect.addFinalizer(() => flushOnce)
    return UsageRecorder.of({
      observed: (observed) => {
        pending.push(observed)
        if (pending.length > MAX_PENDING) {
          dropped += pending.length - MAX_PENDING
          pending.splice(0, pending.length - MAX_PENDING)
        }
      },
      flush: flushOnce,
      dropped: Effect.sync(() => dropped)
    })
  }))
