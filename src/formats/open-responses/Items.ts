/**
 * Open Responses `instructions` + `input` items ↔ canonical messages.
 *
 * - `instructions` becomes the leading system message; `system` and `developer` message items
 *   stay where they are.
 * - The items of one assistant turn — `reasoning`, assistant `message`s and `function_call`s —
 *   are consecutive in `input`; they become one canonical assistant message, in order. Encoding
 *   splits an assistant message back into items.
 * - Each `function_call_output` is one canonical tool message.
 * - Reasoning: a `reasoning` item's text (its `content` reasoning text, else its summaries) with
 *   its `encrypted_content` as the signature; an item with only `encrypted_content` is redacted
 *   reasoning. Encoding writes what a provider can verify: signed or redacted reasoning.
 * - A `compaction` item made by Switchboard's own compaction (`CompactionContent.ts`) becomes a
 *   user message holding its summary; one made by a provider is sealed with that provider's key
 *   and is refused, naming it (to that provider it is passed through untouched).
 * - `item_reference` and hosted-tool items refer to state or tools only the provider that made
 *   them has: they are refused, naming the item.
 *
 * @see https://www.openresponses.org/reference (ItemParam)
 * @see https://platform.openai.com/docs/guides/conversation-state?api-mode=responses#manually-manage-conversation-state
 */
import { Result, Schema } from "effect"
import type { AssistantPart, Message, TextPart, ToolResultPart, UserPart } from "../Canonical.ts"
import { canonicalPath, type Origin } from "../FieldPath.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"
import {
  type ResponsesAssistantPartOut,
  type ResponsesInputPartOut,
  ResponsesOutputPart,
  ResponsesPart,
  textPartToCanonical,
  toolOutputPartToCanonical,
  unsupportedPart,
  userPartFromCanonical,
  userPartToCanonical
} from "./Content.ts"
import { attempt } from "../Attempt.ts"
import * as CompactionContent from "./CompactionContent.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

/** A message item; `type` may be left out (the "easy input message" every SDK accepts). */
export const MessageItem = Schema.Struct({
  type: Schema.optionalKey(Schema.Literal("message")),
  id: OptionalString,
  role: Schema.Literals(["user", "assistant", "system", "developer"]),
  content: Schema.Union([Schema.String, Schema.Array(ResponsesPart)]),
  status: OptionalString
})

export const FunctionCallItem = Schema.Struct({
  type: Schema.Literal("function_call"),
  id: OptionalString,
  call_id: Schema.String,
  name: Schema.String,
  arguments: Schema.String,
  status: OptionalString
})

export const FunctionCallOutputItem = Schema.Struct({
  type: Schema.Literal("function_call_output"),
  id: OptionalString,
  call_id: Schema.String,
  output: Schema.Union([Schema.String, Schema.Array(ResponsesOutputPart)]),
  status: OptionalString
})

const ReasoningText = Schema.Struct({ type: Schema.String, text: Schema.String })

export const ReasoningItem = Schema.Struct({
  type: Schema.Literal("reasoning"),
  id: OptionalString,
  summary: Schema.optionalKey(Schema.NullOr(Schema.Array(ReasoningText))),
  content: Schema.optionalKey(Schema.NullOr(Schema.Array(ReasoningText))),
  encrypted_content: OptionalString,
  status: OptionalString
})

/**
 * What `/responses/compact` returned in place of the turns it summarised (`CompactionSummaryItemParam`).
 *
 * @see ../shared/specs/openresponses/openapi.json `CompactionSummaryItemParam`
 */
export const CompactionItem = Schema.Struct({
  type: Schema.Literal("compaction"),
  id: OptionalString,
  encrypted_content: Schema.String
})

/** Any input item. */
export const ResponsesItem = Schema.Union([
  MessageItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  ReasoningItem,
  CompactionItem,
  OtherType(["message", "function_call", "function_call_output", "reasoning", "compaction"])
])
export type ResponsesItem = typeof ResponsesItem.Type

