/**
 * What one request cost, from the most specific price Switchboard has:
 *
 * 1. `upstream` — the cost the upstream reported in its answer (OpenRouter's `usage.cost`, xAI's
 *    `usage.cost_in_usd_ticks`: `AnswerUsage.ts`). What was billed, discounts included.
 * 2. `override` — the provider's `"prices"` entry for the model in remote.json (`ModelPrice`).
 * 3. `table` — the maintained price table of `@pydantic/genai-prices`, for the presets whose
 *    provider it knows (OpenAI, Anthropic, xAI, OpenRouter). Its bundled data only: it is never
 *    told to fetch newer data (`updatePrices`), so pricing never touches the network.
 * 4. `local` — local models and the local engines' presets (Ollama, LM Studio) cost nothing.
 * 5. `unknown` — anything else: `costUsd: null`, shown as "price unknown", never as $0.
 *
 * A known price with unknown tokens (neither input nor output reported) is an unknown cost too.
 * Cached reads, cache writes and reasoning tokens are priced as their provider prices them.
 */
import { calcPrice, type Provider as TableProvider, type Usage as TableUsage } from "@pydantic/genai-prices"
import type { ModelPrice } from "../config/RemoteConfig.ts"
import { LOCAL_PROVIDER_ID } from "../local/LocalProviderId.ts"
import type { PriceSource, Tokens } from "./RequestRecord.ts"

export interface PriceInput {
  readonly providerId: string
  /** The provider's preset id (`src/config/Presets.ts`), `"local"` for local models, undefined when unknown. */
  readonly preset: string | undefined
  /** The model id the provider knows. */
  readonly upstreamModel: string
  readonly tokens: Tokens
  /** US dollars, as the upstream reported them (`AnswerUsage`), or null. */
  readonly reportedCostUsd: number | null
  /** The provider's `"prices"` entry for `upstreamModel`, when it has one that decodes (`modelPrices`). */
  readonly override: ModelPrice | undefined
  /** When the request was made: prices change over time (the table knows when). */
  readonly at: Date
}

export interface Price {
  /** US dollars, or null when unknown. */
  readonly costUsd: number | null
  readonly source: PriceSource
}

const unknown: Price = { costUsd: null, source: "unknown" }
const free: Price = { costUsd: 0, source: "local" }

/**
 * Our presets → the table's provider ids. Venice and custom hosts are not in it (a custom host's
 * model names say nothing of what it charges, so the table is not guessed from them); Ollama and
 * LM Studio run on the user's own machine.
 */
const tableProviders: Readonly<Record<string, string>> = {
  openai: "openai",
  anthropic: "anthropic",
  xai: "x-ai",
  openrouter: "openrouter"
}

/** Presets whose models run on this machine: free. */
const localPresets: ReadonlySet<string> = new Set(["local", "ollama", "lmstudio"])

/** A count as a usable number: a finite count of zero or more, else null (garbage is not a count). */
const count = (value: number | null): number | null => value !== null && Number.isFinite(value) && value >= 0 ? value : null

/**
 * The tokens split into the parts that are priced apart. `input` includes the cache reads and
 * writes and `output` the reasoning (`Tokens`); the parts are clamped so they never exceed their
 * whole. Undefined when neither input nor output is known; a count that is not reported (a stream
 * cut before its final usage) counts 0 when the other is known.
 */
interface Parts {
  readonly input: number
  readonly cachedRead: number
  readonly cacheWrite: number
  readonly output: number
  readonly reasoning: number
}

const partsOf = (tokens: Tokens): Parts | undefined => {
  const input = count(tokens.input)
  const output = count(tokens.output)
  if (input === null && output === null) return undefined
  const inputTotal = input ?? 0
  const outputTotal = output ?? 0
  const cachedRead = Math.min(count(tokens.cachedRead) ?? 0, inputTotal)
  const cacheWrite = Math.min(count(tokens.cacheWrite) ?? 0, inputTotal - cachedRead)
  return { input: inputTotal, cachedRead, cacheWrite, output: outputTotal, reasoning: Math.min(count(tokens.reasoning) ?? 0, outputTotal) }
}

/** An override's prices as rates per token kind: the optional ones fall back to the input or output price. */
const overrideRates = (price: ModelPrice): Rates => ({
  request: 0,
  input: price.inputPerMTok,
  cachedRead: price.cachedInputPerMTok ?? price.inputPerMTok,
  cacheWrite: price.cacheWritePerMTok ?? price.inputPerMTok,
  output: price.outputPerMTok,
  reasoning: price.reasoningPerMTok ?? price.outputPerMTok
})

/**
 * The table's usage: `input_tokens` is the whole prompt, cache reads and writes included, and the
 * cache counts are parts of it (the package's README); `output_reasoning_tokens` is the part of
 * `output_tokens` priced at a reasoning price where a model has one (else at the output price).
 */
const tableUsage = (parts: Parts): TableUsage => ({
  input_tokens: parts.input,
  cache_read_tokens: parts.cachedRead,
  cache_write_tokens: parts.cacheWrite,
  output_tokens: parts.output,
  output_reasoning_tokens: parts.reasoning
})

/**
 * The table's price of one model: its provider narrowed to that model (for `calcPrice`), and —
 * when the model's price is a plain rate per token kind (no tiers by prompt size, no prices that
 * change by date or hour) — that rate per kind, read from the table itself by pricing a million
 * tokens of each kind alone. A cost is then a sum of products, exactly `calcPrice`'s for such a
 * price, without its per-call work (tens of µs: it runs for every request).
 */
