/**
 * Anthropic message (non-streamed) ↔ canonical response.
 *
 * @see https://docs.anthropic.com/en/api/messages#response
 */
import { Effect, Predicate, Result, Schema } from "effect"
import type { AssistantPart, Response } from "../Canonical.ts"
import { decodeUpstreamBody, type InvalidUpstreamBody } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"
import * as StopReason from "./StopReason.ts"
import * as Usage from "./Usage.ts"

/** The blocks of a response the hub carries; server-tool results, compaction and the like are other. */
export const AnthropicResponseBlock = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text"), text: Schema.String }),
  Schema.Struct({ type: Schema.Literal("thinking"), thinking: Schema.String, signature: Schema.optionalKey(Schema.NullOr(Schema.String)) }),
  Schema.Struct({ type: Schema.Literal("redacted_thinking"), data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("tool_use"), id: Schema.String, name: Schema.String, input: Schema.Unknown }),
  OtherType(["text", "thinking", "redacted_thinking", "tool_use"])
])
export type AnthropicResponseBlock = typeof AnthropicResponseBlock.Type

export const AnthropicResponse = Schema.Struct({
  id: Schema.String,
  model: Schema.String,
  content: Schema.Array(AnthropicResponseBlock),
  stop_reason: Schema.optionalKey(Schema.NullOr(Schema.String)),
  stop_sequence: Schema.optionalKey(Schema.NullOr(Schema.String)),
  usage: Schema.optionalKey(Schema.NullOr(Usage.AnthropicUsage))
})
export type AnthropicResponse = typeof AnthropicResponse.Type

/** A response block as a canonical part; blocks only Anthropic understands are left out. */
export const blockToCanonical = (block: AnthropicResponseBlock): ReadonlyArray<AssistantPart> => {
  if ("thinking" in block) return [{ _tag: "Reasoning", text: block.thinking, signature: block.signature || undefined }]
  if ("data" in block) return [{ _tag: "RedactedReasoning", data: block.data }]
  if ("input" in block) return [{ _tag: "ToolCall", id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) }]
  if ("text" in block) return [{ _tag: "Text", text: block.text }]
  return []
}

const decodeBody = decodeUpstreamBody("anthropic-messages", AnthropicResponse)

/** An Anthropic upstream's message (parsed JSON) as a canonical response. */
export const toCanonicalResult = (body: unknown): Result.Result<Response, InvalidUpstreamBody> =>
  Result.map(decodeBody(body), (message) => ({
    id: message.id,
    model: message.model,
    created: undefined,
    content: message.content.flatMap(blockToCanonical),
    finish: message.stop_reason
      ? StopReason.toCanonical(message.stop_reason, message.stop_sequence)
      : { reason: "other", raw: undefined, stopSequence: undefined },
    usage: message.usage ? Usage.toCanonical(message.usage) : undefined
  }))

/** `toCanonicalResult` as an Effect, for the Effect path. */
export const toCanonical = (body: unknown): Effect.Effect<Response, InvalidUpstreamBody> =>
  Effect.fromResult(toCanonicalResult(body))

/** A message as we return it. */
export interface AnthropicResponseOut {
  readonly id: string
  readonly type: "message"
  readonly role: "assistant"
  readonly model: string
  readonly content: ReadonlyArray<AnthropicResponseBlockOut>
  readonly stop_reason: string
  readonly stop_sequence: string | null
  readonly usage: Usage.AnthropicUsageOut
}

export type AnthropicResponseBlockOut =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "thinking"; readonly thinking: string; readonly signature: string }
  | { readonly type: "redacted_thinking"; readonly data: string }
  | { readonly type: "tool_use"; readonly id: string; readonly name: string; readonly input: object }

/**
 * Tool arguments as the object Anthropic clients expect. Arguments that are not a JSON object
 * (a generation cut off by the token limit) cannot be expressed: they become `{}`.
 */
export const toolInput = (json: string): object => {
  try {
    const input: unknown = JSON.parse(json)
    return Predicate.isObject(input) && !Array.isArray(input) ? input : {}
  } catch {
    return {}
  }
}

/** A canonical part as a response block. */
export const partFromCanonical = (part: AssistantPart): ReadonlyArray<AnthropicResponseBlockOut> => {
  switch (part._tag) {
    case "Text":
    case "Refusal":
      return part.text === "" ? [] : [{ type: "text", text: part.text }]
    case "Reasoning":
      // Unsigned reasoning (from another vendor) still shows; the empty signature says it is unsigned.
      return [{ type: "thinking", thinking: part.text, signature: part.signature ?? "" }]
    case "RedactedReasoning":
      return [{ type: "redacted_thinking", data: part.data }]
    case "ToolCall":
      return [{ type: "tool_use", id: part.id, name: part.name, input: toolInput(part.arguments) }]
  }
}

/** Zero usage, for an upstream that reported none: the field is required. */
export const noUsage: Usage.AnthropicUsageOut = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: null,
  cache_read_input_tokens: null
}

/** A canonical response as an Anthropic message. */
export const fromCanonical = (response: Response): AnthropicResponseOut => ({
  id: response.id,
  type: "message",
  role: "assistant",
  model: response.model,
  content: response.content.flatMap(partFromCanonical),
  stop_reason: StopReason.fromCanonical(response.finish),
  stop_sequence: response.finish.stopSequence ?? null,
  usage: response.usage !== undefined ? Usage.fromCanonical(response.usage) : noUsage
})