/** An input item as we write it. */
export type ResponsesItemOut =
  | {
    readonly type: "message"
    readonly role: "user" | "system" | "developer"
    readonly content: string | ReadonlyArray<ResponsesInputPartOut>
  }
  | { readonly type: "message"; readonly role: "assistant"; readonly content: ReadonlyArray<ResponsesAssistantPartOut> }
  | { readonly type: "function_call"; readonly call_id: string; readonly name: string; readonly arguments: string }
  | { readonly type: "function_call_output"; readonly call_id: string; readonly output: string | ReadonlyArray<ResponsesInputPartOut> }
  | {
    readonly type: "reasoning"
    readonly summary: ReadonlyArray<{ readonly type: "summary_text"; readonly text: string }>
    readonly encrypted_content: string
  }

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** The text parts of a reasoning item: its full reasoning text when present, its summaries otherwise. */
const reasoningParts = (item: ReasoningFields): ReadonlyArray<{ readonly text: string }> => {
  const content = item.content ?? []
  return content.length > 0 ? content : item.summary ?? []
}

/** The reasoning fields of an input or output item. */
export interface ReasoningFields {
  readonly summary?: ReadonlyArray<{ readonly text: string }> | null
  readonly content?: ReadonlyArray<{ readonly text: string }> | null
  readonly encrypted_content?: string | null
}

/** The text of a reasoning item, parts apart by a blank line. */
export const reasoningText = (item: ReasoningFields): string => reasoningParts(item).map((part) => part.text).join("\n\n")

/**
 * A reasoning item as canonical parts: reasoning (with `encrypted_content` as its signature) when
 * it has any text part, even an empty one; redacted reasoning when it has only
 * `encrypted_content`; nothing when it has neither.
 */
export const reasoningToCanonical = (item: ReasoningFields): ReadonlyArray<AssistantPart> => {
  const encrypted = item.encrypted_content || undefined
  if (reasoningParts(item).length === 0) return encrypted !== undefined ? [{ _tag: "RedactedReasoning", data: encrypted }] : []
  return [{ _tag: "Reasoning", text: reasoningText(item), signature: encrypted }]
}

const textContent = (
  content: string | ReadonlyArray<ResponsesPart>,
  param: string
): Result.Result<ReadonlyArray<TextPart>, UnsupportedField> =>
  typeof content === "string"
    ? Result.succeed([{ _tag: "Text", text: content }])
    : Result.all(content.map((part, i) => textPartToCanonical(part, `${param}.content[${i}]`)))

const assistantContent = (
  content: string | ReadonlyArray<ResponsesPart>,
  param: string
): Result.Result<ReadonlyArray<AssistantPart>, UnsupportedField> =>
  typeof content === "string"
    ? Result.succeed(content === "" ? [] : [{ _tag: "Text", text: content }])
    : Result.all(content.map((part, i): Result.Result<AssistantPart, UnsupportedField> => {
      // Assistant text is `output_text`; some clients replay it as `input_text`, which means the same.
      if ("text" in part && (part.type === "output_text" || part.type === "input_text")) return Result.succeed({ _tag: "Text", text: part.text })
      if ("refusal" in part) return Result.succeed({ _tag: "Refusal", text: part.refusal })
      return Result.fail(unsupportedPart(part.type, `${param}.content[${i}]`, " in an assistant message"))
    }))

const toolOutput = (
  output: string | ReadonlyArray<typeof ResponsesOutputPart.Type>,
  param: string
): Result.Result<ReadonlyArray<ToolResultPart>, UnsupportedField> =>
  typeof output === "string"
    ? Result.succeed(output === "" ? [] : [{ _tag: "Text", text: output }])
    : Result.all(output.map((part, i) => toolOutputPartToCanonical(part, `${param}.output[${i}]`)))

const unsupportedItem = (type: string, param: string) =>
  new UnsupportedField({
    param,
    message: type === "item_reference"
      ? "item_reference points at an item stored by the provider that made it: send the item itself"
      : `input items of type "${type}" (hosted tools and their calls) cannot be translated to another API format`
  })

