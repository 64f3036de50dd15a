/** The virtual models' section's wording (web/src/VirtualModelText.ts), as tables. */
import { describe, expect, it } from "vitest"
import type { BreakerStatus, TargetStatus } from "../../src/admin/AdminApi.ts"
import { availability, breakerText, conditionText, defaultsText, servingText } from "../../web/src/VirtualModelText.ts"

const breaker = (state: BreakerStatus["state"], failures = 0, open_until: string | null = null): BreakerStatus =>
  ({ state, failures, open_until, last_failure: null })

const target = (patch: Partial<TargetStatus>): TargetStatus => ({
  model: "a/m",
  weight: 1,
  serves: "a/m",
  provider: "a",
  provider_state: "connected",
  breaker: breaker("closed"),
  available: true,
  ...patch
})

describe("conditionText", () => {
  it.each([
    ["no condition", {}, "every request"],
    ["the caller's format", { format: "anthropic" as const }, "Anthropic Messages callers"],
    ["all of them", {
      format: "openai" as const,
      tools: true,
      images: false,
      thinking: true,
      minInputTokens: 32000,
      header: { name: "x-task", value: "background" }
    }, "OpenAI Chat callers, with tools, without images, thinking requested, over 32000 input tokens, header x-task: background"],
    ["no tools, no thinking", { tools: false, thinking: false }, "without tools, no thinking requested"]
  ])("%s", (_, when, expected) => {
    expect(conditionText(when)).toBe(expected)
  })
})

describe("defaultsText", () => {
  it.each([
    ["none", null, ""],
    ["empty", {}, ""],
    ["some", { max_tokens: 512, temperature: 0.2 }, "temperature 0.2 · max_tokens 512"],
    ["all", { temperature: 1, top_p: 0.9, max_tokens: 8 }, "temperature 1 · top_p 0.9 · max_tokens 8"]
  ])("%s", (_, defaults, expected) => {
    expect(defaultsText(defaults)).toBe(expected)
  })
})

describe("breakerText", () => {
  const at = (iso: string) => `<${iso}>`
  it.each([
    ["closed, no failure", breaker("closed"), "breaker closed"],
    ["closed after one failure", breaker("closed", 1), "breaker closed, 1 failure in a row"],
    ["closed after two", breaker("closed", 2), "breaker closed, 2 failures in a row"],
    ["open", breaker("open", 1, "2026-01-01T00:00:20.000Z"), "breaker open until <2026-01-01T00:00:20.000Z>"],
    ["open, no time", breaker("open", 1), "breaker open"],
    ["half-open", breaker("half_open", 2), "breaker half-open: the next request probes it"]
  ])("%s", (_, status, expected) => {
    expect(breakerText(status, at)).toBe(expected)
  })
})

describe("servingText", () => {
  it.each([
    ["served as named", target({}), "served by a (connected)"],
    ["a bare id served by one provider", target({ model: "m", serves: "a/m" }), "served by a (connected) as a/m"],
    ["its provider not connected", target({ serves: null, provider_state: "error", available: false }), "not served: a (error)"],
    ["no such provider", target({ serves: null, provider_state: null, available: false }), "not served: a (no such provider)"],
    ["a bare id nobody serves", target({ model: "m", serves: null, provider: null, provider_state: null }), "no connected provider serves it"]
  ])("%s", (_, status, expected) => {
    expect(servingText(status)).toBe(expected)
  })
})

describe("availability", () => {
  it.each([
    ["one target, up", [target({})], { level: "all", text: "its target is available" }],
    ["all up", [target({}), target({})], { level: "all", text: "all 2 targets available" }],
    ["some", [target({}), target({ available: false }), target({})], { level: "some", text: "2 of 3 targets available" }],
    ["none", [target({ available: false })], { level: "none", text: "no target available" }]
  ])("%s", (_, targets, expected) => {
    expect(availability(targets)).toEqual(expected)
  })
})

