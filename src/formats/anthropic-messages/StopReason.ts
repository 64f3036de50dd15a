/**
 * Anthropic `stop_reason` ↔ canonical stop reason.
 *
 * @see https://docs.anthropic.com/en/api/messages#response-stop-reason
 */
import type { Finish, StopReason } from "../Canonical.ts"

/** The stop reasons the Anthropic API defines. */
export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded"

const toCanonicalTable: Record<AnthropicStopReason, StopReason> = {
  end_turn: "end_turn",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_calls",
  pause_turn: "pause",
  refusal: "content_filter",
  model_context_window_exceeded: "context_window_exceeded"
}

const isKnown = (reason: string): reason is AnthropicStopReason => Object.hasOwn(toCanonicalTable, reason)

/** An upstream `stop_reason` (and the matched `stop_sequence`); anything unknown is `other`. */
export const toCanonical = (reason: string, stopSequence: string | null | undefined): Finish => ({
  reason: isKnown(reason) ? toCanonicalTable[reason] : "other",
  raw: reason,
  stopSequence: stopSequence ?? undefined
})

/** The `stop_reason` for a canonical finish; an `other` keeps the upstream's own value. */
export const fromCanonical = (finish: Finish): string => {
  switch (finish.reason) {
    case "end_turn":
      return "end_turn"
    case "stop_sequence":
      return "stop_sequence"
    case "max_tokens":
      return "max_tokens"
    case "tool_calls":
      return "tool_use"
    case "content_filter":
      return "refusal"
    case "pause":
      return "pause_turn"
    case "context_window_exceeded":
      return "model_context_window_exceeded"
    case "other":
      return finish.raw ?? "other"
  }
}
