/**
 * OpenAI Chat Completions streams ↔ canonical stream events, as two folds
 * (`(state, event) => [state, outputs]`) meant for `Stream.mapAccum`, each with an `onHalt` for
 * a stream that ends early.
 *
 * Decoding turns chunks into blocks: reasoning, text, refusal and one block per tool call (keyed
 * by the call's `index`, so interleaved argument deltas of parallel calls land in the right
 * block). The finish reason and the usage chunk that follows it become one `Finish` at `[DONE]`
 * (or at the end of the stream when `[DONE]` never comes). A stream that stops before a finish
 * reason ends with an `Error`, never a silent stop.
 *
 * Encoding writes the chunk sequence OpenAI clients expect: a role chunk, content / reasoning /
 * tool-call deltas, a finish chunk, a usage-only chunk when the caller asked for usage
 * (`stream_options.include_usage`), then `[DONE]`; or `data: {"error": …}` on failure.
 *
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options
 */
import { Result, Schema } from "effect"
import type { BlockDelta, BlockKind, Finish, StreamError, StreamEvent, UpstreamFailure, Usage } from "../Canonical.ts"
import * as Sse from "../Sse.ts"
import * as StreamDecoding from "../StreamDecoding.ts"
import * as ErrorType from "./ErrorType.ts"
import * as Reasoning from "./Reasoning.ts"
import { finishWithToolCalls } from "./Response.ts"
import * as StopReason from "./StopReason.ts"
import * as OpenAiUsage from "./Usage.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

/** One streamed chunk, leniently (compatible hosts leave out ids, indices and `type`). */
export const OpenAiChunk = Schema.Struct({
  id: Schema.optionalKey(Schema.String),
  created: Schema.optionalKey(Schema.Number),
  model: Schema.optionalKey(Schema.String),
  choices: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Struct({
    index: Schema.optionalKey(Schema.Number),
    delta: Schema.optionalKey(Schema.NullOr(Schema.Struct({
      content: OptionalString,
      refusal: OptionalString,
      tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Struct({
        index: Schema.optionalKey(Schema.Number),
        id: OptionalString,
        function: Schema.optionalKey(Schema.NullOr(Schema.Struct({ name: OptionalString, arguments: OptionalString })))
      })))),
      ...Reasoning.ReasoningFields
    }))),
    finish_reason: OptionalString
  })))),
  usage: Schema.optionalKey(Schema.NullOr(OpenAiUsage.OpenAiUsage))
})
export type OpenAiChunk = typeof OpenAiChunk.Type

/** `data: {"error": …}`: how an OpenAI stream reports a failure after the 200. */
export const OpenAiStreamError = Schema.Struct({
  error: Schema.Union([
    Schema.String,
    Schema.Struct({
      message: Schema.optionalKey(Schema.NullOr(Schema.String)),
      type: OptionalString,
      code: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))
    })
  ])
})

const decodeChunk = Schema.decodeUnknownResult(OpenAiChunk)
const decodeError = Schema.decodeUnknownResult(OpenAiStreamError)

// ---------------------------------------------------------------------------------------------
// Decoding: upstream chunks → canonical events
// ---------------------------------------------------------------------------------------------

/** An open tool-call block: which wire `index` (and id) feeds it. */
interface OpenToolCall {
  readonly key: number
  readonly id: string
  readonly block: number
}

/** The decoder's accumulator. */
export interface DecodeState {
  readonly started: boolean
  readonly ended: boolean
  /** The next canonical block index. */
  readonly nextBlock: number
  readonly reasoning: number | undefined
  readonly text: number | undefined
  readonly refusal: number | undefined
  readonly toolCalls: ReadonlyArray<OpenToolCall>
  /** Seen a finish reason; `Finish` is sent at `[DONE]`, once the usage chunk had its chance. */
  readonly finish: Finish | undefined
  readonly usage: Usage | undefined
}

export const initialDecodeState: DecodeState = {
  started: false,
  ended: false,
  nextBlock: 0,
  reasoning: undefined,
  text: undefined,
  refusal: undefined,
  toolCalls: [],
  finish: undefined,
  usage: undefined
}

