/** The colour rules (https://no-color.org, FORCE_COLOR, TERM=dumb), one row per case. */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { colourAllowed } from "../../src/cli/Table.ts"

const settings = (noColor?: string, forceColor?: string, term?: string) => ({
  noColor: Option.fromNullishOr(noColor),
  forceColor: Option.fromNullishOr(forceColor),
  term: Option.fromNullishOr(term)
})

describe("colourAllowed", () => {
  it.each([
    ["a terminal", true, settings(), true],
    ["a pipe", false, settings(), false],
    ["a dumb terminal", true, settings(undefined, undefined, "dumb"), false],
    ["NO_COLOR on a terminal", true, settings("1"), false],
    ["FORCE_COLOR on a pipe", false, settings(undefined, "1"), true],
    ["FORCE_COLOR=0 on a pipe", false, settings(undefined, "0"), false],
    ["NO_COLOR beats FORCE_COLOR", false, settings("1", "1"), false]
  ] as const)("%s", (_, isTTY, given, expected) => {
    assert.strictEqual(colourAllowed(isTTY, given), expected)
  })
})
