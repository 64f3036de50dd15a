/**
 * A finished request's record, from what `RequestObserver` kept of it: its answer's usage read
 * (`AnswerUsage.ts`) and priced (`Prices.ts`). Pure, and light on imports: it runs in the recording
 * thread (`RecordingWorker.ts`) as well as in the serving one (`UsageRecorder.ts`, inline).
 */
import { Effect } from "effect"
import type { Admission } from "../gateway-keys/Budgets.ts"
import { answerUsage } from "./AnswerUsage.ts"
import { type MetricsTally, tallyOf } from "./MetricsTally.ts"
import { presetOf, type PricedProvider, priceOf } from "./Prices.ts"
import type { ObservedRequest } from "./RequestObserver.ts"
import { noTokens, type RequestRecord, type Tokens } from "./RequestRecord.ts"

const decoder = new TextDecoder()
const textOf = (chunks: ReadonlyArray<string | Uint8Array>): string => {
  // One chunk, as the recording thread has them: decoded in one go.
  if (chunks.length === 1) {
    const only = chunks[0]!
    return typeof only === "string" ? only : decoder.decode(only)
  }
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

/**
 * The records of `observed[from…to)`, in order, undefined for a request whose answer could not be
 * read (logged): a bug in reading one answer must not lose the others.
 */
export const recordEach = (
  observed: ReadonlyArray<ObservedRequest>,
  providers: ReadonlyMap<string, PricedProvider>,
  from = 0,
  to = observed.length
): Effect.Effect<Array<RequestRecord | undefined>> =>
  Effect.gen(function*() {
    const records: Array<RequestRecord | undefined> = []
    for (let index = from; index < to; index++) {
      try {
        records.push(recordOf(observed[index]!, providers))
      } catch (cause) {
        records.push(undefined)
        yield* Effect.logWarning(`usage: could not record request ${observed[index]!.observation.id}: ${String(cause)}`)
      }
    }
    return records
  })

/** A withheld event (`Observation.unsent`: a usage chunk) put back where it was: before `[DONE]`. */
const withUnsent = (text: string, unsent: string | undefined): string => {
  if (unsent === undefined) return text
  const done = text.lastIndexOf("data: [DONE]")
  return done === -1 ? text + unsent : text.slice(0, done) + unsent + text.slice(done)
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/** What a request used, for settling its gateway key's budget reservation (`Budgets.settle`). */
export interface Used {
  readonly tokens: number
  readonly costUsd: number | null
}

export const usedOf = (record: RequestRecord): Used => ({
  tokens: (record.tokens.input ?? 0) + (record.tokens.output ?? 0),
  costUsd: record.costUsd
})

/**
 * What a batch of finished requests gave, for what follows the ledger: the metrics' tally, the
 * budgets' settlements, and the records themselves when something wants them whole (the traces).
 */
export interface Recorded {
  readonly tally: MetricsTally
  readonly settlements: ReadonlyArray<{ readonly admission: Admission; readonly used: Used }>
  readonly records: ReadonlyArray<RequestRecord> | undefined
}

/** `Recorded` of records made in this thread. */
export const recordedOf = (
  records: ReadonlyArray<RequestRecord>,
  admissions: ReadonlyArray<Admission | undefined>,
  wantRecords: boolean
): Recorded => {
  const settlements: Array<{ admission: Admission; used: Used }> = []
  records.forEach((record, index) => {
    const admission = admissions[index]
    if (admission !== undefined) settlements.push({ admission, used: usedOf(record) })
  })
  return { tally: tallyOf(records), settlements, records: wantRecords ? records : undefined }
}
