/**
 * Anthropic Messages streams ↔ canonical stream events, as two folds
 * (`(state, event) => [state, outputs]`) meant for `Stream.mapAccum`, each with an `onHalt`.
 *
 * Decoding maps `content_block_*` events one to one onto canonical blocks (same indices), the
 * `message_delta` stop reason and cumulative usage onto `Finish` (sent at `message_stop`), `ping`
 * onto `KeepAlive` and `event: error` onto `Error`. Blocks the hub does not carry (server-tool
 * results, compaction, …) are skipped with their deltas.
 *
 * Encoding writes `message_start`, `content_block_start/delta/stop`, `ping`, `message_delta`,
 * `message_stop` (or `error`), each with its `event:` name — the Anthropic SDK ignores events
 * without one. Anthropic blocks cannot interleave, while canonical blocks may (parallel tool
 * calls streamed by an OpenAI-compatible host), so one block is written at a time and the others
 * wait in a queue with their deltas. The open block gives way as soon as it is certainly done:
 * on its stop, or — for a block that never gets an explicit stop until the finish — when another
 * block has something to say and the open one is text, reasoning, or a tool call whose
 * arguments already form a complete JSON value. A complete JSON object cannot grow, so a later
 * delta for it is impossible, and sequential tool calls still stream incrementally.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 */
import { Result, Schema, Stream } from "effect"
import type { BlockDelta, BlockKind, Finish, StreamError, StreamEvent, UpstreamFailure, Usage } from "../Canonical.ts"
import * as Sse from "../Sse.ts"
import * as StreamDecoding from "../StreamDecoding.ts"
import { OtherType } from "../WireSchema.ts"
import * as ErrorType from "./ErrorType.ts"
import { noUsage } from "./Response.ts"
import * as StopReason from "./StopReason.ts"
import * as AnthropicUsage from "./Usage.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

const StartBlock = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text"), text: Schema.optionalKey(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("thinking"), thinking: Schema.optionalKey(Schema.String), signature: OptionalString }),
  Schema.Struct({ type: Schema.Literal("redacted_thinking"), data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("tool_use"), id: Schema.String, name: Schema.String, input: Schema.optionalKey(Schema.Unknown) }),
  OtherType(["text", "thinking", "redacted_thinking", "tool_use"])
])

const Delta = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text_delta"), text: Schema.String }),
  Schema.Struct({ type: Schema.Literal("thinking_delta"), thinking: Schema.String }),
  Schema.Struct({ type: Schema.Literal("signature_delta"), signature: Schema.String }),
  Schema.Struct({ type: Schema.Literal("input_json_delta"), partial_json: Schema.String }),
  OtherType(["text_delta", "thinking_delta", "signature_delta", "input_json_delta"])
])

/** One Anthropic stream event, told apart by its `type`. */
export const AnthropicStreamEvent = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("message_start"),
    message: Schema.Struct({
      id: Schema.String,
      model: Schema.String,
      usage: Schema.optionalKey(Schema.NullOr(AnthropicUsage.AnthropicUsage))
    })
  }),
  Schema.Struct({ type: Schema.Literal("content_block_start"), index: Schema.Number, content_block: StartBlock }),
  Schema.Struct({ type: Schema.Literal("content_block_delta"), index: Schema.Number, delta: Delta }),
  Schema.Struct({ type: Schema.Literal("content_block_stop"), index: Schema.Number }),
  Schema.Struct({
    type: Schema.Literal("message_delta"),
    delta: Schema.Struct({ stop_reason: OptionalString, stop_sequence: OptionalString }),
    usage: Schema.optionalKey(Schema.NullOr(AnthropicUsage.AnthropicUsage))
  }),
  Schema.Struct({ type: Schema.Literal("message_stop") }),
  Schema.Struct({ type: Schema.Literal("ping") }),
  Schema.Struct({
    type: Schema.Literal("error"),
    error: Schema.Struct({ type: Schema.optionalKey(Schema.String), message: Schema.optionalKey(Schema.String) })
  }),
  OtherType([
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error"
  ])
])
export type AnthropicStreamEvent = typeof AnthropicStreamEvent.Type

const decodeWireEvent = Schema.decodeUnknownResult(AnthropicStreamEvent)

// ---------------------------------------------------------------------------------------------
// Decoding: upstream events → canonical events
// ---------------------------------------------------------------------------------------------

