/**
 * What a usage answer adds up and how its money reads, for the admin API (`GET /admin/usage`),
 * the CLI's table and the page. Pure; imports only `effect` types, so the page bundles it.
 *
 * Unknown stays unknown: a total holding requests of unknown price is a lower bound and says so
 * ("≥ $1.20 (3 unpriced)"), and one that holds only such requests is "price unknown" — never $0.
 */
import type { UsageGroup } from "./Ledger.ts"
import type { RequestRecord } from "./RequestRecord.ts"

/** A group's figures without its name. */
export type UsageFigures = Omit<UsageGroup, "group">

/**
 * The sums of `groups`. Percentiles do not add up: the totals have a group's own when there is
 * exactly one group, else null (unknown, shown as such) rather than a made-up blend.
 */
export const usageTotals = (groups: ReadonlyArray<UsageGroup>): UsageFigures => {
  const sum = (f: (group: UsageGroup) => number) => groups.reduce((total, group) => total + f(group), 0)
  const only = groups.length === 1 ? groups[0] : undefined
  return {
    requests: sum((g) => g.requests),
    errors: sum((g) => g.errors),
    tokens: {
      input: sum((g) => g.tokens.input),
      output: sum((g) => g.tokens.output),
      cachedRead: sum((g) => g.tokens.cachedRead),
      cacheWrite: sum((g) => g.tokens.cacheWrite),
      reasoning: sum((g) => g.tokens.reasoning)
    },
    costUsd: sum((g) => g.costUsd),
    unpriced: sum((g) => g.unpriced),
    p50Ms: only?.p50Ms ?? null,
    p95Ms: only?.p95Ms ?? null,
    ttftP50Ms: only?.ttftP50Ms ?? null
  }
}

/**
 * Dollars: cents from $1 up, four decimals below (one request often costs a fraction of a cent),
 * and a known cost too small for four decimals as such, never as $0.0000.
 */
export const dollars = (usd: number): string =>
  usd === 0 || usd >= 1 ? `$${usd.toFixed(2)}` : usd > 0 && usd < 0.00005 ? "< $0.0001" : `$${usd.toFixed(4)}`

/** A sum's cost: exact, a lower bound when some requests have no known price, or unknown when none has. */
export const costText = (figures: { readonly costUsd: number; readonly unpriced: number; readonly requests: number }): string =>
  figures.unpriced === 0
    ? dollars(figures.costUsd)
    : figures.unpriced >= figures.requests
    ? "price unknown"
    : `≥ ${dollars(figures.costUsd)} (${figures.unpriced} unpriced)`

/** One request's cost. */
export const requestCostText = (costUsd: number | null): string => costUsd === null ? "price unknown" : dollars(costUsd)

/** Milliseconds as people read them: `840 ms`, `2.4 s`, `1 min 5 s`. */
export const durationText = (ms: number | null): string => {
  if (ms === null) return "–"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
}

/** A token count, grouped by thousands: `12,345`. */
export const countText = (n: number | null): string => n === null ? "–" : n.toLocaleString("en-US")

/** `requested → served via provider`, or just what was served when it is what was asked for. */
export const routeText = (row: RequestRecord): string => {
  const asked = row.requestedModel ?? "?"
  if (row.model === null) return `${asked} (no provider reached)`
  const served = row.model === asked ? row.model : `${asked} → ${row.model}`
  return row.provider === null ? served : `${served} via ${row.provider}`
}
