/**
 * OpenAI `messages` ↔ canonical messages. The two line up one to one: system and developer
 * messages stay where they are, each assistant message keeps its reasoning, text, refusal and
 * tool calls, each `tool` message is one tool result.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages
 */
import { Result, Schema } from "effect"
import type { AssistantPart, Message, TextPart, ToolResultPart, UserPart } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"
import {
  OpenAiRefusalPart,
  OpenAiTextOnlyPart,
  OpenAiTextPart,
  type OpenAiPartOut,
  OpenAiUserPart,
  textFromCanonical,
  textOnlyToCanonical,
  textToCanonical,
  userPartFromCanonical,
  userPartToCanonical
} from "./Content.ts"
import * as Reasoning from "./Reasoning.ts"
import { attempt } from "../Attempt.ts"

/** A tool call in an assistant message (`type` is optional in practice: several clients leave it out). */
export const OpenAiToolCall = Schema.Union([
  Schema.Struct({
    id: Schema.String,
    type: Schema.optionalKey(Schema.Literal("function")),
    function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
  }),
  OtherType(["function"])
])

const TextContent = Schema.Union([Schema.String, Schema.Array(OpenAiTextOnlyPart)])

export const OpenAiSystemMessage = Schema.Struct({
  role: Schema.Literals(["system", "developer"]),
  content: TextContent,
  name: Schema.optionalKey(Schema.String)
})

export const OpenAiUserMessage = Schema.Struct({
  role: Schema.Literal("user"),
  content: Schema.Union([Schema.String, Schema.Array(OpenAiUserPart)]),
  name: Schema.optionalKey(Schema.String)
})

export const OpenAiAssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: Schema.optionalKey(Schema.NullOr(Schema.Union([
    Schema.String,
    Schema.Array(Schema.Union([OpenAiTextPart, OpenAiRefusalPart, OtherType(["text", "refusal"])]))
  ]))),
  refusal: Schema.optionalKey(Schema.NullOr(Schema.String)),
  tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Array(OpenAiToolCall))),
  function_call: Schema.optionalKey(Schema.NullOr(Schema.Unknown)),
  name: Schema.optionalKey(Schema.String),
  ...Reasoning.ReasoningFields
})

export const OpenAiToolMessage = Schema.Struct({
  role: Schema.Literal("tool"),
  tool_call_id: Schema.String,
  content: TextContent
})

/** The legacy `functions` API's result message; decoded only to say clearly that it is not translated. */
export const OpenAiFunctionMessage = Schema.Struct({
  role: Schema.Literal("function"),
  name: Schema.String,
  content: Schema.NullOr(Schema.String)
})

export const OpenAiMessage = Schema.Union([
  OpenAiSystemMessage,
  OpenAiUserMessage,
  OpenAiAssistantMessage,
  OpenAiToolMessage,
  OpenAiFunctionMessage
])
export type OpenAiMessage = typeof OpenAiMessage.Type

/** A message as we write it. */
export type OpenAiMessageOut =
  | { readonly role: "system" | "developer"; readonly content: string | ReadonlyArray<OpenAiPartOut> }
  | { readonly role: "user"; readonly content: string | ReadonlyArray<OpenAiPartOut>; readonly name?: string }
  | {
    readonly role: "assistant"
    readonly content: string | ReadonlyArray<OpenAiPartOut> | null
    readonly refusal?: string
    readonly tool_calls?: ReadonlyArray<OpenAiToolCallOut>
    readonly name?: string
    readonly reasoning_content?: string
    readonly reasoning_details?: ReadonlyArray<Reasoning.ReasoningDetailOut>
  }
  | { readonly role: "tool"; readonly tool_call_id: string; readonly content: string | ReadonlyArray<OpenAiPartOut> }