/** The decoder's accumulator. */
export interface DecodeState {
  readonly started: boolean
  readonly ended: boolean
  /** `message_start` usage, which `message_delta`'s cumulative counters override. */
  readonly startUsage: AnthropicUsage.AnthropicUsage | undefined
  /** Blocks the hub does not carry; their deltas and stop are skipped. */
  readonly skipped: ReadonlyArray<number>
  readonly open: ReadonlyArray<number>
  readonly finish: Finish | undefined
  readonly usage: Usage | undefined
}

export const initialDecodeState: DecodeState = {
  started: false,
  ended: false,
  startUsage: undefined,
  skipped: [],
  open: [],
  finish: undefined,
  usage: undefined
}

type Decoded = readonly [DecodeState, ReadonlyArray<StreamEvent>]

const fail = (state: DecodeState, message: string, kind: StreamError["kind"] = "server"): Decoded => [
  { ...state, ended: true, open: [] },
  [...state.open.map((index): StreamEvent => ({ _tag: "BlockStop", index })), { _tag: "Error", error: { kind, message } }]
]

const finishNow = (state: DecodeState): Decoded => [
  { ...state, ended: true, open: [] },
  [
    ...state.open.map((index): StreamEvent => ({ _tag: "BlockStop", index })),
    {
      _tag: "Finish",
      finish: state.finish ?? { reason: "other", raw: undefined, stopSequence: undefined },
      usage: state.usage ?? (state.startUsage ? AnthropicUsage.toCanonical(state.startUsage) : undefined)
    }
  ]
]

const blockStart = (
  state: DecodeState,
  index: number,
  block: Extract<AnthropicStreamEvent, { type: "content_block_start" }>["content_block"]
): Decoded => {
  const opened = { ...state, open: [...state.open, index] }
  if ("data" in block) return [opened, [{ _tag: "BlockStart", index, block: { _tag: "RedactedReasoning", data: block.data } }]]
  if ("id" in block) {
    // The input is normally `{}` with the arguments streamed as deltas; a full input up front is an arguments delta.
    const input = block.input !== undefined && JSON.stringify(block.input) !== "{}" ? JSON.stringify(block.input) : undefined
    return [opened, [
      { _tag: "BlockStart", index, block: { _tag: "ToolCall", id: block.id, name: block.name } },
      ...(input !== undefined ? [{ _tag: "BlockDelta", index, delta: { _tag: "ToolArguments", json: input } } as const] : [])
    ]]
  }
  if (block.type === "thinking") {
    const thinking = "thinking" in block ? block.thinking : undefined
    const signature = "signature" in block ? block.signature : undefined
    return [opened, [
      { _tag: "BlockStart", index, block: { _tag: "Reasoning" } },
      ...(thinking ? [{ _tag: "BlockDelta", index, delta: { _tag: "Reasoning", text: thinking } } as const] : []),
      ...(signature ? [{ _tag: "BlockDelta", index, delta: { _tag: "Signature", signature } } as const] : [])
    ]]
  }
  if (block.type === "text") {
    const text = "text" in block ? block.text : undefined
    return [opened, [
      { _tag: "BlockStart", index, block: { _tag: "Text" } },
      ...(text ? [{ _tag: "BlockDelta", index, delta: { _tag: "Text", text } } as const] : [])
    ]]
  }
  return [{ ...state, skipped: [...state.skipped, index] }, []]
}

const blockDelta = (
  state: DecodeState,
  index: number,
  delta: Extract<AnthropicStreamEvent, { type: "content_block_delta" }>["delta"]
): Decoded => {
  if (!state.open.includes(index)) return [state, []]
  const out = (d: BlockDelta): Decoded => [state, [{ _tag: "BlockDelta", index, delta: d }]]
  if ("text" in delta) return delta.text === "" ? [state, []] : out({ _tag: "Text", text: delta.text })
  if ("thinking" in delta) return delta.thinking === "" ? [state, []] : out({ _tag: "Reasoning", text: delta.thinking })
  if ("signature" in delta) return delta.signature === "" ? [state, []] : out({ _tag: "Signature", signature: delta.signature })
  if ("partial_json" in delta) return delta.partial_json === "" ? [state, []] : out({ _tag: "ToolArguments", json: delta.partial_json })
  // citations_delta and future delta types carry nothing the hub can hold.
  return [state, []]
}

