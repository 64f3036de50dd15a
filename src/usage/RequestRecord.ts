/**
 * One row of the usage ledger: what one request to an API endpoint did and cost. Made by
 * `UsageRecorder` once the answer is over (a stream when it ends, or when the client went away),
 * off the request path, from what `RequestObserver` saw of the request and its answer.
 *
 * Unknown stays unknown: a count the upstream did not report is null, never 0, and a price
 * Switchboard does not know is `costUsd: null` with `priceSource: "unknown"`, never $0.
 */
import { Schema } from "effect"

/** Where a cost came from, most specific first (`Prices.ts`). */
export const PriceSource = Schema.Literals(["upstream", "override", "table", "local", "unknown"])
export type PriceSource = typeof PriceSource.Type

/**
 * Tokens as the upstream reported them. `input` counts every prompt token, cache reads and
 * writes included (OpenAI's `prompt_tokens`; Anthropic's uncached `input_tokens` plus its cache
 * counts), as in `Canonical.Usage`; `reasoning` is part of `output`.
 */
export const Tokens = Schema.Struct({
  input: Schema.NullOr(Schema.Number),
  output: Schema.NullOr(Schema.Number),
  cachedRead: Schema.NullOr(Schema.Number),
  cacheWrite: Schema.NullOr(Schema.Number),
  reasoning: Schema.NullOr(Schema.Number)
})
export type Tokens = typeof Tokens.Type

export const noTokens: Tokens = { input: null, output: null, cachedRead: null, cacheWrite: null, reasoning: null }

/** How the request was answered: forwarded in the caller's own format, translated through the hub, or by a local engine. */
export const Mode = Schema.Literals(["pass-through", "translated", "local"])
export type Mode = typeof Mode.Type

/**
 * How the request ended: `ok` (a 2xx answered in full), `error` (an error answer: `status` and
 * `errorClass` say which), `client_closed` (the caller went away before the answer was over).
 */
export const Outcome = Schema.Literals(["ok", "error", "client_closed"])
export type Outcome = typeof Outcome.Type

export const RequestRecord = Schema.Struct({
  /** Also the answer's `x-switchboard-request-id`. */
  id: Schema.String,
  /** When the request arrived, Unix milliseconds. */
  startedAt: Schema.Number,
  /** The gateway key's id (never the key), when one was presented and known. */
  keyId: Schema.NullOr(Schema.String),
  /** The caller's `user-agent`, cut to 200 characters. */
  client: Schema.NullOr(Schema.String),
  /** The caller's API: `openai` (Chat Completions), `anthropic` (Messages), `responses` (Open Responses). */
  inboundFormat: Schema.String,
  /** The request path, without the query. */
  path: Schema.String,
  /** The `model` the caller asked for, as sent. */
  requestedModel: Schema.NullOr(Schema.String),
  /** The virtual model asked for, when it was one. */
  virtualModel: Schema.NullOr(Schema.String),
  /** The provider that answered (the last one tried), when one was reached. */
  provider: Schema.NullOr(Schema.String),
  /** Its qualified model id (`provider/model`). */
  model: Schema.NullOr(Schema.String),
  /** The model id the provider knows. */
  upstreamModel: Schema.NullOr(Schema.String),
  mode: Schema.NullOr(Mode),
  stream: Schema.Boolean,
  /** The HTTP status the caller got (for `client_closed`, the one written, or 499 when none was). */
  status: Schema.Number,
  outcome: Outcome,
  /** For errors: the error's type or code as the caller's format words it (`rate_limit_error`, `model_not_found`, …). */
  errorClass: Schema.NullOr(Schema.String),
  /** Targets tried (1 but for virtual models that fell over). */
  attempts: Schema.Number,
  /** From arrival to the first byte of the answer's body, milliseconds. */
  ttftMs: Schema.NullOr(Schema.Number),
  /** From arrival to the end of the answer, milliseconds. */
  durationMs: Schema.Number,
  tokens: Tokens,
  /** US dollars, or null when the price is unknown. */
  costUsd: Schema.NullOr(Schema.Number),
  priceSource: PriceSource
})
export type RequestRecord = typeof RequestRecord.Type