/** A compaction item as the user message holding its summary, when Switchboard made it. */
export const compactionToCanonical = (encryptedContent: string, param: string): Result.Result<Message, UnsupportedField> => {
  const summary = CompactionContent.open(encryptedContent)
  return summary === undefined
    ? Result.fail(
      new UnsupportedField({
        param: `${param}.encrypted_content`,
        message: "this compaction item was made by a provider's own /responses/compact and is encrypted with its key: " +
          "only that provider can read it. Compact with POST /v1/responses/compact for the model you continue with"
      })
    )
    : Result.succeed({ role: "user", content: [{ _tag: "Text", text: CompactionContent.contextText(summary) }] })
}

/**
 * Canonical messages for `instructions` and `input`, with where each message and part came from
 * (`FieldPath.Origin`: `messages[2].content[1]` → `input[3].content[0]`), so errors found later
 * name the caller's items.
 */
export const toCanonical = (
  instructions: string | undefined,
  input: string | ReadonlyArray<ResponsesItem> | undefined
): Result.Result<{ readonly messages: ReadonlyArray<Message>; readonly origin: Origin }, UnsupportedField> =>
  attempt((take) => {
    const out: Array<Message> = []
    const origin: Record<string, string> = {}
    /** Adds a message, with the caller's path of the message and of each of its parts. */
    const push = (message: Message, path: string, partPaths: ReadonlyArray<string>) => {
      origin[canonicalPath(out.length)] = path
      partPaths.forEach((partPath, j) => origin[canonicalPath(out.length, j)] = partPath)
      out.push(message)
    }
    if (instructions) push({ role: "system", kind: "system", content: [{ _tag: "Text", text: instructions }] }, "instructions", ["instructions"])
    if (input === undefined) return { messages: out, origin }
    if (typeof input === "string") {
      push({ role: "user", content: [{ _tag: "Text", text: input }] }, "input", ["input"])
      return { messages: out, origin }
    }
    /** Parts of the assistant turn being gathered, written out when another kind of item comes. */
    let turn: Array<AssistantPart> = []
    let turnPaths: Array<string> = []
    /** The first item of that turn. */
    let turnStart = ""
    const flush = () => {
      if (turn.length > 0) push({ role: "assistant", content: turn }, turnStart, turnPaths)
      turn = []
      turnPaths = []
    }
    /** Adds parts of an assistant-turn item, with their caller's paths. */
    const gather = (param: string, parts: ReadonlyArray<AssistantPart>, paths: ReadonlyArray<string>) => {
      if (turn.length === 0) turnStart = param
      turn.push(...parts)
      turnPaths.push(...paths)
    }
    /** The caller's path of each part of a string-or-parts field. */
    const pathsOf = (param: string, content: string | ReadonlyArray<unknown>, count: number): ReadonlyArray<string> =>
      typeof content === "string" ? Array.from({ length: count }, () => param) : content.map((_, j) => `${param}[${j}]`)
    for (const [i, item] of input.entries()) {
      const param = `input[${i}]`
      if ("role" in item) {
        switch (item.role) {
          case "assistant": {
            const parts = take(assistantContent(item.content, param))
            gather(param, parts, pathsOf(`${param}.content`, item.content, parts.length))
            break
          }
          case "system":
          case "developer": {
            flush()
            const content = take(textContent(item.content, param))
            push({ role: "system", kind: item.role, content }, param, pathsOf(`${param}.content`, item.content, content.length))
            break
          }
          case "user": {
            flush()
            const content: ReadonlyArray<UserPart> = typeof item.content === "string"
              ? [{ _tag: "Text", text: item.content }]
              : take(Result.all(item.content.map((part, j) => userPartToCanonical(part, `${param}.content[${j}]`))))
            push({ role: "user", content }, param, pathsOf(`${param}.content`, item.content, content.length))
            break
          }
        }
        continue
      }
      switch (item.type) {
        case "function_call":
          if ("call_id" in item && "arguments" in item) {
            gather(param, [{ _tag: "ToolCall", id: item.call_id, name: item.name, arguments: item.arguments }], [param])
            continue
          }
          break
        case "reasoning": {
          // The catch-all member excludes known types, so a `reasoning` item is a ReasoningItem.
          const parts = reasoningToCanonical(item as typeof ReasoningItem.Type)
          gather(param, parts, parts.map(() => param))
          continue
        }
        case "function_call_output":
          if ("output" in item) {
            flush()
            const content = take(toolOutput(item.output, param))
            push(
              { role: "tool", toolCallId: item.call_id, content, isError: undefined },
              param,
              pathsOf(`${param}.output`, item.output, content.length)
            )
            continue
          }
          break
        case "compaction":
          if ("encrypted_content" in item) {
            flush()
            push(take(compactionToCanonical(item.encrypted_content, param)), param, [`${param}.encrypted_content`])
            continue
          }
          break
      }
      return take(Result.fail(unsupportedItem(item.type ?? "unknown", param)))
    }
    flush()
    return { messages: out, origin }
  })

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** A single text part is written as a plain string, which every implementation accepts. */
const compact = (parts: ReadonlyArray<ResponsesInputPartOut>): string | ReadonlyArray<ResponsesInputPartOut> => {
  const [first] = parts
  return parts.length === 1 && first?.type === "input_text" ? first.text : parts
}

