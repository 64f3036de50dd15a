/** Totals of usage groups and how money, times and routes read: one row per case. Unknown prices never read as $0. */
import { assert, describe, it } from "@effect/vitest"
import type { UsageGroup } from "../../src/usage/Ledger.ts"
import { costText, dollars, durationText, requestCostText, routeText, usageTotals } from "../../src/usage/UsageReport.ts"
import { requestRow } from "../support/CannedLedger.ts"

const group = (name: string | null, requests: number, costUsd: number, unpriced: number, p50Ms: number | null = 100): UsageGroup => ({
  group: name,
  requests,
  errors: 1,
  tokens: { input: 10, output: 5, cachedRead: 2, cacheWrite: 1, reasoning: 0 },
  costUsd,
  unpriced,
  p50Ms,
  p95Ms: p50Ms,
  ttftP50Ms: p50Ms
})

describe("usageTotals", () => {
  it("sums counts, tokens, known cost and unpriced requests; percentiles only from a single group", () => {
    assert.deepStrictEqual(usageTotals([group("a", 3, 0.5, 0), group("b", 2, 0.25, 2)]), {
      requests: 5,
      errors: 2,
      tokens: { input: 20, output: 10, cachedRead: 4, cacheWrite: 2, reasoning: 0 },
      costUsd: 0.75,
      unpriced: 2,
      p50Ms: null,
      p95Ms: null,
      ttftP50Ms: null
    })
    assert.strictEqual(usageTotals([group("a", 3, 0.5, 0, 420)]).p50Ms, 420)
    assert.deepStrictEqual(usageTotals([]).requests, 0)
  })
})

describe("costText", () => {
  it.each([
    [{ costUsd: 1.234, unpriced: 0, requests: 4 }, "$1.23"],
    [{ costUsd: 0.0123, unpriced: 0, requests: 4 }, "$0.0123"],
    [{ costUsd: 0, unpriced: 0, requests: 4 }, "$0.00"],
    [{ costUsd: 0, unpriced: 0, requests: 0 }, "$0.00"],
    [{ costUsd: 0.5, unpriced: 1, requests: 4 }, "≥ $0.5000 (1 unpriced)"],
    [{ costUsd: 0, unpriced: 4, requests: 4 }, "price unknown"]
  ])("%j → %s", (figures, text) => {
    assert.strictEqual(costText(figures), text)
  })
  it.each([[null, "price unknown"], [0, "$0.00"], [0.00042, "$0.0004"], [12.5, "$12.50"]] as const)("one request: %s → %s", (cost, text) => {
    assert.strictEqual(requestCostText(cost), text)
  })
  it.each([[1, "$1.00"], [0, "$0.00"], [0.0123, "$0.0123"], [0.00005, "$0.0001"], [0.0000026, "< $0.0001"]] as const)("dollars: %s → %s", (usd, text) => {
    assert.strictEqual(dollars(usd), text)
  })
})

describe("durationText", () => {
  it.each([[null, "–"], [0, "0 ms"], [840, "840 ms"], [2400, "2.40 s"], [12_345, "12.3 s"], [65_000, "1 min 5 s"]] as const)("%s → %s", (ms, text) => {
    assert.strictEqual(durationText(ms), text)
  })
})

describe("routeText", () => {
  const at = { id: "r", startedAt: 0 }
  it.each([
    [requestRow(at), "openai/gpt-4.1-mini via openai"],
    [requestRow({ ...at, requestedModel: "gpt-4.1-mini" }), "gpt-4.1-mini → openai/gpt-4.1-mini via openai"],
    [requestRow({ ...at, requestedModel: "smart", virtualModel: "smart" }), "smart → openai/gpt-4.1-mini via openai"],
    [requestRow({ ...at, requestedModel: "nope", model: null, provider: null }), "nope (no provider reached)"],
    [requestRow({ ...at, requestedModel: null, model: null, provider: null }), "? (no provider reached)"]
  ])("%#: %s", (row, text) => {
    assert.strictEqual(routeText(row), text)
  })
})