/** A mutable builder for one step of the fold: the state so far and the events to emit. */
class Step {
  readonly out: Array<StreamEvent> = []
  state: DecodeState
  constructor(state: DecodeState) {
    this.state = state
  }

  emit(event: StreamEvent) {
    this.out.push(event)
  }

  open(block: BlockKind): number {
    const index = this.state.nextBlock
    this.state = { ...this.state, nextBlock: index + 1 }
    this.emit({ _tag: "BlockStart", index, block })
    return index
  }

  delta(index: number, delta: BlockDelta) {
    this.emit({ _tag: "BlockDelta", index, delta })
  }

  stop(index: number | undefined) {
    if (index !== undefined) this.emit({ _tag: "BlockStop", index })
  }

  /** Reasoning comes before the answer: once anything else arrives, the reasoning block is over. */
  closeReasoning() {
    this.stop(this.state.reasoning)
    this.state = { ...this.state, reasoning: undefined }
  }

  /** Every open block, in the order they were opened. */
  closeAll() {
    const open = [this.state.reasoning, this.state.text, this.state.refusal, ...this.state.toolCalls.map((call) => call.block)]
      .filter((index): index is number => index !== undefined)
      .sort((a, b) => a - b)
    for (const index of open) this.stop(index)
    this.state = { ...this.state, reasoning: undefined, text: undefined, refusal: undefined, toolCalls: [] }
  }

  reasoningBlock(): number {
    if (this.state.reasoning !== undefined) return this.state.reasoning
    const index = this.open({ _tag: "Reasoning" })
    this.state = { ...this.state, reasoning: index }
    return index
  }

  fail(message: string, kind: StreamError["kind"] = "server") {
    this.closeAll()
    this.emit({ _tag: "Error", error: { kind, message } })
    this.state = { ...this.state, ended: true }
  }

  result(): readonly [DecodeState, ReadonlyArray<StreamEvent>] {
    return [this.state, this.out]
  }
}

const nonEmpty = (text: string | null | undefined): text is string => text !== undefined && text !== null && text !== ""

const decodeDelta = (step: Step, delta: NonNullable<NonNullable<OpenAiChunk["choices"]>[number]["delta"]>) => {
  const plainReasoning = Reasoning.reasoningText(delta)
  if (plainReasoning !== undefined) step.delta(step.reasoningBlock(), { _tag: "Reasoning", text: plainReasoning })
  for (const detail of delta.reasoning_details ?? []) {
    switch (detail.type) {
      case "reasoning.text": {
        // The text usually also comes as `reasoning`/`reasoning_content` in the same delta: read it once.
        if ("text" in detail && nonEmpty(detail.text) && plainReasoning === undefined) {
          step.delta(step.reasoningBlock(), { _tag: "Reasoning", text: detail.text })
        }
        if ("signature" in detail && nonEmpty(detail.signature)) {
          step.delta(step.reasoningBlock(), { _tag: "Signature", signature: detail.signature })
        }
        break
      }
      case "reasoning.summary":
        if ("summary" in detail && nonEmpty(detail.summary) && plainReasoning === undefined) {
          step.delta(step.reasoningBlock(), { _tag: "Reasoning", text: detail.summary })
        }
        break
      case "reasoning.encrypted":
        if ("data" in detail) {
          step.closeReasoning()
          step.stop(step.open({ _tag: "RedactedReasoning", data: detail.data }))
        }
        break
    }
  }
  if (nonEmpty(delta.content)) {
    step.closeReasoning()
    let index = step.state.text
    if (index === undefined) {
      index = step.open({ _tag: "Text" })
      step.state = { ...step.state, text: index }
    }
    step.delta(index, { _tag: "Text", text: delta.content })
  }
  if (nonEmpty(delta.refusal)) {
    step.closeReasoning()
    let index = step.state.refusal
    if (index === undefined) {
      index = step.open({ _tag: "Refusal" })
      step.state = { ...step.state, refusal: index }
    }
    step.delta(index, { _tag: "Refusal", text: delta.refusal })
  }
  for (const [position, call] of (delta.tool_calls ?? []).entries()) {
    // Text before the calls is finished once they start; the calls stay open until the finish,
    // since hosts may interleave their argument deltas.
    step.closeReasoning()
    step.stop(step.state.text)
    step.state = { ...step.state, text: undefined }
    const key = call.index ?? position
    const known = step.state.toolCalls.findLast((open) => open.key === key)
    // Some hosts number every call 0; a new id under a known index is a new call.
    const isNew = known === undefined || (nonEmpty(call.id) && call.id !== known.id)
    let block = known?.block
    if (isNew) {
      const id = nonEmpty(call.id) ? call.id : `call_${key}`
      block = step.open({ _tag: "ToolCall", id, name: call.function?.name ?? "" })
      step.state = { ...step.state, toolCalls: [...step.state.toolCalls, { key, id, block }] }
    }
    const json = call.function?.arguments
    if (block !== undefined && nonEmpty(json)) step.delta(block, { _tag: "ToolArguments", json })
  }
}

