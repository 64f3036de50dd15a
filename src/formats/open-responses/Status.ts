/**
 * Open Responses `status` + `incomplete_details.reason` ↔ canonical finish. A response is
 * `completed` (a natural end, a stop sequence, or tool calls — the calls themselves say so) or
 * `incomplete`, with the reason: `max_output_tokens` or `content_filter`.
 *
 * @see https://www.openresponses.org/reference (ResponseResource.status, IncompleteDetails)
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-incomplete_details
 */
import type { Finish, StopReason } from "../Canonical.ts"

/** The incomplete reasons OpenAI defines. */
export type ResponsesIncompleteReason = "max_output_tokens" | "content_filter"

const incompleteTable: Record<ResponsesIncompleteReason, StopReason> = {
  max_output_tokens: "max_tokens",
  content_filter: "content_filter"
}

const isKnownIncomplete = (reason: string): reason is ResponsesIncompleteReason => Object.hasOwn(incompleteTable, reason)

/**
 * The finish of an upstream response from its status, the incomplete reason, and whether it
 * called tools. Statuses that are no end at all (`in_progress`, `queued`, `cancelled`) and unknown
 * incomplete reasons are `other`, never a normal end.
 */
export const toCanonical = (status: string, incompleteReason: string | null | undefined, hasToolCalls: boolean): Finish => {
  switch (status) {
    case "completed":
      return { reason: hasToolCalls ? "tool_calls" : "end_turn", raw: status, stopSequence: undefined }
    case "incomplete": {
      const reason = incompleteReason ?? undefined
      return {
        reason: reason !== undefined && isKnownIncomplete(reason) ? incompleteTable[reason] : "other",
        raw: reason ?? status,
        stopSequence: undefined
      }
    }
    default:
      return { reason: "other", raw: status, stopSequence: undefined }
  }
}

/** The wire status of a finished response. */
export interface ResponsesStatusOut {
  readonly status: "completed" | "incomplete"
  readonly incomplete_details: { readonly reason: string } | null
}

/**
 * The status for a canonical finish. Running out of context is a token limit; reasons Open
 * Responses has no word for (`pause`, `other`) are `incomplete` with the upstream's own word,
 * rather than pretend to be `completed`.
 */
export const fromCanonical = (finish: Finish): ResponsesStatusOut => {
  const incomplete = (reason: string): ResponsesStatusOut => ({ status: "incomplete", incomplete_details: { reason } })
  switch (finish.reason) {
    case "end_turn":
    case "stop_sequence":
    case "tool_calls":
      return { status: "completed", incomplete_details: null }
    case "max_tokens":
    case "context_window_exceeded":
      return incomplete("max_output_tokens")
    case "content_filter":
      return incomplete("content_filter")
    case "pause":
      return incomplete(finish.raw ?? "pause_turn")
    case "other":
      return incomplete(finish.raw ?? "other")
  }
}

/** An output item's status (`MessageStatus`, `FunctionCallStatus`: the same three values). */
export type ItemStatus = "in_progress" | "completed" | "incomplete"

/** How an answer ended, for the items it had not finished. */
export type Ending = ResponsesStatusOut["status"] | "failed"

/**
 * The statuses of the items an answer's end finds unfinished, in output order. A completed
 * answer completes them. An incomplete one leaves the last item `incomplete` — the spec: "the model
 * has exhausted its token budget while emitting tokens belonging to this item … it MUST be the last
 * item emitted" — and the ones before it were done. A failure interrupted every one of them: the
 * item statuses have no `failed`, and `incomplete` is what the schema calls an item the model "was
 * interrupted from sampling … partway through"; `in_progress` would say sampling goes on, and
 * `completed` that the item is whole.
 *
 * @see https://www.openresponses.org/specification#items-are-state-machines
 * @see ../shared/specs/openresponses/openapi.json (from the repository root) `MessageStatus`, `FunctionCallStatus`
 */
export const unfinishedItemStatuses = (ending: Ending, count: number): ReadonlyArray<ItemStatus> =>
  Array.from({ length: count }, (_, i): ItemStatus => {
    switch (ending) {
      case "completed":
        return "completed"
      case "incomplete":
        return i === count - 1 ? "incomplete" : "completed"
      case "failed":
        return "incomplete"
    }
  })
