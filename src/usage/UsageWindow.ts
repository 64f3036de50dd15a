/**
 * The time window and grouping of a usage question, as people type them: `switchboard usage
 * --since 24h --by model`, `GET /admin/usage?since=7d&by=day`, the page's window picker. One parser
 * for the three, so `7d` means the same everywhere. Pure: `now` is given.
 *
 * A time is a span back from now (`30m`, `24h`, `7d`, `2w`), a UTC date (`2026-12-01`, its
 * midnight), an ISO 8601 time with its zone (`2026-12-01T09:00:00Z`) or Unix milliseconds.
 */
import { Result } from "effect"
import { GroupBy } from "./Ledger.ts"

/** The window when none is asked for: the last day. */
export const DEFAULT_SINCE = "24h"
export const DEFAULT_BY: GroupBy = "model"

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const UNITS: Readonly<Record<string, number>> = { m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY }

/** Where a window ends when nothing says: now. */
export interface UsageWindow {
  /** Unix milliseconds, inclusive. */
  readonly since: number
  /** Unix milliseconds, exclusive. */
  readonly until: number
}

/** A refused value: which parameter (`since`, `until`, `by`, `limit`…) and why, in words the user can act on. */
export interface WindowProblem {
  readonly param: string
  readonly message: string
}

const HOW = "use a span back from now (30m, 24h, 7d, 2w), a date (2026-12-01), an ISO time (2026-12-01T09:00:00Z) or Unix milliseconds"

/** One time, as typed, in Unix milliseconds. */
export const parseInstant = (text: string, now: number): Result.Result<number, string> => {
  const trimmed = text.trim()
  const span = /^(\d+)\s*([mhdw])$/.exec(trimmed)
  if (span !== null) return Result.succeed(now - Number(span[1]) * UNITS[span[2]!]!)
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed)
  if (date !== null) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])]
    const at = Date.UTC(year, month - 1, day)
    // Date.UTC rolls 2026-02-31 over into March: a date that is not one is refused instead.
    const back = new Date(at)
    return back.getUTCMonth() === month - 1 && back.getUTCDate() === day
      ? Result.succeed(at)
      : Result.fail(`"${trimmed}" is not a date`)
  }
  if (/^\d{10,}$/.test(trimmed)) return Result.succeed(Number(trimmed))
  // An ISO time must say its zone: a bare local time would mean different instants on the server and the CLI's machine.
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) {
    const at = Date.parse(trimmed)
    if (!Number.isNaN(at)) return Result.succeed(at)
  }
  return Result.fail(`"${trimmed}" is not a time: ${HOW}`)
}

export const parseGroupBy = (text: string): Result.Result<GroupBy, string> => {
  const found = GroupBy.literals.find((literal) => literal === text.trim())
  return found === undefined
    ? Result.fail(`"${text}" is not a grouping: use one of ${GroupBy.literals.join(", ")}`)
    : Result.succeed(found)
}

/** `since` (default 24 h ago) and `until` (default now) as typed; `since` must come first. */
export const parseWindow = (
  input: { readonly since?: string | undefined; readonly until?: string | undefined },
  now: number
): Result.Result<UsageWindow, WindowProblem> => {
  const since = parseInstant(input.since ?? DEFAULT_SINCE, now)
  if (Result.isFailure(since)) return Result.fail({ param: "since", message: `since: ${since.failure}` })
  const until = input.until === undefined ? Result.succeed(now) : parseInstant(input.until, now)
  if (Result.isFailure(until)) return Result.fail({ param: "until", message: `until: ${until.failure}` })
  return since.success < until.success
    ? Result.succeed({ since: since.success, until: until.success })
    : Result.fail({ param: "since", message: `since (${new Date(since.success).toISOString()}) must be before until (${new Date(until.success).toISOString()})` })
}

/** How many requests a listing shows when not told, and at most. */
const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500

export const parseLimit = (text: string | undefined): Result.Result<number, WindowProblem> => {
  if (text === undefined) return Result.succeed(DEFAULT_LIMIT)
  const trimmed = text.trim()
  return /^\d+$/.test(trimmed) && Number(trimmed) >= 1 && Number(trimmed) <= MAX_LIMIT
    ? Result.succeed(Number(trimmed))
    : Result.fail({ param: "limit", message: `limit: "${text}" is not a whole number from 1 to ${MAX_LIMIT}` })
}

/** The time buckets a chart of `window` uses: hours up to two days, days beyond (a week of hours is 168 thin bars). */
export type Bucket = "hour" | "day"

export const bucketFor = (window: UsageWindow): Bucket => window.until - window.since <= 2 * DAY ? "hour" : "day"

const BUCKET_MS: Readonly<Record<Bucket, number>> = { hour: HOUR, day: DAY }

/**
 * The start of every bucket of `window`, oldest first: a chart shows the buckets without requests
 * as zero rather than skipping them.
 */
export const bucketStarts = (window: UsageWindow, bucket: Bucket): ReadonlyArray<number> => {
  const size = BUCKET_MS[bucket]
  const starts: Array<number> = []
  for (let start = Math.floor(window.since / size) * size; start < window.until; start += size) starts.push(start)
  return starts
}

/**
 * The start of the bucket a ledger group names (`2026-12-06`, or an hour: `2026-12-06T14`,
 * `2026-12-06T14:00`, `2026-12-06 14:00:00Z`: the date and hour are read, the rest ignored), or
 * null for a name that is not one.
 */
export const bucketStart = (group: string | null): number | null => {
  const parts = group === null ? null : /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}))?/.exec(group)
  return parts === null ? null : Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]), Number(parts[4] ?? 0))
}