const decodeChunkEvent = (step: Step, chunk: OpenAiChunk) => {
  if (!step.state.started) {
    step.emit({
      _tag: "Start",
      id: chunk.id ?? "chatcmpl-unknown",
      model: chunk.model ?? "unknown",
      created: chunk.created,
      usage: undefined
    })
    step.state = { ...step.state, started: true }
  }
  if (chunk.usage) step.state = { ...step.state, usage: OpenAiUsage.toCanonical(chunk.usage) }
  // One choice is translated (requests with n > 1 are refused), so other choices are noise.
  const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0)
  if (choice === undefined) return
  if (choice.delta) decodeDelta(step, choice.delta)
  if (nonEmpty(choice.finish_reason) && step.state.finish === undefined) {
    const sawToolCalls = step.state.toolCalls.length > 0
    step.closeAll()
    step.state = { ...step.state, finish: finishWithToolCalls(StopReason.toCanonical(choice.finish_reason), sawToolCalls) }
  }
}

const finishOrFail = (step: Step, whenUnfinished: string) => {
  if (step.state.finish === undefined) return step.fail(whenUnfinished)
  step.emit({ _tag: "Finish", finish: step.state.finish, usage: step.state.usage })
  step.state = { ...step.state, ended: true }
}

/** One upstream SSE event (or the upstream's failure) into canonical events. */
export const decodeEvent = (
  state: DecodeState,
  event: Sse.InboundEvent | UpstreamFailure
): readonly [DecodeState, ReadonlyArray<StreamEvent>] => {
  const step = new Step(state)
  if (state.ended) return step.result()
  if ("_tag" in event) {
    step.fail(event.error.message, event.error.kind)
    return step.result()
  }
  const data = event.data.trim()
  if (data === "[DONE]") {
    finishOrFail(step, "the upstream ended the stream without a finish reason")
    return step.result()
  }
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    step.fail(`the upstream sent an event that is not JSON: ${data.slice(0, 200)}`)
    return step.result()
  }
  const error = decodeError(json)
  if (Result.isSuccess(error)) {
    const payload = error.success.error
    const message = typeof payload === "string" ? payload : payload.message ?? "upstream error"
    const code = typeof payload === "string" || payload.code === undefined || payload.code === null ? undefined : String(payload.code)
    step.closeAll()
    step.emit({
      _tag: "Error",
      error: { kind: ErrorType.toCanonical(typeof payload === "string" ? undefined : payload.type ?? undefined, code), message }
    })
    step.state = { ...step.state, ended: true }
    return step.result()
  }
  const chunk = decodeChunk(json)
  if (Result.isFailure(chunk)) {
    step.fail(`the upstream sent a malformed chunk: ${chunk.failure.message.replace(/\s+/g, " ")}`)
    return step.result()
  }
  decodeChunkEvent(step, chunk.success)
  return step.result()
}

/** At the end of the upstream stream: a missing `[DONE]` is forgiven, a missing finish is an error. */
export const decodeHalt = (state: DecodeState): ReadonlyArray<StreamEvent> => {
  if (state.ended) return []
  const step = new Step(state)
  finishOrFail(step, "the upstream closed the stream before it finished")
  return step.out
}

