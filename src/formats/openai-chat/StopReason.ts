/**
 * OpenAI `finish_reason` ↔ canonical stop reason.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices (finish_reason)
 */
import type { Finish, StopReason } from "../Canonical.ts"

/** The finish reasons the OpenAI spec defines. */
export type OpenAiFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call"

const toCanonicalTable: Record<OpenAiFinishReason, StopReason> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_calls",
  // The legacy `functions` API; the call itself is carried as a tool call.
  function_call: "tool_calls",
  content_filter: "content_filter"
}

const isKnown = (reason: string): reason is OpenAiFinishReason => Object.hasOwn(toCanonicalTable, reason)

/** An upstream `finish_reason`; anything unknown is `other`, never a normal stop. */
export const toCanonical = (reason: string): Finish => ({
  reason: isKnown(reason) ? toCanonicalTable[reason] : "other",
  raw: reason,
  stopSequence: undefined
})

/**
 * The `finish_reason` for a canonical finish. OpenAI cannot tell a stop sequence from a natural
 * end (both are `stop`); running out of context is a length stop. Reasons OpenAI has no word for
 * (`pause`, `other`) keep the upstream's own value rather than pretend to be `stop`.
 */
export const fromCanonical = (finish: Finish): string => {
  switch (finish.reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "context_window_exceeded":
      return "length"
    case "tool_calls":
      return "tool_calls"
    case "content_filter":
      return "content_filter"
    case "pause":
      return finish.raw ?? "pause_turn"
    case "other":
      return finish.raw ?? "other"
  }
}
