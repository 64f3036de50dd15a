/**
 * A complete response from canonical stream events, for callers that did not ask for a stream:
 * engines always stream, so a non-streamed answer is the same events folded into one `Response`.
 */
import { Effect, Stream } from "effect"
import type { AssistantPart, BlockKind, Finish, Response, StreamError, StreamEvent, Usage } from "../formats/Canonical.ts"

interface Block {
  readonly kind: BlockKind
  text: string
  signature: string | undefined
}

interface State {
  readonly id: string
  readonly model: string
  readonly created: number | undefined
  readonly blocks: Map<number, Block>
  readonly finish: Finish | undefined
  readonly usage: Usage | undefined
  readonly error: StreamError | undefined
}

const initial: State = { id: "", model: "", created: undefined, blocks: new Map(), finish: undefined, usage: undefined, error: undefined }

/** One event into the accumulator (the block map is the fold's own, so it is updated in place). */
export const step = (state: State, event: StreamEvent): State => {
  switch (event._tag) {
    case "Start":
      return { ...state, id: event.id, model: event.model, created: event.created, usage: event.usage }
    case "BlockStart":
      state.blocks.set(event.index, { kind: event.block, text: "", signature: undefined })
      return state
    case "BlockDelta": {
      const block = state.blocks.get(event.index)
      if (!block) return state
      if (event.delta._tag === "Signature") block.signature = event.delta.signature
      else if (event.delta._tag === "ToolArguments") block.text += event.delta.json
      else block.text += event.delta.text
      return state
    }
    case "Finish":
      return { ...state, finish: event.finish, usage: event.usage ?? state.usage }
    case "Error":
      return { ...state, error: event.error }
    case "BlockStop":
    case "KeepAlive":
      return state
  }
}

const partOf = (block: Block): AssistantPart => {
  switch (block.kind._tag) {
    case "Text":
      return { _tag: "Text", text: block.text }
    case "Reasoning":
      return { _tag: "Reasoning", text: block.text, signature: block.signature }
    case "RedactedReasoning":
      return { _tag: "RedactedReasoning", data: block.kind.data }
    case "ToolCall":
      return { _tag: "ToolCall", id: block.kind.id, name: block.kind.name, arguments: block.text }
    case "Refusal":
      return { _tag: "Refusal", text: block.text }
  }
}

/** The response the events describe, or the stream's error (an `Error` event, or no `Finish`). */
export const collectResponse = <E, R>(events: Stream.Stream<StreamEvent, E, R>): Effect.Effect<Response, E | StreamError, R> =>
  Effect.flatMap(Stream.runFold(events, () => ({ ...initial, blocks: new Map() }), step), (state) => {
    if (state.error) return Effect.fail(state.error)
    if (!state.finish) return Effect.fail<StreamError>({ kind: "server", message: "the local model stopped without finishing its answer" })
    const content = Array.from(state.blocks.entries()).toSorted(([a], [b]) => a - b).map(([, block]) => partOf(block))
    return Effect.succeed({ id: state.id, model: state.model, created: state.created, content, finish: state.finish, usage: state.usage })
  })
