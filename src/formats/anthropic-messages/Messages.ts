/**
 * Anthropic `system` + `messages` ↔ canonical messages.
 *
 * - The top-level `system` prompt becomes the leading system messages (one per text block), and
 *   `role: "system"` messages inside `messages` (sent by `@anthropic-ai/sdk` 1.x) stay where they
 *   are. Encoding puts leading system messages back in `system`, later ones in `messages`.
 * - A user message's `tool_result` blocks become canonical tool messages (before the rest of the
 *   user's content, where OpenAI needs them); encoding gathers consecutive tool results back into
 *   one user message, followed by the user's next words.
 *
 * @see https://docs.anthropic.com/en/api/messages#body-messages
 * @see https://docs.anthropic.com/en/api/messages#body-system
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-tool-use-and-tool-result-content-blocks
 */
import { Predicate, Result, Schema } from "effect"
import type { AssistantPart, Message, TextPart, ToolResultPart, UserPart } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"
import {
  AnthropicBlock,
  type AnthropicBlockOut,
  AnthropicTextBlock,
  type AnthropicToolResultBlock,
  cacheControlOf,
  cacheOf,
  mediaFromCanonical,
  mediaToCanonical,
  textFromCanonical,
  textToCanonical,
  unsupportedBlock
} from "./Content.ts"
import { attempt } from "../Attempt.ts"

/** The top-level `system` prompt. */
export const AnthropicSystem = Schema.Union([Schema.String, Schema.Array(Schema.Union([AnthropicTextBlock, OtherType(["text"])]))])
export type AnthropicSystem = typeof AnthropicSystem.Type

export const AnthropicMessage = Schema.Struct({
  role: Schema.Literals(["user", "assistant", "system"]),
  content: Schema.Union([Schema.String, Schema.Array(AnthropicBlock)])
})
export type AnthropicMessage = typeof AnthropicMessage.Type

/** A message as we write it. */
export interface AnthropicMessageOut {
  readonly role: "user" | "assistant" | "system"
  readonly content: ReadonlyArray<AnthropicBlockOut>
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Each system text block is its own system message, so several prompts keep their order and cache hints. */
const systemToCanonical = (
  system: string | ReadonlyArray<AnthropicBlock>,
  param: string
): Result.Result<ReadonlyArray<Message>, UnsupportedField> =>
  typeof system === "string"
    ? Result.succeed(system === "" ? [] : [{ role: "system", kind: "system", content: [{ _tag: "Text", text: system }] }])
    : Result.all(system.map((block, i) =>
      "text" in block
        ? Result.succeed<Message>({ role: "system", kind: "system", content: [textToCanonical(block)] })
        : Result.fail(unsupportedBlock(block.type, `${param}[${i}]`))
    ))

const toolResultContent = (
  content: AnthropicToolResultBlock["content"],
  param: string
): Result.Result<ReadonlyArray<ToolResultPart>, UnsupportedField> => {
  if (content === undefined) return Result.succeed([])
  if (typeof content === "string") return Result.succeed(content === "" ? [] : [{ _tag: "Text", text: content }])
  return Result.all(content.map((block, i) =>
    Result.flatMap(mediaToCanonical(block, `${param}.content[${i}]`), (part): Result.Result<ToolResultPart, UnsupportedField> =>
      part._tag === "Audio" ? Result.fail(unsupportedBlock("audio", `${param}.content[${i}]`)) : Result.succeed(part))
  ))
}

const userToCanonical = (
  content: ReadonlyArray<AnthropicBlock>,
  param: string
): Result.Result<ReadonlyArray<Message>, UnsupportedField> =>
  attempt((take) => {
    const results: Array<Message> = []
    const parts: Array<UserPart> = []
    for (const [j, block] of content.entries()) {
      const blockParam = `${param}.content[${j}]`
      if (block.type === "tool_result" && "tool_use_id" in block) {
        results.push({
          role: "tool",
          toolCallId: block.tool_use_id,
          content: take(toolResultContent(block.content, blockParam)),
          isError: block.is_error,
          ...cacheOf(block.cache_control)
        })
      } else {
        parts.push(take(mediaToCanonical(block, blockParam)))
      }
    }
    return parts.length > 0 ? [...results, { role: "user", content: parts }] : results
  })

const assistantToCanonical = (
  content: ReadonlyArray<AnthropicBlock>,
  param: string
): Result.Result<ReadonlyArray<AssistantPart>, UnsupportedField> =>
  Result.all(content.map((block, j): Result.Result<AssistantPart, UnsupportedField> => {
    if ("thinking" in block) return Result.succeed({ _tag: "Reasoning", text: block.thinking, signature: block.signature || undefined })
    if ("data" in block && block.type === "redacted_thinking") return Result.succeed({ _tag: "RedactedReasoning", data: block.data })
    if ("input" in block) {
      return Result.succeed({ _tag: "ToolCall", id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) })
    }
    if ("text" in block) return Result.succeed(textToCanonical(block))
    return Result.fail(unsupportedBlock(block.type, `${param}.content[${j}]`))
  }))