/** The decoder as a fold, for `StreamDecoding.run` (a driver without Effect) or the Stream wrappers below. */
export const decoder: StreamDecoding.DecoderFold<DecodeState> = { initial: initialDecodeState, step: decodeEvent, halt: decodeHalt }

/** Upstream SSE events → canonical events; see `StreamDecoding.decodeStream`. */
export const decodeStream = StreamDecoding.decodeStream(decoder)

/** Upstream SSE events → canonical events, an upstream failure ending them with an `Error`; see `StreamDecoding.decodeStreamWith`. */
export const decodeStreamWith = StreamDecoding.decodeStreamWith(decoder)

// ---------------------------------------------------------------------------------------------
// Encoding: canonical events → OpenAI chunks
// ---------------------------------------------------------------------------------------------

/** What the encoder needs to know about the caller. */
export interface EncodeOptions {
  /** The caller's `stream_options.include_usage`: whether to end with a usage-only chunk. */
  readonly includeUsage: boolean
  /** Unix seconds for `created` when the upstream gave none (Anthropic does not). */
  readonly created: number
}

type EncodedBlock =
  | { readonly _tag: "ToolCall"; readonly toolIndex: number }
  | { readonly _tag: "Reasoning"; readonly detailIndex: number }
  | { readonly _tag: "Other" }

/** The encoder's accumulator. */
export interface EncodeState {
  readonly options: EncodeOptions
  readonly id: string
  readonly model: string
  readonly created: number
  readonly started: boolean
  readonly ended: boolean
  readonly blocks: { readonly [index: number]: EncodedBlock }
  /** OpenAI numbers tool calls 0, 1, … within the message. */
  readonly nextToolIndex: number
  /** And `reasoning_details` entries likewise. */
  readonly nextDetailIndex: number
}

export const initialEncodeState = (options: EncodeOptions): EncodeState => ({
  options,
  id: "chatcmpl-unknown",
  model: "unknown",
  created: options.created,
  started: false,
  ended: false,
  blocks: {},
  nextToolIndex: 0,
  nextDetailIndex: 0
})

/** A chunk as we write it. */
export interface OpenAiChunkOut {
  readonly id: string
  readonly object: "chat.completion.chunk"
  readonly created: number
  readonly model: string
  readonly choices: ReadonlyArray<{
    readonly index: 0
    readonly delta: object
    readonly logprobs: null
    readonly finish_reason: string | null
  }>
  readonly usage?: OpenAiUsage.OpenAiUsageOut | null
}

/** With `include_usage`, the spec has every chunk carry `usage: null` but the last. */
const chunk = (state: EncodeState, delta: object, finishReason: string | null = null): Sse.OutboundEvent =>
  Sse.json({
    id: state.id,
    object: "chat.completion.chunk",
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(state.options.includeUsage ? { usage: null } : {})
  } satisfies OpenAiChunkOut)

const roleChunk = (state: EncodeState) => chunk(state, { role: "assistant", content: "" })

/** Events that arrive before `Start` (they should not) still get a role chunk first. */
const ensureStarted = (state: EncodeState): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] =>
  state.started ? [state, []] : [{ ...state, started: true }, [roleChunk(state)]]

const encodeBlockStart = (state: EncodeState, index: number, block: BlockKind): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] => {
  switch (block._tag) {
    case "ToolCall": {
      const toolIndex = state.nextToolIndex
      const next: EncodeState = {
        ...state,
        nextToolIndex: toolIndex + 1,
        blocks: { ...state.blocks, [index]: { _tag: "ToolCall", toolIndex } }
      }
      return [next, [
        chunk(next, { tool_calls: [{ index: toolIndex, id: block.id, type: "function", function: { name: block.name, arguments: "" } }] })
      ]]
    }
    case "Reasoning":
    case "RedactedReasoning": {
      const detailIndex = state.nextDetailIndex
      const next: EncodeState = {
        ...state,
        nextDetailIndex: detailIndex + 1,
        blocks: { ...state.blocks, [index]: { _tag: "Reasoning", detailIndex } }
      }
      return [next, block._tag === "RedactedReasoning"
        ? [chunk(next, { reasoning_details: [{ type: "reasoning.encrypted", data: block.data, index: detailIndex }] })]
        : []]
    }
    case "Text":
    case "Refusal":
      return [{ ...state, blocks: { ...state.blocks, [index]: { _tag: "Other" } } }, []]
  }
}