const decodeWire = (state: DecodeState, event: AnthropicStreamEvent): Decoded => {
  switch (event.type) {
    case "message_start": {
      if (!("message" in event)) return [state, []]
      const usage = event.message.usage ?? undefined
      return [{ ...state, started: true, startUsage: usage }, [{
        _tag: "Start",
        id: event.message.id,
        model: event.message.model,
        created: undefined,
        usage: usage ? AnthropicUsage.toCanonical(usage) : undefined
      }]]
    }
    case "content_block_start":
      return "content_block" in event ? blockStart(state, event.index, event.content_block) : [state, []]
    case "content_block_delta":
      return "delta" in event && "index" in event ? blockDelta(state, event.index, event.delta) : [state, []]
    case "content_block_stop":
      return "index" in event && state.open.includes(event.index)
        ? [{ ...state, open: state.open.filter((index) => index !== event.index) }, [{ _tag: "BlockStop", index: event.index }]]
        : [state, []]
    case "message_delta": {
      if (!("delta" in event)) return [state, []]
      const reason = event.delta.stop_reason
      const usage = "usage" in event ? event.usage : undefined
      return [{
        ...state,
        finish: reason ? StopReason.toCanonical(reason, event.delta.stop_sequence) : state.finish,
        usage: usage ? AnthropicUsage.toCanonical(usage, state.startUsage) : state.usage
      }, []]
    }
    case "message_stop":
      return finishNow(state)
    case "ping":
      return [state, [{ _tag: "KeepAlive" }]]
    case "error": {
      const error = "error" in event ? event.error : {}
      return [{ ...state, ended: true, open: [] }, [{
        _tag: "Error",
        error: { kind: ErrorType.toCanonical(error.type), message: error.message ?? "upstream error" }
      }]]
    }
    default:
      // Newer event types: nothing the hub can hold.
      return [state, []]
  }
}

/** One upstream SSE event (or the upstream's failure) into canonical events. */
export const decodeEvent = (state: DecodeState, event: Sse.InboundEvent | UpstreamFailure): Decoded => {
  if (state.ended) return [state, []]
  if ("_tag" in event) return fail(state, event.error.message, event.error.kind)
  let json: unknown
  try {
    json = JSON.parse(event.data)
  } catch {
    return fail(state, `the upstream sent an event that is not JSON: ${event.data.slice(0, 200)}`)
  }
  const decoded = decodeWireEvent(json)
  if (Result.isFailure(decoded)) {
    return fail(state, `the upstream sent a malformed ${event.event} event: ${decoded.failure.message.replace(/\s+/g, " ")}`)
  }
  return decodeWire(state, decoded.success)
}

/** At the end of the upstream stream: a stop reason without `message_stop` is forgiven; no stop reason is an error. */
export const decodeHalt = (state: DecodeState): ReadonlyArray<StreamEvent> => {
  if (state.ended) return []
  return state.finish !== undefined
    ? finishNow(state)[1]
    : fail(state, "the upstream closed the stream before it finished")[1]
}

/** The decoder as a fold, for `StreamDecoding.run` (a driver without Effect) or the Stream wrappers below. */
export const decoder: StreamDecoding.DecoderFold<DecodeState> = { initial: initialDecodeState, step: decodeEvent, halt: decodeHalt }

/** Upstream SSE events → canonical events; see `StreamDecoding.decodeStream`. */
export const decodeStream = StreamDecoding.decodeStream(decoder)

/** Upstream SSE events → canonical events, an upstream failure ending them with an `Error`; see `StreamDecoding.decodeStreamWith`. */
export const decodeStreamWith = StreamDecoding.decodeStreamWith(decoder)

// ---------------------------------------------------------------------------------------------
// Encoding: canonical events → Anthropic events
// ---------------------------------------------------------------------------------------------

/** The block being written. */
interface OpenBlock {
  /** The canonical block index. */
  readonly source: number
  /** Its Anthropic content index. */
  readonly index: number
  readonly kind: BlockKind["_tag"]
  /** Tool-call arguments written so far, to tell when they are complete. */
  readonly args: string
}

/** A block waiting for its turn, with what arrived for it meanwhile. */
interface QueuedBlock {
  readonly source: number
  readonly block: BlockKind
  readonly deltas: ReadonlyArray<BlockDelta>
  readonly stopped: boolean
}

