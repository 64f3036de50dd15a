/**
 * Reasoning in the OpenAI Chat format. The official API does not return reasoning text; the
 * OpenAI-compatible hosts that do use one of three fields, all read here:
 * - `reasoning_content` (DeepSeek, vLLM, LM Studio) and `reasoning` (OpenRouter, Ollama): plain text;
 * - `reasoning_details` (OpenRouter): typed entries that also carry what Anthropic needs back in
 *   the next turn — the signature of a thinking block (`reasoning.text`) and redacted thinking
 *   (`reasoning.encrypted`).
 * We write `reasoning_content` (the most widely read) plus `reasoning_details` when there is a
 * signature or redacted reasoning to carry.
 *
 * @see https://api-docs.deepseek.com/guides/reasoning_model
 * @see https://openrouter.ai/docs/use-cases/reasoning-tokens#reasoning-details
 */
import { Schema } from "effect"
import type { AssistantPart, ReasoningPart, RedactedReasoningPart } from "../Canonical.ts"
import { OtherType } from "../WireSchema.ts"

const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/** One `reasoning_details` entry. */
export const ReasoningDetail = Schema.Union([
  Schema.Struct({ type: Schema.Literal("reasoning.text"), text: OptionalText, signature: OptionalText }),
  Schema.Struct({ type: Schema.Literal("reasoning.encrypted"), data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("reasoning.summary"), summary: Schema.String }),
  OtherType(["reasoning.text", "reasoning.encrypted", "reasoning.summary"])
])
export type ReasoningDetail = typeof ReasoningDetail.Type

/** The reasoning fields a message, or a stream delta, may carry. */
export const ReasoningFields = {
  reasoning_content: OptionalText,
  reasoning: OptionalText,
  reasoning_details: Schema.optionalKey(Schema.NullOr(Schema.Array(ReasoningDetail)))
}

export interface ReasoningFieldsIn {
  readonly reasoning_content?: string | null
  readonly reasoning?: string | null
  readonly reasoning_details?: ReadonlyArray<ReasoningDetail> | null
}

/** An entry as we write it. */
export type ReasoningDetailOut =
  | { readonly type: "reasoning.text"; readonly text: string; readonly signature?: string; readonly index: number }
  | { readonly type: "reasoning.encrypted"; readonly data: string; readonly index: number }

/** The plain reasoning text of a message or delta, whichever field the host used. */
export const reasoningText = (fields: ReasoningFieldsIn): string | undefined => {
  const text = fields.reasoning_content ?? fields.reasoning
  return text === null || text === undefined || text === "" ? undefined : text
}

/** Canonical reasoning parts of a complete message: the typed details when present (they carry signatures), the plain text otherwise. */
export const toCanonical = (fields: ReasoningFieldsIn): ReadonlyArray<ReasoningPart | RedactedReasoningPart> => {
  const details = fields.reasoning_details ?? []
  const parts = details.flatMap((detail): ReadonlyArray<ReasoningPart | RedactedReasoningPart> => {
    switch (detail.type) {
      case "reasoning.text":
        return "signature" in detail || "text" in detail
          ? [{ _tag: "Reasoning", text: ("text" in detail ? detail.text : undefined) ?? "", signature: ("signature" in detail ? detail.signature : undefined) || undefined }]
          : []
      case "reasoning.encrypted":
        return "data" in detail ? [{ _tag: "RedactedReasoning", data: detail.data }] : []
      case "reasoning.summary":
        return "summary" in detail ? [{ _tag: "Reasoning", text: detail.summary, signature: undefined }] : []
      default:
        return []
    }
  })
  const text = reasoningText(fields)
  // A client may echo the signature in the details but the text only in `reasoning_content`.
  const first = parts.findIndex((part) => part._tag === "Reasoning")
  if (text !== undefined && first >= 0 && parts.every((part) => part._tag !== "Reasoning" || part.text === "")) {
    return parts.map((part, i) => i === first && part._tag === "Reasoning" ? { ...part, text } : part)
  }
  if (parts.length > 0) return parts
  return text === undefined ? [] : [{ _tag: "Reasoning", text, signature: undefined }]
}

/** One `reasoning_details` entry for a canonical reasoning part. */
export const detailFromCanonical = (part: ReasoningPart | RedactedReasoningPart, index: number): ReasoningDetailOut =>
  part._tag === "Reasoning"
    ? { type: "reasoning.text", text: part.text, ...(part.signature !== undefined ? { signature: part.signature } : {}), index }
    : { type: "reasoning.encrypted", data: part.data, index }

/** Which reasoning fields to write on an assistant message. */
export type ReasoningOutput = "omit" | "reasoning_content" | "reasoning_details" | "both"

/** The reasoning fields for the reasoning parts of an assistant message. */
export const fromCanonical = (parts: ReadonlyArray<AssistantPart>, output: ReasoningOutput): {
  readonly reasoning_content?: string
  readonly reasoning_details?: ReadonlyArray<ReasoningDetailOut>
} => {
  const reasoning = parts.filter((part): part is ReasoningPart | RedactedReasoningPart =>
    part._tag === "Reasoning" || part._tag === "RedactedReasoning"
  )
  if (reasoning.length === 0 || output === "omit") return {}
  const text = reasoning.flatMap((part) => part._tag === "Reasoning" ? [part.text] : []).join("")
  const details = reasoning.map(detailFromCanonical)
  const opaque = reasoning.some((part) => part._tag === "RedactedReasoning" || part.signature !== undefined)
  return {
    ...(output !== "reasoning_details" && text !== "" ? { reasoning_content: text } : {}),
    ...(output === "reasoning_details" || (output === "both" && opaque) ? { reasoning_details: details } : {})
  }
}
