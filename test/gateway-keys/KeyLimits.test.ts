import { describe, expect, it } from "vitest"
import {
  applyChange,
  type Counter,
  emptyCounter,
  estimateTokens,
  exceededIn,
  type KeyLimits,
  retryAfterSeconds,
  type WindowKind,
  windowEnd,
  windowLimits,
  windowStart
} from "../../src/gateway-keys/KeyLimits.ts"

const at = Date.UTC(2026, 11, 31, 23, 59, 30, 250)

describe("KeyLimits windows", () => {
  it.each<[WindowKind, number, number, number]>([
    ["minute", Date.UTC(2026, 11, 31, 23, 59), Date.UTC(2027, 0, 1, 0, 0), 30],
    ["day", Date.UTC(2026, 11, 31), Date.UTC(2027, 0, 1), 30],
    ["month", Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1), 30]
  ])("%s: start, end (across a year), retry-after", (kind, start, end, retry) => {
    expect(windowStart(kind, at)).toBe(start)
    expect(windowEnd(kind, at)).toBe(end)
    expect(retryAfterSeconds(kind, at)).toBe(retry)
  })

  it("retry-after is at least a second", () => {
    expect(retryAfterSeconds("minute", Date.UTC(2026, 0, 1, 0, 0, 59, 999))).toBe(1)
    expect(retryAfterSeconds("minute", Date.UTC(2026, 0, 1, 0, 1, 0, 0))).toBe(60)
  })
})

const limits: KeyLimits = { rpm: 2, tpm: 1000, budgetUsdDay: 1, budgetUsdMonth: 10 }
const counter = (c: Partial<Counter>): Counter => ({ ...emptyCounter, ...c })
const remote = (tokens: number, costUsd: number) => ({ tokens, costUsd, local: false })
const local = (tokens: number) => ({ tokens, costUsd: 0, local: true })

describe("exceededIn", () => {
  it.each<[string, WindowKind, Counter, ReturnType<typeof remote>, string | undefined]>([
    ["a first request", "minute", emptyCounter, remote(10, 0.1), undefined],
    ["the last request the rpm allows", "minute", counter({ requests: 1, tokens: 10 }), remote(10, 0), undefined],
    ["one request over the rpm", "minute", counter({ requests: 2, tokens: 10 }), remote(10, 0), "rpm"],
    ["rpm counts local requests too", "minute", counter({ requests: 2 }), local(1), "rpm"],
    ["tokens that fit", "minute", counter({ requests: 1, tokens: 500 }), remote(500, 0), undefined],
    ["tokens over the tpm", "minute", counter({ requests: 1, tokens: 500 }), remote(501, 0), "tpm"],
    ["one request larger than the tpm on an empty minute", "minute", emptyCounter, remote(5000, 0), undefined],
    ["a cost that fits the day", "day", counter({ spentUsd: 0.5, reservedUsd: 0.25 }), remote(1, 0.25), undefined],
    ["a cost over the day", "day", counter({ spentUsd: 0.5, reservedUsd: 0.25 }), remote(1, 0.26), "budget_day"],
    ["a spent day refuses an unknown price (0 reserved)", "day", counter({ spentUsd: 1 }), remote(1, 0), "budget_day"],
    ["a spent day never refuses a local model", "day", counter({ spentUsd: 5 }), local(1), undefined],
    ["a spent month", "month", counter({ spentUsd: 9.99 }), remote(1, 0.02), "budget_month"],
    ["a spent month never refuses a local model", "month", counter({ spentUsd: 10 }), local(1), undefined],
    ["the day window has no rpm", "day", counter({ requests: 100 }), remote(1, 0), undefined]
  ])("%s", (_name, kind, used, estimate, expected) => {
    expect(exceededIn(kind, windowLimits(limits, kind, estimate.local), used, estimate)).toBe(expected)
  })

  it("no limits: nothing is exceeded", () => {
    for (const kind of ["minute", "day", "month"] as const) {
      expect(exceededIn(kind, windowLimits({}, kind, false), counter({ requests: 1e9, tokens: 1e9, spentUsd: 1e9 }), remote(1e9, 1e9))).toBeUndefined()
    }
  })
})

describe("applyChange", () => {
  it.each<[string, KeyLimits | undefined, Parameters<typeof applyChange>[1], KeyLimits]>([
    ["sets on none", undefined, { rpm: 5 }, { rpm: 5 }],
    ["keeps what is not named", { rpm: 5, tpm: 10 }, { tpm: 20 }, { rpm: 5, tpm: 20 }],
    ["null clears", { rpm: 5, budgetUsdDay: 2 }, { budgetUsdDay: null }, { rpm: 5 }],
    ["clearing all leaves none", { rpm: 5 }, { rpm: null }, {}]
  ])("%s", (_name, before, change, after) => {
    expect(applyChange(before, change)).toEqual(after)
  })
})

describe("estimateTokens", () => {
  it.each<[string, Record<string, unknown>, number]>([
    ["max_tokens", { max_tokens: 100 }, 100],
    ["max_output_tokens", { max_output_tokens: 50 }, 50],
    ["max_completion_tokens wins", { max_completion_tokens: 7, max_tokens: 100 }, 7],
    ["none: the default", {}, 1024],
    ["not a number: the default", { max_tokens: "lots" }, 1024]
  ])("%s", (_name, body, output) => {
    const text = "x".repeat(400)
    expect(estimateTokens(text, body)).toEqual({ input: 100, output })
  })
})
