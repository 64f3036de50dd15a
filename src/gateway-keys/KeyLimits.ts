/**
 * The limits a gateway key may carry, as values: requests and tokens per minute, dollars per UTC
 * day and month. Pure — the windows counters are kept in, whether a request fits, the limit it
 * would break and when to try again — so the store (`BudgetStore.ts`) only counts, and the rules
 * have one table-tested definition.
 *
 * Windows are fixed and aligned (the minute, the UTC day, the UTC month), not sliding: a counter
 * is one row per key and window, which a database can update atomically with one conditional
 * `UPDATE`; a sliding window would need a row per request.
 */
import { Schema } from "effect"

/** Every limit is optional; an absent one does not limit. */
export const KeyLimits = Schema.Struct({
  /** Requests per minute. */
  rpm: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0)))),
  /** Tokens (input + output, estimated before the call, real after) per minute. */
  tpm: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0)))),
  /** US dollars per UTC day. Never applied to local models, which cost nothing. */
  budgetUsdDay: Schema.optionalKey(Schema.Finite.pipe(Schema.check(Schema.isGreaterThan(0)))),
  /** US dollars per UTC calendar month. */
  budgetUsdMonth: Schema.optionalKey(Schema.Finite.pipe(Schema.check(Schema.isGreaterThan(0))))
})
export type KeyLimits = typeof KeyLimits.Type

export const LIMIT_NAMES = ["rpm", "tpm", "budgetUsdDay", "budgetUsdMonth"] as const
export type LimitName = typeof LIMIT_NAMES[number]

/** Whether any limit is set. */
export const hasAny = (limits: KeyLimits | undefined): boolean =>
  limits !== undefined && LIMIT_NAMES.some((name) => limits[name] !== undefined)

/**
 * A change to a key's limits: a number sets one, `null` clears it, an absent field keeps it.
 * What `keys edit` and `PATCH /admin/keys/{id}` send.
 */
export const LimitsChange = Schema.Struct({
  rpm: Schema.optionalKey(Schema.NullOr(KeyLimits.fields.rpm.schema)),
  tpm: Schema.optionalKey(Schema.NullOr(KeyLimits.fields.tpm.schema)),
  budgetUsdDay: Schema.optionalKey(Schema.NullOr(KeyLimits.fields.budgetUsdDay.schema)),
  budgetUsdMonth: Schema.optionalKey(Schema.NullOr(KeyLimits.fields.budgetUsdMonth.schema))
})
export type LimitsChange = typeof LimitsChange.Type

export const applyChange = (limits: KeyLimits | undefined, change: LimitsChange): KeyLimits => {
  const next: { -readonly [K in LimitName]?: KeyLimits[K] } = { ...limits }
  for (const name of LIMIT_NAMES) {
    const value = change[name]
    if (value === null) delete next[name]
    else if (value !== undefined) next[name] = value
  }
  return next
}

// --- Windows -------------------------------------------------------------------------------------

export const WINDOW_KINDS = ["minute", "day", "month"] as const
export type WindowKind = typeof WINDOW_KINDS[number]

/** When the window of `kind` holding `at` (Unix ms) starts, Unix ms (UTC). */
export const windowStart = (kind: WindowKind, at: number): number => {
  switch (kind) {
    case "minute":
      return at - (at % 60_000)
    case "day":
      return at - (at % 86_400_000)
    case "month": {
      const date = new Date(at)
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
    }
  }
}

/** When the window of `kind` holding `at` ends (the next one's start), Unix ms. */
export const windowEnd = (kind: WindowKind, at: number): number => {
  switch (kind) {
    case "minute":
      return windowStart(kind, at) + 60_000
    case "day":
      return windowStart(kind, at) + 86_400_000
    case "month": {
      const date = new Date(at)
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
    }
  }
}

/** Whole seconds until the window of `kind` holding `at` ends: what `retry-after` says (at least 1). */
export const retryAfterSeconds = (kind: WindowKind, at: number): number => Math.max(1, Math.ceil((windowEnd(kind, at) - at) / 1000))

// --- Counters and the decision -------------------------------------------------------------------

/** What one key used in one window. `reservedUsd` is held by requests not settled yet. */
export interface Counter {
  readonly requests: number
  readonly tokens: number
  readonly spentUsd: number
  readonly reservedUsd: number
}