/** The encoder's accumulator. */
export interface EncodeState {
  readonly started: boolean
  readonly ended: boolean
  readonly nextIndex: number
  readonly open: OpenBlock | undefined
  readonly queue: ReadonlyArray<QueuedBlock>
  /** Canonical blocks already written and closed. */
  readonly closed: ReadonlyArray<number>
}

export const initialEncodeState: EncodeState = {
  started: false,
  ended: false,
  nextIndex: 0,
  open: undefined,
  queue: [],
  closed: []
}

const event = <const T extends { readonly type: string }>(data: T): Sse.OutboundEvent => Sse.json(data, data.type)

const startEvent = (id: string, model: string, usage: Usage | undefined) =>
  event({
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Required here; counts not known yet (an OpenAI upstream reports them at the end) are
      // zero placeholders that `message_delta` overrides, as Anthropic itself does for output.
      usage: usage !== undefined ? AnthropicUsage.fromCanonical(usage) : noUsage
    }
  })

const blockStartPayload = (block: BlockKind): object => {
  switch (block._tag) {
    case "Text":
    case "Refusal":
      return { type: "text", text: "" }
    case "Reasoning":
      return { type: "thinking", thinking: "", signature: "" }
    case "RedactedReasoning":
      return { type: "redacted_thinking", data: block.data }
    case "ToolCall":
      return { type: "tool_use", id: block.id, name: block.name, input: {} }
  }
}

const deltaPayload = (delta: BlockDelta): object => {
  switch (delta._tag) {
    case "Text":
    case "Refusal":
      return { type: "text_delta", text: delta.text }
    case "Reasoning":
      return { type: "thinking_delta", thinking: delta.text }
    case "Signature":
      return { type: "signature_delta", signature: delta.signature }
    case "ToolArguments":
      return { type: "input_json_delta", partial_json: delta.json }
  }
}

/** The block a delta implies when it arrives for a block that was never started (or already closed). */
const impliedBlock = (delta: BlockDelta): BlockKind | undefined => {
  switch (delta._tag) {
    case "Text":
      return { _tag: "Text" }
    case "Refusal":
      return { _tag: "Refusal" }
    case "Reasoning":
      return { _tag: "Reasoning" }
    case "Signature":
    case "ToolArguments":
      // A lone signature or argument fragment cannot stand as a block of its own.
      return undefined
  }
}

const isCompleteJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** A mutable builder for one step of the fold. */
class EncodeStep {
  readonly out: Array<Sse.OutboundEvent> = []
  state: EncodeState
  constructor(state: EncodeState) {
    this.state = state
  }

  ensureStarted() {
    if (this.state.started) return
    // Events before `Start` should not happen; the Anthropic SDK rejects content before message_start.
    this.out.push(startEvent("msg_unknown", "unknown", undefined))
    this.state = { ...this.state, started: true }
  }

  writeDelta(delta: BlockDelta) {
    const open = this.state.open
    if (open === undefined) return
    // An Anthropic block holds one kind of delta; a stray kind (a signature on a text block) is dropped.
    const fits = delta._tag === "ToolArguments"
      ? open.kind === "ToolCall"
      : delta._tag === "Reasoning" || delta._tag === "Signature"
      ? open.kind === "Reasoning"
      : open.kind === "Text" || open.kind === "Refusal"
    if (!fits) return
    this.out.push(event({ type: "content_block_delta", index: open.index, delta: deltaPayload(delta) }))
    if (delta._tag === "ToolArguments") this.state = { ...this.state, open: { ...open, args: open.args + delta.json } }
  }

  closeOpen() {
    const open = this.state.open
    if (open === undefined) return
    this.out.push(event({ type: "content_block_stop", index: open.index }))
    this.state = { ...this.state, open: undefined, closed: [...this.state.closed, open.source] }
  }

  startBlock(queued: QueuedBlock) {
    const index = this.state.nextIndex
    this.out.push(event({ type: "content_block_start", index, content_block: blockStartPayload(queued.block) }))
    this.state = { ...this.state, nextIndex: index + 1, open: { source: queued.source, index, kind: queued.block._tag, args: "" } }
    for (const delta of queued.deltas) this.writeDelta(delta)
    if (queued.stopped) this.closeOpen()
  }

