/** The window and grouping parser the CLI, the admin API and the page share, one row per case. */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { GroupBy } from "../../src/usage/Ledger.ts"
import { bucketFor, bucketStart, bucketStarts, parseGroupBy, parseInstant, parseLimit, parseWindow } from "../../src/usage/UsageWindow.ts"

const NOW = Date.parse("2026-12-06T14:30:00Z")
const HOUR = 3_600_000

describe("parseInstant", () => {
  it.each([
    ["30m", NOW - 30 * 60_000],
    ["24h", NOW - 24 * HOUR],
    [" 7d ", NOW - 7 * 24 * HOUR],
    ["2w", NOW - 14 * 24 * HOUR],
    ["0h", NOW],
    ["2026-12-01", Date.parse("2026-12-01T00:00:00Z")],
    ["2026-12-01T09:15:00Z", Date.parse("2026-12-01T09:15:00Z")],
    ["2026-12-01T09:15:00+02:00", Date.parse("2026-12-01T07:15:00Z")],
    ["1733443200000", 1733443200000]
  ])("%s", (text, expected) => {
    assert.deepStrictEqual(parseInstant(text, NOW), Result.succeed(expected))
  })

  it.each([
    ["yesterday", "is not a time"],
    ["24", "is not a time"],
    ["24y", "is not a time"],
    ["-1h", "is not a time"],
    ["2026-02-31", "is not a date"],
    ["2026-13-01", "is not a date"],
    // No zone: the server's and the CLI's clocks may be in different zones.
    ["2026-12-01T09:15:00", "is not a time"],
    ["", "is not a time"]
  ])("refuses %j", (text, reason) => {
    const result = parseInstant(text, NOW)
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) assert.include(result.failure, reason)
  })
})

describe("parseWindow", () => {
  it.each([
    [{}, { since: NOW - 24 * HOUR, until: NOW }],
    [{ since: "7d" }, { since: NOW - 7 * 24 * HOUR, until: NOW }],
    [{ since: "2026-12-01", until: "2026-12-02" }, { since: Date.parse("2026-12-01T00:00:00Z"), until: Date.parse("2026-12-02T00:00:00Z") }],
    [{ since: "48h", until: "24h" }, { since: NOW - 48 * HOUR, until: NOW - 24 * HOUR }]
  ])("%j", (input, expected) => {
    assert.deepStrictEqual(parseWindow(input, NOW), Result.succeed(expected))
  })

  it.each([
    [{ since: "soon" }, "since"],
    [{ until: "later" }, "until"],
    [{ since: "1h", until: "2h" }, "since"],
    [{ since: "0m" }, "since"]
  ])("refuses %j naming %s", (input, param) => {
    const result = parseWindow(input, NOW)
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) {
      assert.strictEqual(result.failure.param, param)
      assert.isTrue(result.failure.message.startsWith(`${param}`))
    }
  })
})

describe("parseGroupBy", () => {
  it.each(GroupBy.literals)("%s", (by) => {
    assert.deepStrictEqual(parseGroupBy(by), Result.succeed(by))
  })
  it("refuses an unknown grouping, listing the known ones", () => {
    assert.deepStrictEqual(parseGroupBy("week"), Result.fail(`"week" is not a grouping: use one of model, provider, key, day, hour, client, inbound_format`))
  })
})

describe("parseLimit", () => {
  it.each([[undefined, 50], ["1", 1], ["20", 20], ["500", 500]] as const)("%s", (text, expected) => {
    assert.deepStrictEqual(parseLimit(text), Result.succeed(expected))
  })
  it.each(["0", "501", "ten", "2.5", "-3"])("refuses %s", (text) => {
    assert.isTrue(Result.isFailure(parseLimit(text)))
  })
})

describe("buckets", () => {
  it.each([
    [1, "hour"],
    [24, "hour"],
    [48, "hour"],
    [49, "day"],
    [24 * 30, "day"]
  ] as const)("%s hours → %s buckets", (hours, bucket) => {
    assert.strictEqual(bucketFor({ since: NOW - hours * HOUR, until: NOW }), bucket)
  })

  it("lists every bucket of the window from the one holding its start, UTC", () => {
    assert.deepStrictEqual(bucketStarts({ since: NOW - 3 * HOUR, until: NOW }, "hour").map((at) => new Date(at).toISOString()), [
      "2026-12-06T11:00:00.000Z",
      "2026-12-06T12:00:00.000Z",
      "2026-12-06T13:00:00.000Z",
      "2026-12-06T14:00:00.000Z"
    ])
    assert.deepStrictEqual(bucketStarts({ since: NOW - 2 * 24 * HOUR, until: NOW }, "day").map((at) => new Date(at).toISOString().slice(0, 10)), [
      "2026-12-04",
      "2026-12-05",
      "2026-12-06"
    ])
  })

  it.each([
    ["2026-12-06", "2026-12-06T00:00:00.000Z"],
    ["2026-12-06T14", "2026-12-06T14:00:00.000Z"],
    ["2026-12-06T14:00", "2026-12-06T14:00:00.000Z"],
    ["2026-12-06 14:00:00Z", "2026-12-06T14:00:00.000Z"]
  ])("reads the bucket %s", (group, start) => {
    assert.strictEqual(new Date(bucketStart(group)!).toISOString(), start)
  })
  it.each([null, "openai/gpt-4.1", "14:00"])("a group that is no bucket: %s", (group) => {
    assert.isNull(bucketStart(group))
  })
})
