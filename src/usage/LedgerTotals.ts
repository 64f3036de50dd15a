/**
 * The ledger's arithmetic, pure, shared by its SQL and memory layers so they answer alike: what
 * group a row falls in, percentiles as Postgres's `percentile_cont` computes them, the order
 * groups are listed in, which rows a search matches, the retention cut-off, and whole totals over
 * rows in memory.
 *
 * Unknown stays unknown: a token count a row does not have adds nothing (SQL's SUM skips NULL the
 * same way), a row without a price adds nothing to the cost and counts as `unpriced`.
 */
import type { GroupBy, UsageGroup } from "./Ledger.ts"
import type { RequestRecord } from "./RequestRecord.ts"

/**
 * The `p` quantile (0–1) of ascending `sorted` values, interpolating linearly between the two
 * nearest ranks — `percentile_cont`'s definition, so SQLite's answer (computed here) and
 * Postgres's (computed by Postgres) agree. Null for no values.
 * @see https://www.postgresql.org/docs/current/functions-aggregate.html#FUNCTIONS-ORDEREDSET-TABLE
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null => {
  if (sorted.length === 0) return null
  const position = p * (sorted.length - 1)
  const below = Math.floor(position)
  const above = Math.ceil(position)
  const low = sorted[below]!
  const high = sorted[above]!
  return low + (high - low) * (position - below)
}

/** A UTC bucket: `2026-12-06` for a day, `2026-12-06T14:00:00Z` for an hour (both `Date.parse`-able). */
export const bucketOf = (by: "day" | "hour", startedAt: number): string => {
  const iso = new Date(startedAt).toISOString()
  return by === "day" ? iso.slice(0, 10) : `${iso.slice(0, 13)}:00:00Z`
}

/** The value a row is grouped under; null for "none" (no key, no provider reached, no user agent). */
export const groupOf = (by: GroupBy, record: RequestRecord): string | null => {
  switch (by) {
    case "model":
      return record.model
    case "provider":
      return record.provider
    case "key":
      return record.keyId
    case "client":
      return record.client
    case "inbound_format":
      return record.inboundFormat
    case "day":
    case "hour":
      return bucketOf(by, record.startedAt)
  }
}

/**
 * The order groups are listed in: time buckets oldest first (a chart's order); anything else
 * busiest first, then by name, "none" last among equals.
 */
export const orderGroups = (by: GroupBy, groups: ReadonlyArray<UsageGroup>): ReadonlyArray<UsageGroup> => {
  const byName = (a: UsageGroup, b: UsageGroup) =>
    a.group === b.group ? 0 : a.group === null ? 1 : b.group === null ? -1 : a.group < b.group ? -1 : 1
  return [...groups].sort(by === "day" || by === "hour" ? byName : (a, b) => b.requests - a.requests || byName(a, b))
}

/** The fields a search looks in (`RequestsQuery.search`). */
const searchedFields = (record: RequestRecord): ReadonlyArray<string | null> => [
  record.id,
  record.model,
  record.requestedModel,
  record.virtualModel,
  record.provider,
  record.client,
  record.errorClass
]

/** Whether `record` matches `search`: a case-insensitive substring of one of its searched fields. */
export const matchesSearch = (record: RequestRecord, search: string): boolean => {
  const needle = search.toLowerCase()
  return searchedFields(record).some((field) => field !== null && field.toLowerCase().includes(needle))
}

/** The most rows one `requests` question answers with. */
const MAX_REQUESTS = 1000

/** A `RequestsQuery.limit` made whole and kept within 0…`MAX_REQUESTS`. */
export const clampLimit = (limit: number): number =>
  Number.isFinite(limit) ? Math.max(0, Math.min(MAX_REQUESTS, Math.floor(limit))) : MAX_REQUESTS

/** Rows that started before this (Unix ms) are past retention; undefined when kept forever (0 days). */
export const retentionCutoff = (now: number, retentionDays: number): number | undefined =>
  retentionDays > 0 ? now - retentionDays * 24 * 60 * 60 * 1000 : undefined

/** The sum of the known values, 0 when none is. */
const sumKnown = (values: ReadonlyArray<number | null>): number => values.reduce<number>((sum, value) => sum + (value ?? 0), 0)

const ascending = (values: ReadonlyArray<number | null>): ReadonlyArray<number> =>
  values.filter((value): value is number => value !== null).sort((a, b) => a - b)

/** Totals of rows already chosen (window, key), grouped and ordered as `Ledger.usage` answers. */
export const totalsOf = (by: GroupBy, records: ReadonlyArray<RequestRecord>): ReadonlyArray<UsageGroup> => {
  const groups = new Map<string | null, Array<RequestRecord>>()
  for (const record of records) {
    const group = groupOf(by, record)
    const members = groups.get(group)
    if (members === undefined) groups.set(group, [record])
    else members.push(record)
  }
  return orderGroups(
    by,
    [...groups].map(([group, members]): UsageGroup => {
      const durations = ascending(members.map((record) => record.durationMs))
      return {
        group,
        requests: members.length,
        errors: members.filter((record) => record.outcome === "error").length,
        tokens: {
          input: sumKnown(members.map((record) => record.tokens.input)),
          output: sumKnown(members.map((record) => record.tokens.output)),
          cachedRead: sumKnown(members.map((record) => record.tokens.cachedRead)),
          cacheWrite: sumKnown(members.map((record) => record.tokens.cacheWrite)),
          reasoning: sumKnown(members.map((record) => record.tokens.reasoning))
        },
        costUsd: sumKnown(members.map((record) => record.costUsd)),
        unpriced: members.filter((record) => record.priceSource === "unknown").length,
        p50Ms: percentile(durations, 0.5),
        p95Ms: percentile(durations, 0.95),
        ttftP50Ms: percentile(ascending(members.map((record) => record.ttftMs)), 0.5)
      }
    })
  )
}