const encodeBlockDelta = (state: EncodeState, index: number, delta: BlockDelta): ReadonlyArray<Sse.OutboundEvent> => {
  const block = state.blocks[index]
  switch (delta._tag) {
    case "Text":
      return delta.text === "" ? [] : [chunk(state, { content: delta.text })]
    case "Refusal":
      return delta.text === "" ? [] : [chunk(state, { refusal: delta.text })]
    case "Reasoning": {
      if (delta.text === "") return []
      // Both fields, as OpenRouter does: DeepSeek-style clients read the text, OpenRouter-style
      // clients accumulate the details and send them back with the signature.
      const detailIndex = block?._tag === "Reasoning" ? block.detailIndex : 0
      return [chunk(state, {
        reasoning_content: delta.text,
        reasoning_details: [{ type: "reasoning.text", text: delta.text, index: detailIndex }]
      })]
    }
    case "Signature": {
      const detailIndex = block?._tag === "Reasoning" ? block.detailIndex : 0
      return [chunk(state, { reasoning_details: [{ type: "reasoning.text", text: "", signature: delta.signature, index: detailIndex }] })]
    }
    case "ToolArguments":
      return block?._tag === "ToolCall" && delta.json !== ""
        ? [chunk(state, { tool_calls: [{ index: block.toolIndex, function: { arguments: delta.json } }] })]
        : []
  }
}

const errorEvent = (error: StreamError) => Sse.json(ErrorType.fromCanonical(error))

/** One canonical event into OpenAI SSE events. Nothing is written after the finish or an error. */
export const encodeEvent = (state: EncodeState, event: StreamEvent): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] => {
  if (state.ended) return [state, []]
  switch (event._tag) {
    case "Start": {
      if (state.started) return [state, []]
      const next = { ...state, started: true, id: event.id, model: event.model, created: event.created ?? state.options.created }
      return [next, [roleChunk(next)]]
    }
    case "BlockStart": {
      const [started, first] = ensureStarted(state)
      const [next, out] = encodeBlockStart(started, event.index, event.block)
      return [next, [...first, ...out]]
    }
    case "BlockDelta": {
      const [next, first] = ensureStarted(state)
      return [next, [...first, ...encodeBlockDelta(next, event.index, event.delta)]]
    }
    case "BlockStop":
    case "KeepAlive":
      return [state, []]
    case "Finish": {
      const [started, first] = ensureStarted(state)
      const next = { ...started, ended: true }
      const usage = state.options.includeUsage && event.usage !== undefined
        ? [Sse.json({ id: next.id, object: "chat.completion.chunk", created: next.created, model: next.model, choices: [], usage: OpenAiUsage.fromCanonical(event.usage) })]
        : []
      return [next, [...first, chunk(next, {}, StopReason.fromCanonical(event.finish)), ...usage, Sse.done]]
    }
    case "Error":
      return [{ ...state, ended: true }, [errorEvent(event.error)]]
  }
}

/** A canonical stream that ends without a finish or an error still ends with an error for the caller. */
export const encodeHalt = (state: EncodeState): ReadonlyArray<Sse.OutboundEvent> =>
  state.ended ? [] : [errorEvent({ kind: "server", message: "the upstream stream ended unexpectedly" })]

/** The encoder as a fold, for one caller's options. */
export const encoder = (options: EncodeOptions): StreamDecoding.EncoderFold<EncodeState> => ({
  initial: initialEncodeState(options),
  step: encodeEvent,
  halt: encodeHalt
})

/** Canonical events → OpenAI SSE events. */
export const encodeStream = (options: EncodeOptions) => StreamDecoding.encodeStream(encoder(options))