interface TableEntry {
  readonly provider: TableProvider
  readonly rates: Rates | undefined
}

/** US dollars per million tokens of each kind, and per request. */
interface Rates {
  readonly request: number
  readonly input: number
  readonly cachedRead: number
  readonly cacheWrite: number
  readonly output: number
  readonly reasoning: number
}

const MILLION = 1_000_000

const ratesOf = (provider: TableProvider, model: string, at: Date): Rates | undefined => {
  const prices = provider.models[0]?.prices
  if (prices === undefined || Array.isArray(prices)) return undefined
  if (!Object.values(prices).every((value) => value === undefined || typeof value === "number")) return undefined
  const cost = (usage: TableUsage) => calcPrice(usage, model, { provider, timestamp: at })?.total_price
  const request = cost({ input_tokens: 0, output_tokens: 0 })
  const input = cost({ input_tokens: MILLION })
  const cachedRead = cost({ input_tokens: MILLION, cache_read_tokens: MILLION })
  const cacheWrite = cost({ input_tokens: MILLION, cache_write_tokens: MILLION })
  const output = cost({ output_tokens: MILLION })
  const reasoning = cost({ output_tokens: MILLION, output_reasoning_tokens: MILLION })
  const all = [request, input, cachedRead, cacheWrite, output, reasoning]
  if (!all.every((value) => value !== undefined && Number.isFinite(value))) return undefined
  return {
    request: request!,
    input: input! - request!,
    cachedRead: cachedRead! - request!,
    cacheWrite: cacheWrite! - request!,
    output: output! - request!,
    reasoning: reasoning! - request!
  }
}

/**
 * Matching a model id runs the provider's match rules over all of its models (OpenRouter has
 * hundreds): done once per model, not per request. Bounded: the ids come from upstream answers
 * and configuration.
 */
const matched = new Map<string, TableEntry | null>()
const MATCHED_LIMIT = 4096

const tableEntry = (providerId: string, model: string, at: Date): TableEntry | null => {
  const key = `${providerId}\u0000${model}`
  const known = matched.get(key)
  if (known !== undefined) return known
  const probe = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId, timestamp: at })
  const provider = probe === null ? null : { ...probe.provider, models: [probe.model] }
  const entry = provider === null ? null : { provider, rates: ratesOf(provider, model, at) }
  if (matched.size >= MATCHED_LIMIT) matched.clear()
  matched.set(key, entry)
  return entry
}

const ratedCost = (rates: Rates, parts: Parts): number =>
  rates.request +
  ((parts.input - parts.cachedRead - parts.cacheWrite) * rates.input +
      parts.cachedRead * rates.cachedRead +
      parts.cacheWrite * rates.cacheWrite +
      (parts.output - parts.reasoning) * rates.output +
      parts.reasoning * rates.reasoning) / MILLION

const tableCost = (providerId: string, model: string, parts: Parts, at: Date): number | null => {
  try {
    const entry = tableEntry(providerId, model, at)
    if (entry === null) return null
    if (entry.rates !== undefined) return ratedCost(entry.rates, parts)
    const result = calcPrice(tableUsage(parts), model, { provider: entry.provider, timestamp: at })
    return result === null || !Number.isFinite(result.total_price) ? null : result.total_price
  } catch {
    // The table refuses usage it finds inconsistent (it throws); that is an unknown price, not a failure.
    return null
  }
}

/** The table's own cost for `tokens` (no rates): what the rates must agree with (tests). */
export const tableCostExact = (preset: string, model: string, tokens: Tokens, at: Date): number | null => {
  const table = tableProviders[preset]
  const parts = partsOf(tokens)
  if (table === undefined || parts === undefined) return null
  const entry = tableEntry(table, model, at)
  if (entry === null) return null
  return calcPrice(tableUsage(parts), model, { provider: entry.provider, timestamp: at })?.total_price ?? null
}

/** What pricing needs of a provider, from remote.json (`PriceBook.ts` keeps them current). */
export interface PricedProvider {
  readonly preset: string | undefined
  readonly prices: ReadonlyMap<string, ModelPrice>
}

/** The preset pricing goes by: `local` for the local models, else the provider's own. */
export const presetOf = (providers: ReadonlyMap<string, PricedProvider>, providerId: string): string | undefined =>
  providerId === LOCAL_PROVIDER_ID ? "local" : providers.get(providerId)?.preset

/** The cost of one request and where its price came from. Pure (the table lookup is memoised). */
export const priceOf = (input: PriceInput): Price => {
  const reported = input.reportedCostUsd
  if (reported !== null && Number.isFinite(reported) && reported >= 0) return { costUsd: reported, source: "upstream" }
  if (input.override !== undefined) {
    const parts = partsOf(input.tokens)
    return parts === undefined ? unknown : { costUsd: ratedCost(overrideRates(input.override), parts), source: "override" }
  }
  const table = input.preset === undefined ? undefined : tableProviders[input.preset]
  if (table !== undefined) {
    const parts = partsOf(input.tokens)
    const cost = parts === undefined ? null : tableCost(table, input.upstreamModel, parts, input.at)
    if (cost !== null) return { costUsd: cost, source: "table" }
  }
  if (input.preset !== undefined && localPresets.has(input.preset)) return free
  return unknown
}
