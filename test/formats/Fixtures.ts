/**
 * Test helpers for the translation folds: read a recorded stream, parse it with the real SSE
 * decoder, and run a fold over it exactly as `Stream.mapAccum` would (including `onHalt`).
 */
import { Effect, Stream } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { StreamEvent } from "../../src/formats/Canonical.ts"
import * as Sse from "../../src/formats/Sse.ts"

/** The text of `test/fixtures/formats/<path>`. */
export const fixture = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/formats/${path}`, import.meta.url)), "utf8")

/** SSE text parsed into events by `Sse.decodeText`. */
export const parseSse = (text: string): ReadonlyArray<Sse.InboundEvent> =>
  Effect.runSync(Stream.runCollect(Sse.decodeText(Stream.make(text))))

/** The events of a fixture file. */
export const fixtureEvents = (path: string): ReadonlyArray<Sse.InboundEvent> => parseSse(fixture(path))

/** Runs a fold over `inputs` through `Stream.mapAccum`, the way the HTTP layer will. */
export const runFold = <S, A, B>(
  inputs: ReadonlyArray<A>,
  initial: S,
  step: (state: S, input: A) => readonly [S, ReadonlyArray<B>],
  onHalt: (state: S) => ReadonlyArray<B>
): ReadonlyArray<B> =>
  Effect.runSync(Stream.runCollect(Stream.mapAccum(Stream.fromIterable(inputs), () => initial, step, { onHalt })))

/** Canonical events as one line each, for golden comparisons. */
export const describeCanonical = (events: ReadonlyArray<StreamEvent>): ReadonlyArray<string> =>
  events.map((event) => {
    switch (event._tag) {
      case "Start":
        return `start ${event.id} ${event.model}`
      case "BlockStart":
        return `start[${event.index}] ${event.block._tag}${
          event.block._tag === "ToolCall"
            ? ` ${event.block.id} ${event.block.name}`
            : event.block._tag === "RedactedReasoning"
            ? ` ${event.block.data}`
            : ""
        }`
      case "BlockDelta": {
        const { delta } = event
        const value = delta._tag === "Signature" ? delta.signature : delta._tag === "ToolArguments" ? delta.json : delta.text
        return `delta[${event.index}] ${delta._tag} ${JSON.stringify(value)}`
      }
      case "BlockStop":
        return `stop[${event.index}]`
      case "Finish":
        return `finish ${event.finish.reason} (${event.finish.raw})`
      case "Error":
        return `error ${event.error.kind}: ${event.error.message}`
      case "KeepAlive":
        return "keep-alive"
    }
  })

/** Anthropic outbound events as one line each; also checks every event is named after its type. */
export const describeAnthropic = (events: ReadonlyArray<Sse.OutboundEvent>): ReadonlyArray<string> =>
  events.map((event) => {
    if (event._tag === "Done") return "[DONE] (not an Anthropic event)"
    const data = event.data as any
    if (event.event !== data.type) return `misnamed ${event.event} for ${data.type}`
    switch (data.type) {
      case "message_start":
        return `message_start ${data.message.id} ${data.message.model}`
      case "content_block_start": {
        const block = data.content_block
        return `start[${data.index}] ${block.type}${block.type === "tool_use" ? ` ${block.id} ${block.name}` : block.type === "redacted_thinking" ? ` ${block.data}` : ""}`
      }
      case "content_block_delta": {
        const { delta } = data
        const value = delta.text ?? delta.thinking ?? delta.signature ?? delta.partial_json
        return `delta[${data.index}] ${delta.type} ${JSON.stringify(value)}`
      }
      case "content_block_stop":
        return `stop[${data.index}]`
      case "message_delta":
        return `message_delta ${data.delta.stop_reason}`
      case "error":
        return `error ${data.error.type}: ${data.error.message}`
      default:
        return data.type
    }
  })

/** OpenAI outbound events as one line each. */
export const describeOpenAi = (events: ReadonlyArray<Sse.OutboundEvent>): ReadonlyArray<string> =>
  events.flatMap((event) => {
    if (event._tag === "Done") return ["[DONE]"]
    const data = event.data as any
    if (event.event !== undefined) return [`named ${event.event} (OpenAI events have no name)`]
    if (data.error) return [`error ${data.error.type}/${data.error.code}: ${data.error.message}`]
    if (data.choices.length === 0) return [`usage ${data.usage.prompt_tokens}+${data.usage.completion_tokens}`]
    const [choice] = data.choices
    const delta = choice.delta
    const lines: Array<string> = []
    if (delta.role) lines.push(`role ${delta.role}`)
    if (delta.content) lines.push(`content ${JSON.stringify(delta.content)}`)
    if (delta.refusal) lines.push(`refusal ${JSON.stringify(delta.refusal)}`)
    if (delta.reasoning_content) lines.push(`reasoning ${JSON.stringify(delta.reasoning_content)}`)
    for (const detail of delta.reasoning_details ?? []) {
      if (detail.signature) lines.push(`signature[${detail.index}] ${detail.signature}`)
      if (detail.data) lines.push(`redacted[${detail.index}] ${detail.data}`)
    }
    for (const call of delta.tool_calls ?? []) {
      if (call.id) lines.push(`tool_call[${call.index}] ${call.id} ${call.function.name}`)
      if (call.function?.arguments) lines.push(`args[${call.index}] ${JSON.stringify(call.function.arguments)}`)
    }
    if (choice.finish_reason) lines.push(`finish ${choice.finish_reason}`)
    return lines.length > 0 ? lines : ["(empty delta)"]
  })