export interface OpenAiToolCallOut {
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const textContent = (content: typeof TextContent.Type, param: string): Result.Result<ReadonlyArray<TextPart>, UnsupportedField> =>
  typeof content === "string"
    ? Result.succeed([{ _tag: "Text", text: content }])
    : Result.all(content.map((part, i) => textOnlyToCanonical(part, `${param}.content[${i}]`)))

const assistantToCanonical = (
  message: typeof OpenAiAssistantMessage.Type,
  param: string
): Result.Result<Message, UnsupportedField> =>
  attempt((take) => {
    if (message.function_call !== undefined && message.function_call !== null) {
      return take(Result.fail(
        new UnsupportedField({
          param: `${param}.function_call`,
          message: "the legacy functions API (function_call) is not translated: use tools and tool_calls"
        })
      ))
    }
    const parts: Array<AssistantPart> = [...Reasoning.toCanonical(message)]
    const content = message.content ?? []
    if (typeof content === "string") {
      if (content !== "") parts.push({ _tag: "Text", text: content })
    } else {
      for (const [i, part] of content.entries()) {
        if ("text" in part) parts.push(textToCanonical(part))
        else if ("refusal" in part) parts.push({ _tag: "Refusal", text: part.refusal })
        else {
          return take(Result.fail(
            new UnsupportedField({
              param: `${param}.content[${i}]`,
              message: `assistant content of type "${part.type}" cannot be translated to another API format`
            })
          ))
        }
      }
    }
    if (message.refusal) parts.push({ _tag: "Refusal", text: message.refusal })
    for (const [i, call] of (message.tool_calls ?? []).entries()) {
      if (!("function" in call)) {
        return take(Result.fail(
          new UnsupportedField({
            param: `${param}.tool_calls[${i}]`,
            message: `tool calls of type "${call.type}" cannot be translated to another API format`
          })
        ))
      }
      parts.push({ _tag: "ToolCall", id: call.id, name: call.function.name, arguments: call.function.arguments })
    }
    return { role: "assistant", content: parts, ...(message.name !== undefined ? { name: message.name } : {}) }
  })

const messageToCanonical = (message: OpenAiMessage, param: string): Result.Result<Message, UnsupportedField> => {
  switch (message.role) {
    case "system":
    case "developer":
      return Result.map(textContent(message.content, param), (content) => ({ role: "system", kind: message.role, content }))
    case "user":
      return Result.map(
        typeof message.content === "string"
          ? Result.succeed<ReadonlyArray<UserPart>>([{ _tag: "Text", text: message.content }])
          : Result.all(message.content.map((part, i) => userPartToCanonical(part, `${param}.content[${i}]`))),
        (content) => ({ role: "user", content, ...(message.name !== undefined ? { name: message.name } : {}) })
      )
    case "assistant":
      return assistantToCanonical(message, param)
    case "tool":
      return Result.map(textContent(message.content, param), (content) => ({
        role: "tool",
        toolCallId: message.tool_call_id,
        content,
        isError: undefined
      }))
    case "function":
      return Result.fail(
        new UnsupportedField({
          param: `${param}.role`,
          message: "the legacy functions API (role \"function\") is not translated: use tools and tool messages"
        })
      )
  }
}

/** Canonical messages for the wire `messages`. */
export const toCanonical = (messages: ReadonlyArray<OpenAiMessage>): Result.Result<ReadonlyArray<Message>, UnsupportedField> =>
  Result.all(messages.map((message, i) => messageToCanonical(message, `messages[${i}]`)))

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Options for writing messages to an OpenAI-compatible upstream. */
export interface EncodeMessagesOptions {
  /**
   * Which fields carry earlier reasoning back to the upstream. The official API rejects unknown
   * message fields and DeepSeek rejects `reasoning_content` in input, so the default is to omit it.
   */
  readonly reasoning: Reasoning.ReasoningOutput
}

/** A single uncached text part is written as a plain string: every compatible host accepts that. */
const compact = (parts: ReadonlyArray<OpenAiPartOut>): string | ReadonlyArray<OpenAiPartOut> => {
  const [first] = parts
  return parts.length === 1 && first?.type === "text" && first.prompt_cache_breakpoint === undefined ? first.text : parts
}

const partsFromCanonical = (
  parts: ReadonlyArray<UserPart | ToolResultPart>,
  param: string
): Result.Result<ReadonlyArray<OpenAiPartOut>, UnsupportedField> =>
  Result.all(parts.map((part, i) => userPartFromCanonical(part, `${param}.content[${i}]`)))

const assistantFromCanonical = (
  content: ReadonlyArray<AssistantPart>,
  name: string | undefined,
  options: EncodeMessagesOptions
): OpenAiMessageOut => {
  const texts = content.flatMap((part) => part._tag === "Text" ? [textFromCanonical(part)] : [])
  const refusal = content.flatMap((part) => part._tag === "Refusal" ? [part.text] : []).join("")
  const toolCalls = content.flatMap((part): ReadonlyArray<OpenAiToolCallOut> =>
    part._tag === "ToolCall" ? [{ id: part.id, type: "function", function: { name: part.name, arguments: part.arguments } }] : []
  )
  return {
    role: "assistant",
    content: texts.length === 0 ? null : compact(texts),
    ...(refusal !== "" ? { refusal } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(name !== undefined ? { name } : {}),
    ...Reasoning.fromCanonical(content, options.reasoning)
  }
}

const messageFromCanonical = (
  message: Message,
  param: string,
  options: EncodeMessagesOptions
): Result.Result<OpenAiMessageOut, UnsupportedField> => {
  switch (message.role) {
    case "system":
      return Result.succeed({ role: message.kind, content: compact(message.content.map(textFromCanonical)) })
    case "user":
      return Result.map(partsFromCanonical(message.content, param), (parts) => ({
        role: "user",
        content: compact(parts),
        ...(message.name !== undefined ? { name: message.name } : {})
      }))
    case "assistant":
      return Result.succeed(assistantFromCanonical(message.content, message.name, options))
    case "tool": {
      const nonText = message.content.findIndex((part) => part._tag !== "Text")
      if (nonText >= 0) {
        return Result.fail(
          new UnsupportedField({
            param: `${param}.content[${nonText}]`,
            message: "OpenAI Chat Completions tool results can only contain text, not images or documents",
            target: "openai-chat"
          })
        )
      }
      const parts = message.content.flatMap((part) => part._tag === "Text" ? [textFromCanonical(part)] : [])
      return Result.succeed({ role: "tool", tool_call_id: message.toolCallId, content: parts.length === 0 ? "" : compact(parts) })
    }
  }
}

/** The wire `messages` for canonical messages. */
export const fromCanonical = (
  messages: ReadonlyArray<Message>,
  options: EncodeMessagesOptions
): Result.Result<ReadonlyArray<OpenAiMessageOut>, UnsupportedField> =>
  Result.all(messages.map((message, i) => messageFromCanonical(message, `messages[${i}]`, options)))