const partsFromCanonical = (parts: ReadonlyArray<UserPart | ToolResultPart>, param: string) =>
  Result.all(parts.map((part, j) => userPartFromCanonical(part, `${param}.content[${j}]`)))

/** An assistant message as items, in order: text and refusals gather into `message` items between the others. */
export const assistantFromCanonical = (content: ReadonlyArray<AssistantPart>): ReadonlyArray<ResponsesItemOut> => {
  const items: Array<ResponsesItemOut> = []
  let message: Array<ResponsesAssistantPartOut> = []
  const flush = () => {
    if (message.length > 0) items.push({ type: "message", role: "assistant", content: message })
    message = []
  }
  for (const part of content) {
    switch (part._tag) {
      case "Text":
        if (part.text !== "") message.push({ type: "output_text", text: part.text, annotations: [] })
        break
      case "Refusal":
        message.push({ type: "refusal", refusal: part.text })
        break
      case "Reasoning":
        // Only signed reasoning can go back: a provider verifies it by its encrypted content.
        if (part.signature !== undefined) {
          flush()
          // Even empty text is a summary part: without one the item would read back as redacted reasoning.
          items.push({ type: "reasoning", summary: [{ type: "summary_text", text: part.text }], encrypted_content: part.signature })
        }
        break
      case "RedactedReasoning":
        flush()
        items.push({ type: "reasoning", summary: [], encrypted_content: part.data })
        break
      case "ToolCall":
        flush()
        items.push({ type: "function_call", call_id: part.id, name: part.name, arguments: part.arguments })
        break
    }
  }
  flush()
  return items
}

/** The wire `input` for canonical messages (system messages stay in place as `system`/`developer` items). */
export const fromCanonical = (messages: ReadonlyArray<Message>): Result.Result<ReadonlyArray<ResponsesItemOut>, UnsupportedField> =>
  attempt((take) => {
    const items: Array<ResponsesItemOut> = []
    for (const [i, message] of messages.entries()) {
      const param = `messages[${i}]`
      switch (message.role) {
        case "system":
          items.push({ type: "message", role: message.kind, content: compact(message.content.map((part) => ({ type: "input_text", text: part.text }))) })
          break
        case "user":
          items.push({ type: "message", role: "user", content: compact(take(partsFromCanonical(message.content, param))) })
          break
        case "assistant":
          items.push(...assistantFromCanonical(message.content))
          break
        case "tool": {
          const parts = take(partsFromCanonical(message.content, param))
          items.push({ type: "function_call_output", call_id: message.toolCallId, output: parts.length === 0 ? "" : compact(parts) })
          break
        }
      }
    }
    return items
  })
