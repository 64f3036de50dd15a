/** The chat's pure helpers, as tables: its number settings (web/src/ChatSettingRanges.ts) and titles from a first message (web/src/Conversations.ts). */
import { describe, expect, it } from "vitest"
import { MAX_TOKENS, parseSetting, TEMPERATURE } from "../../web/src/ChatSettingRanges.ts"
import { titleFrom } from "../../web/src/Conversations.ts"

describe("parseSetting", () => {
  it.each([
    ["empty: the model's default", "", MAX_TOKENS, null],
    ["blanks: the model's default", "  ", TEMPERATURE, null],
    ["a whole number", "256", MAX_TOKENS, 256],
    ["a fraction where whole numbers are wanted", "2.5", MAX_TOKENS, undefined],
    ["below the range", "0", MAX_TOKENS, undefined],
    ["a fraction in range", "0.7", TEMPERATURE, 0.7],
    ["the range's ends", "2", TEMPERATURE, 2],
    ["above the range", "2.1", TEMPERATURE, undefined],
    ["a trailing point", "0.", TEMPERATURE, 0],
    ["not a number", "warm", TEMPERATURE, undefined]
  ] as const)("%s", (_, text, range, expected) => {
    expect(parseSetting(text, range)).toBe(expected)
  })
})

describe("titleFrom", () => {
  it.each([
    ["a short message", "Hello there", "Hello there"],
    ["its first line only", "  Fix this\nconst x = 1", "Fix this"],
    ["cut at a word near 40 characters", "Explain the difference between processes and threads in detail", "Explain the difference between…"],
    ["cut hard without a late space", "Supercalifragilisticexpialidocious-and-then-some-more", "Supercalifragilisticexpialidocious-and-t…"]
  ])("%s", (_, text, expected) => {
    expect(titleFrom(text)).toBe(expected)
  })
})
