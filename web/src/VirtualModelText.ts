/**
 * What the virtual models' section says about a model, in words: when a rule applies, a target's
 * health (is it served, its provider's state, its circuit breaker), the presets, and how much of a
 * model can answer now. Pure, so each wording has a table test (test/web/VirtualModelText.test.ts).
 */
import type { BreakerStatus, TargetStatus } from "../../src/admin/AdminApi.ts"
import type { Condition, Defaults } from "../../src/config/VirtualModelConfig.ts"

const FORMAT_NAMES: Record<NonNullable<Condition["format"]>, string> = {
  openai: "OpenAI Chat callers",
  anthropic: "Anthropic Messages callers",
  responses: "OpenAI Responses callers"
}

/** "Anthropic Messages callers, with tools, over 32000 input tokens"; "every request" for no condition. */
export const conditionText = (when: Condition): string => {
  const parts = [
    when.format === undefined ? "" : FORMAT_NAMES[when.format],
    when.tools === undefined ? "" : when.tools ? "with tools" : "without tools",
    when.images === undefined ? "" : when.images ? "with images" : "without images",
    when.thinking === undefined ? "" : when.thinking ? "thinking requested" : "no thinking requested",
    when.minInputTokens === undefined ? "" : `over ${when.minInputTokens} input tokens`,
    when.header === undefined ? "" : `header ${when.header.name}: ${when.header.value}`
  ].filter((part) => part !== "")
  return parts.length === 0 ? "every request" : parts.join(", ")
}

/** "temperature 0.2 · top_p 0.9 · max_tokens 512", or "" when none is set. */
export const defaultsText = (defaults: Defaults | null): string =>
  defaults === null
    ? ""
    : (["temperature", "top_p", "max_tokens"] as const)
      .flatMap((key) => defaults[key] === undefined ? [] : [`${key} ${defaults[key]}`])
      .join(" · ")

/**
 * A breaker in words. `failures` counts failures in a row while closed, trips in a row while open
 * or half-open; `timeOf` writes an instant (the page: the local time of day).
 */
export const breakerText = (breaker: BreakerStatus, timeOf: (iso: string) => string): string => {
  switch (breaker.state) {
    case "closed":
      return breaker.failures === 0 ? "breaker closed" : `breaker closed, ${breaker.failures} failure${breaker.failures === 1 ? "" : "s"} in a row`
    case "open":
      return breaker.open_until === null ? "breaker open" : `breaker open until ${timeOf(breaker.open_until)}`
    case "half_open":
      return "breaker half-open: the next request probes it"
  }
}

/** Where a target's requests go now: "served by alpha (connected)", or why nothing serves it. */
export const servingText = (target: TargetStatus): string => {
  const provider = target.provider === null ? "" : `${target.provider} (${target.provider_state ?? "no such provider"})`
  if (target.serves === null) return provider === "" ? "no connected provider serves it" : `not served: ${provider}`
  const alias = target.serves === target.model ? "" : ` as ${target.serves}`
  return `served by ${provider === "" ? "a connected provider" : provider}${alias}`
}

export type Availability = "all" | "some" | "none"

/** How many targets can take a request now, as a level (for the color) and in words. */
export const availability = (targets: ReadonlyArray<TargetStatus>): { readonly level: Availability; readonly text: string } => {
  const up = targets.filter((target) => target.available).length
  if (up === 0) return { level: "none", text: "no target available" }
  if (up === targets.length) return { level: "all", text: up === 1 ? "its target is available" : `all ${up} targets available` }
  return { level: "some", text: `${up} of ${targets.length} targets available` }
}