  /** Opens queued blocks, in order, while nothing is open. */
  settle() {
    while (this.state.open === undefined && this.state.queue.length > 0) {
      const [next, ...rest] = this.state.queue
      this.state = { ...this.state, queue: rest }
      this.startBlock(next!)
    }
  }

  /** Another block wants to speak: the open one gives way if it is certainly done. */
  yieldTo() {
    const open = this.state.open
    if (open !== undefined && (open.kind !== "ToolCall" || isCompleteJson(open.args))) this.closeOpen()
    this.settle()
  }

  enqueue(queued: QueuedBlock) {
    this.state = { ...this.state, queue: [...this.state.queue, queued] }
    this.yieldTo()
  }

  updateQueued(source: number, update: (queued: QueuedBlock) => QueuedBlock): boolean {
    const position = this.state.queue.findIndex((queued) => queued.source === source)
    if (position < 0) return false
    this.state = { ...this.state, queue: this.state.queue.map((queued, i) => i === position ? update(queued) : queued) }
    return true
  }

  result(): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] {
    return [this.state, this.out]
  }
}

const errorEvent = (error: StreamError) => event(ErrorType.fromCanonical(error))

/** One canonical event into Anthropic SSE events. Nothing is written after `message_stop` or an error. */
export const encodeEvent = (state: EncodeState, canonical: StreamEvent): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] => {
  const step = new EncodeStep(state)
  if (state.ended) return step.result()
  switch (canonical._tag) {
    case "Start":
      if (!state.started) {
        step.out.push(startEvent(canonical.id, canonical.model, canonical.usage))
        step.state = { ...step.state, started: true }
      }
      break
    case "BlockStart": {
      step.ensureStarted()
      const known = step.state.open?.source === canonical.index ||
        step.state.queue.some((queued) => queued.source === canonical.index)
      if (!known) step.enqueue({ source: canonical.index, block: canonical.block, deltas: [], stopped: false })
      break
    }
    case "BlockDelta": {
      step.ensureStarted()
      if (step.state.open?.source === canonical.index) {
        step.writeDelta(canonical.delta)
      } else if (step.updateQueued(canonical.index, (queued) => ({ ...queued, deltas: [...queued.deltas, canonical.delta] }))) {
        step.yieldTo()
      } else {
        // A block never started, or more text for one that had to give way: text continues in a new block.
        const block = impliedBlock(canonical.delta)
        if (block !== undefined) step.enqueue({ source: canonical.index, block, deltas: [canonical.delta], stopped: false })
      }
      break
    }
    case "BlockStop":
      if (step.state.open?.source === canonical.index) {
        step.closeOpen()
        step.settle()
      } else {
        step.updateQueued(canonical.index, (queued) => ({ ...queued, stopped: true }))
      }
      break
    case "KeepAlive":
      if (state.started) step.out.push(event({ type: "ping" }))
      break
    case "Finish": {
      step.ensureStarted()
      step.closeOpen()
      while (step.state.queue.length > 0) {
        step.settle()
        step.closeOpen()
      }
      const usage = canonical.usage !== undefined ? AnthropicUsage.fromCanonical(canonical.usage) : { output_tokens: 0 }
      step.out.push(
        event({
          type: "message_delta",
          delta: { stop_reason: StopReason.fromCanonical(canonical.finish), stop_sequence: canonical.finish.stopSequence ?? null },
          usage
        }),
        event({ type: "message_stop" })
      )
      step.state = { ...step.state, ended: true }
      break
    }
    case "Error":
      step.out.push(errorEvent(canonical.error))
      step.state = { ...step.state, ended: true }
      break
  }
  return step.result()
}

/** A canonical stream that ends without a finish or an error still ends with an error for the caller. */
export const encodeHalt = (state: EncodeState): ReadonlyArray<Sse.OutboundEvent> =>
  state.ended ? [] : [errorEvent({ kind: "server", message: "the upstream stream ended unexpectedly" })]

/** The encoder as a fold. */
export const encoder: StreamDecoding.EncoderFold<EncodeState> = { initial: initialEncodeState, step: encodeEvent, halt: encodeHalt }

/** Canonical events → Anthropic SSE events. */
export const encodeStream: <E, R>(events: Stream.Stream<StreamEvent, E, R>) => Stream.Stream<Sse.OutboundEvent, E, R> =
  StreamDecoding.encodeStream(encoder)
