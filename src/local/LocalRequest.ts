/**
 * What a local model can be asked: a conversation of text. Tools, images, audio, documents and
 * structured output are refused with a 400 naming the field, before the model is loaded or the
 * request queued: a local model that silently ignored a tool definition would answer a different
 * question than the one asked.
 */
import { Effect } from "effect"
import type { AssistantPart, Message, Request, StopReason, UserPart } from "../formats/Canonical.ts"
import { CanonicalField, canonicalPath } from "../formats/FieldPath.ts"
import { UnsupportedField } from "../formats/FormatError.ts"

/** One turn of a text conversation, in order. */
export type Turn =
  | { readonly role: "system"; readonly text: string }
  | { readonly role: "user"; readonly text: string }
  | { readonly role: "assistant"; readonly text: string }

/**
 * `param` is a canonical path (`FieldPath.ts`): the provider renders it in the caller's terms, so
 * the message does not repeat it.
 */
const unsupported = (param: string, what: string) =>
  new UnsupportedField({ param, message: `local models take text only: ${what} is not supported` })

const textOf = (parts: ReadonlyArray<UserPart | AssistantPart>, param: string): Effect.Effect<string, UnsupportedField> =>
  Effect.suspend(() => {
    const texts: Array<string> = []
    for (const [i, part] of parts.entries()) {
      switch (part._tag) {
        case "Text":
        case "Refusal":
          texts.push(part.text)
          break
        // Earlier reasoning is not shown to the model again, as the hosted APIs do.
        case "Reasoning":
        case "RedactedReasoning":
          break
        case "ToolCall":
          return Effect.fail(unsupported(`${param}[${i}]`, "a tool call"))
        case "Image":
          return Effect.fail(unsupported(`${param}[${i}]`, "an image"))
        case "Document":
          return Effect.fail(unsupported(`${param}[${i}]`, "a document"))
        case "Audio":
          return Effect.fail(unsupported(`${param}[${i}]`, "audio"))
      }
    }
    return Effect.succeed(texts.join(""))
  })

const turnOf = (message: Message, i: number): Effect.Effect<Turn, UnsupportedField> => {
  const param = `${canonicalPath(i)}.content`
  switch (message.role) {
    case "system":
      return Effect.succeed({ role: "system", text: message.content.map((part) => part.text).join("") })
    case "user":
      return Effect.map(textOf(message.content, param), (text) => ({ role: "user", text }))
    case "assistant":
      return Effect.map(textOf(message.content, param), (text) => ({ role: "assistant", text }))
    case "tool":
      return Effect.fail(unsupported(canonicalPath(i), "a tool result"))
  }
}

/** The conversation of a request as text turns, or the first field a local model cannot take. */
export const toTurns = (request: Request): Effect.Effect<ReadonlyArray<Turn>, UnsupportedField> =>
  Effect.gen(function*() {
    if (request.tools !== undefined && request.tools.length > 0) return yield* unsupported("tools", "tools")
    if (request.responseFormat !== undefined) return yield* unsupported(CanonicalField.responseFormat, "structured output")
    return yield* Effect.forEach(request.messages, turnOf)
  })

/**
 * node-llama-cpp's stop reasons as canonical ones. An abort only happens when the client went
 * away (nobody reads the answer), so `other` is fine there.
 *
 * @see https://node-llama-cpp.withcat.ai/api/type-aliases/LlamaChatResponse
 */
export const stopReasonOf = (reason: string): StopReason => {
  switch (reason) {
    case "eogToken":
    case "stopGenerationTrigger":
      return "end_turn"
    case "customStopTrigger":
      return "stop_sequence"
    case "maxTokens":
      return "max_tokens"
    case "functionCalls":
      return "tool_calls"
    default:
      return "other"
  }
}

/**
 * The longest answer a local model is asked for: the caller's own limit, or else the config's
 * `local.maxOutputTokens`, or else the context size — and never more than the context size. A
 * local model without a limit may never stop (a base model rarely emits its end token, and
 * llama.cpp shifts a full context to make room), holding its queue for good; the answer then ends
 * with the format's own length stop (`finish_reason: "length"`, `stop_reason: "max_tokens"`,
 * `incomplete_details.reason: "max_output_tokens"`). Without a known context size (MLX) the
 * engine's own default applies when neither the caller nor the config gives one.
 */
export const outputLimit = (limits: {
  readonly requested: number | undefined
  readonly configured: number | undefined
  readonly context: number | undefined
}): number | undefined => {
  const wanted = limits.requested ?? limits.configured ?? limits.context
  return wanted !== undefined && limits.context !== undefined ? Math.min(wanted, limits.context) : wanted
}