export const emptyCounter: Counter = { requests: 0, tokens: 0, spentUsd: 0, reservedUsd: 0 }

/** What a request is expected to use, before the call. */
export interface Estimate {
  readonly tokens: number
  /** Dollars; 0 for a local model or an unknown price (nothing can be reserved for it). */
  readonly costUsd: number
  /** A local model: dollar budgets do not apply (it costs nothing), rates do. */
  readonly local: boolean
}

/** The limit a refusal names, as the 429's message and the `LimitExceeded` error say it. */
export type Exceeded = "rpm" | "tpm" | "budget_day" | "budget_month"

/** The limits the window of `kind` enforces, for a request that is or is not local. */
export interface WindowLimits {
  readonly requests: number | null
  readonly tokens: number | null
  readonly usd: number | null
}

export const windowLimits = (limits: KeyLimits, kind: WindowKind, local: boolean): WindowLimits => {
  switch (kind) {
    case "minute":
      return { requests: limits.rpm ?? null, tokens: limits.tpm ?? null, usd: null }
    case "day":
      return { requests: null, tokens: null, usd: local ? null : limits.budgetUsdDay ?? null }
    case "month":
      return { requests: null, tokens: null, usd: local ? null : limits.budgetUsdMonth ?? null }
  }
}

/**
 * The limit a request would break in one window, or undefined when it fits. A budget already
 * used up refuses even a request whose cost could not be estimated (an unknown price reserves
 * nothing, but must not slip past an exhausted budget). A single request larger than the whole
 * tokens-per-minute limit is let through on an empty minute, or it could never run.
 */
export const exceededIn = (kind: WindowKind, limits: WindowLimits, counter: Counter, estimate: Estimate): Exceeded | undefined => {
  if (limits.requests !== null && counter.requests + 1 > limits.requests) return "rpm"
  if (limits.tokens !== null && counter.tokens > 0 && counter.tokens + estimate.tokens > limits.tokens) return "tpm"
  if (limits.usd !== null) {
    const used = counter.spentUsd + counter.reservedUsd
    if (used >= limits.usd || used + estimate.costUsd > limits.usd) return kind === "month" ? "budget_month" : "budget_day"
  }
  return undefined
}

/** What is said when a request is refused: which limit, its value, when to retry. */
export const refusalMessage = (exceeded: Exceeded, limits: KeyLimits, retryAfter: number): string => {
  const when = `retry in ${retryAfter} s`
  switch (exceeded) {
    case "rpm":
      return `this gateway key's limit of ${limits.rpm} requests per minute is reached: ${when}`
    case "tpm":
      return `this gateway key's limit of ${limits.tpm} tokens per minute is reached: ${when}`
    case "budget_day":
      return `this gateway key's budget of $${limits.budgetUsdDay} per day (UTC) is spent: ${when}, or use a local model`
    case "budget_month":
      return `this gateway key's budget of $${limits.budgetUsdMonth} per month (UTC) is spent: ${when}, or use a local model`
  }
}

/** The window kind a refusal's limit is counted in, for its `retry-after`. */
export const windowOf = (exceeded: Exceeded): WindowKind =>
  exceeded === "budget_month" ? "month" : exceeded === "budget_day" ? "day" : "minute"

// --- The estimate ----------------------------------------------------------------------------------

/** The output reserved for a request that sets no maximum. */
export const DEFAULT_OUTPUT_TOKENS = 1024

/**
 * Tokens a request may use, before the call: its input at about 4 characters a token (of the
 * body's text, an over-estimate since the JSON's syntax counts too), plus the output it allows
 * (`max_tokens`, `max_output_tokens` or `max_completion_tokens`, else `DEFAULT_OUTPUT_TOKENS`).
 * Both are replaced by the real counts when the answer ends.
 */
export const estimateTokens = (bodyText: string, body: Readonly<Record<string, unknown>>): { readonly input: number; readonly output: number } => {
  const declared = [body["max_completion_tokens"], body["max_output_tokens"], body["max_tokens"]].find(
    (value): value is number => typeof value === "number" && Number.isFinite(value) && value > 0
  )
  return { input: Math.ceil(bodyText.length / 4), output: declared === undefined ? DEFAULT_OUTPUT_TOKENS : Math.ceil(declared) }
}