/** Canonical messages for the wire `system` and `messages`. */
export const toCanonical = (
  system: AnthropicSystem | undefined,
  messages: ReadonlyArray<AnthropicMessage>
): Result.Result<ReadonlyArray<Message>, UnsupportedField> =>
  attempt((take) => {
    const out: Array<Message> = system === undefined ? [] : [...take(systemToCanonical(system, "system"))]
    for (const [i, message] of messages.entries()) {
      const param = `messages[${i}]`
      const blocks: ReadonlyArray<AnthropicBlock> = typeof message.content === "string"
        ? [{ type: "text", text: message.content }]
        : message.content
      switch (message.role) {
        case "system":
          out.push(...take(systemToCanonical(blocks, `${param}.content`)))
          break
        case "user":
          out.push(...take(userToCanonical(blocks, param)))
          break
        case "assistant":
          out.push({ role: "assistant", content: take(assistantToCanonical(blocks, param)) })
          break
      }
    }
    return out
  })

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * Anthropic tool-use ids must match `^[a-zA-Z0-9_-]+$`; ids minted by other hosts may not
 * (Kimi's `functions.get_weather:0`). The same mapping applies to calls and results, so pairs stay paired.
 */
export const toolUseId = (id: string): string => id.replace(/[^a-zA-Z0-9_-]/g, "_") || "toolu_"

const toolInput = (json: string, param: string): Result.Result<unknown, UnsupportedField> => {
  if (json.trim() === "") return Result.succeed({})
  try {
    const input: unknown = JSON.parse(json)
    if (Predicate.isObject(input) && !Array.isArray(input)) return Result.succeed(input)
  } catch {
    // reported below
  }
  return Result.fail(
    new UnsupportedField({
      param,
      message: `Anthropic Messages needs tool call arguments to be a JSON object, got: ${json.slice(0, 100)}`,
      target: "anthropic-messages"
    })
  )
}

const assistantFromCanonical = (
  content: ReadonlyArray<AssistantPart>,
  param: string
): Result.Result<ReadonlyArray<AnthropicBlockOut>, UnsupportedField> =>
  attempt((take) => {
    const blocks: Array<AnthropicBlockOut> = []
    for (const [j, part] of content.entries()) {
      switch (part._tag) {
        case "Text":
        case "Refusal":
          // Anthropic rejects empty text blocks; a refusal is what the assistant said.
          if (part.text !== "") blocks.push(part._tag === "Text" ? textFromCanonical(part) : { type: "text", text: part.text })
          break
        case "Reasoning":
          // Anthropic verifies thinking by its signature; unsigned reasoning (from another vendor) cannot go back.
          if (part.signature !== undefined) blocks.push({ type: "thinking", thinking: part.text, signature: part.signature })
          break
        case "RedactedReasoning":
          blocks.push({ type: "redacted_thinking", data: part.data })
          break
        case "ToolCall":
          blocks.push({
            type: "tool_use",
            id: toolUseId(part.id),
            name: part.name,
            input: take(toolInput(part.arguments, `${param}.content[${j}]`))
          })
          break
      }
    }
    return blocks
  })

const mediaBlocks = (parts: ReadonlyArray<UserPart | ToolResultPart>, param: string) =>
  Result.all(parts.map((part, j) => mediaFromCanonical(part, `${param}.content[${j}]`)))

/** The wire `system` (leading system messages) and `messages` for canonical messages. */
export const fromCanonical = (messages: ReadonlyArray<Message>): Result.Result<{
  readonly system: ReadonlyArray<AnthropicBlockOut> | undefined
  readonly messages: ReadonlyArray<AnthropicMessageOut>
}, UnsupportedField> =>
  attempt((take) => {
    const leading = messages.findIndex((message) => message.role !== "system")
    const systemCount = leading === -1 ? messages.length : leading
    const system = messages.slice(0, systemCount).flatMap((message) =>
      message.role === "system" ? message.content.map((part: TextPart) => textFromCanonical(part)) : []
    )
    const out: Array<AnthropicMessageOut> = []
    // Consecutive user turns (tool results, then the user's next words) become one user message,
    // as the API would merge them anyway, with the tool results first as it requires.
    const pushUser = (content: ReadonlyArray<AnthropicBlockOut>) => {
      const last = out.at(-1)
      if (last?.role === "user") out[out.length - 1] = { role: "user", content: [...last.content, ...content] }
      else out.push({ role: "user", content })
    }
    for (const [i, message] of messages.entries()) {
      if (i < systemCount) continue
      const param = `messages[${i}]`
      switch (message.role) {
        case "system":
          out.push({ role: "system", content: message.content.map(textFromCanonical) })
          break
        case "user":
          pushUser(take(mediaBlocks(message.content, param)))
          break
        case "assistant": {
          const content = take(assistantFromCanonical(message.content, param))
          if (content.length > 0) out.push({ role: "assistant", content })
          break
        }
        case "tool":
          pushUser([{
            type: "tool_result",
            tool_use_id: toolUseId(message.toolCallId),
            content: take(mediaBlocks(message.content, param)),
            ...(message.isError !== undefined ? { is_error: message.isError } : {}),
            ...cacheControlOf(message.cache)
          }])
          break
      }
    }
    return { system: system.length > 0 ? system : undefined, messages: out }
  })
