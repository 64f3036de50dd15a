/**
 * Open Responses streams ↔ canonical stream events, as two folds
 * (`(state, event) => [state, outputs]`) meant for `Stream.mapAccum`, each with an `onHalt`.
 *
 * Decoding: each output item becomes canonical blocks — a `message` item one block per content
 * part (text or refusal), a `function_call` item one tool-call block, a `reasoning` item one
 * reasoning block (its reasoning text and summaries, its `encrypted_content` as the signature;
 * with only `encrypted_content`, a redacted-reasoning block). Items may interleave (parallel
 * calls), so every delta finds its block by `output_index`/`content_index`. The terminal
 * `response.completed`/`response.incomplete` becomes `Finish` with the response's usage;
 * `error` and `response.failed` become `Error`. Both the spec's event names
 * (`response.reasoning.delta`, `response.reasoning_summary.delta`) and OpenAI's
 * (`response.reasoning_text.delta`, `response.reasoning_summary_text.delta`) are read.
 *
 * Encoding writes the sequence the spec and the OpenAI SDK expect: `response.created`,
 * `response.in_progress`, then per block an output item (`output_item.added`,
 * `content_part.added`, deltas, `*.done`, `content_part.done`, `output_item.done`) and finally
 * `response.completed` or `response.incomplete` carrying the full ResponseResource, then
 * `[DONE]`. Every event has its `event:` name equal to its `type` and a `sequence_number`. A
 * failure is an `error` event followed by `response.failed` (the spec: "any error incurred while
 * streaming will be followed by a `response.failed` event"). An item's done events carry the
 * status the answer gave it (`Status.unfinishedItemStatuses`), so they wait for the event after
 * its block's end: the item an incomplete answer stopped in is `incomplete`, and so is every item
 * a failure interrupted, closed before the `error` event. Reasoning is written as OpenAI
 * does (`reasoning_text` parts, `response.reasoning_text.delta`), which the OpenAI SDK and the
 * Codex CLI read.
 *
 * @see https://www.openresponses.org/specification#streaming
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { Result, Schema } from "effect"
import type { BlockDelta, BlockKind, Finish, Request, StreamError, StreamEvent, UpstreamFailure, Usage } from "../Canonical.ts"
import * as Sse from "../Sse.ts"
import * as StreamDecoding from "../StreamDecoding.ts"
import type { ResponsesAssistantPartOut } from "./Content.ts"
import * as ErrorType from "./ErrorType.ts"
import { type ReasoningFields, reasoningToCanonical } from "./Items.ts"
import {
  echoOf,
  errorOf,
  itemId,
  resource,
  ResponsesOutputItem,
  type ResponsesOutputItemOut,
  ResponsesResponse
} from "./Response.ts"
import * as Status from "./Status.ts"
import * as ResponsesUsage from "./Usage.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))
const OptionalNumber = Schema.optionalKey(Schema.NullOr(Schema.Number))

/**
 * The ResponseResource of lifecycle events, read for what the stream needs (its items were
 * already read one by one, so only their types matter): a quirk in a finished item must not turn
 * a complete stream into an error.
 */
const StreamResponse = Schema.Struct({
  ...ResponsesResponse.fields,
  output: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Struct({ type: Schema.String }))))
})

/**
 * One Responses stream event: its `type` and the fields the translation reads, each typed.
 * One struct rather than a union of forty event types: the fields mean the same in every event
 * that has them, and events of types the hub cannot hold (hosted tools, annotations) pass by.
 */
export const ResponsesStreamEvent = Schema.Struct({
  type: Schema.String,
  sequence_number: OptionalNumber,
  output_index: OptionalNumber,
  content_index: OptionalNumber,
  summary_index: OptionalNumber,
  item_id: OptionalString,
  delta: OptionalString,
  text: OptionalString,
  refusal: OptionalString,
  arguments: OptionalString,
  item: Schema.optionalKey(Schema.NullOr(ResponsesOutputItem)),
  part: Schema.optionalKey(Schema.NullOr(Schema.Struct({ type: Schema.String, text: OptionalString, refusal: OptionalString }))),
  response: Schema.optionalKey(Schema.NullOr(StreamResponse)),
  // `error` events: the spec nests the payload in `error`, OpenAI sends it flat.
  error: Schema.optionalKey(Schema.NullOr(Schema.Struct({ type: OptionalString, code: OptionalString, message: OptionalString }))),
  code: OptionalString,
  message: OptionalString
})
export type ResponsesStreamEvent = typeof ResponsesStreamEvent.Type

const decodeWireEvent = Schema.decodeUnknownResult(ResponsesStreamEvent)

// ---------------------------------------------------------------------------------------------
// Decoding: upstream events → canonical events
// ---------------------------------------------------------------------------------------------

/** A canonical block fed by an upstream item (and, for messages, one of its content parts). */
interface DecodedBlock {
  readonly outputIndex: number
  /** The content or summary index within the item; 0 for function calls and reasoning. */
  readonly part: number
  readonly index: number
  readonly kind: BlockKind["_tag"]
  /** Whether deltas came: a `*.done` with the whole text then adds nothing. */
  readonly hasDeltas: boolean
  readonly open: boolean
}

/** An upstream output item. */
interface DecodedItem {
  readonly outputIndex: number
  readonly type: string
}

/** The decoder's accumulator. */
export interface DecodeState {
  readonly started: boolean
  readonly ended: boolean
  readonly nextBlock: number
  readonly items: ReadonlyArray<DecodedItem>
  readonly blocks: ReadonlyArray<DecodedBlock>
  readonly sawToolCalls: boolean
}

export const initialDecodeState: DecodeState = {
  started: false,
  ended: false,
  nextBlock: 0,
  items: [],
  blocks: [],
  sawToolCalls: false
}

/** A mutable builder for one step of the fold. */
class Step {
  readonly out: Array<StreamEvent> = []
  state: DecodeState
  constructor(state: DecodeState) {
    this.state = state
  }

  emit(event: StreamEvent) {
    this.out.push(event)
  }

  block(outputIndex: number, part: number): DecodedBlock | undefined {
    return this.state.blocks.find((block) => block.outputIndex === outputIndex && block.part === part && block.open)
  }

  update(block: DecodedBlock, change: Partial<DecodedBlock>) {
    this.state = { ...this.state, blocks: this.state.blocks.map((b) => b.index === block.index ? { ...b, ...change } : b) }
  }

  open(outputIndex: number, part: number, kind: BlockKind): DecodedBlock {
    const index = this.state.nextBlock
    const block: DecodedBlock = { outputIndex, part, index, kind: kind._tag, hasDeltas: false, open: true }
    this.state = {
      ...this.state,
      nextBlock: index + 1,
      blocks: [...this.state.blocks, block],
      sawToolCalls: this.state.sawToolCalls || kind._tag === "ToolCall"
    }
    this.emit({ _tag: "BlockStart", index, block: kind })
    return block
  }

  /** The open block for this item part, opened as `kind` when there is none yet. */
  ensure(outputIndex: number, part: number, kind: BlockKind): DecodedBlock {
    return this.block(outputIndex, part) ?? this.open(outputIndex, part, kind)
  }

  delta(block: DecodedBlock, delta: BlockDelta) {
    this.emit({ _tag: "BlockDelta", index: block.index, delta })
    if (!block.hasDeltas) this.update(block, { hasDeltas: true })
  }

  stop(block: DecodedBlock) {
    this.emit({ _tag: "BlockStop", index: block.index })
    this.update(block, { open: false })
  }

  stopItem(outputIndex: number) {
    for (const block of this.state.blocks.filter((b) => b.outputIndex === outputIndex && b.open)) this.stop(block)
  }

  closeAll() {
    for (const block of this.state.blocks.filter((b) => b.open)) this.stop(block)
  }

  fail(error: StreamError) {
    this.closeAll()
    this.emit({ _tag: "Error", error })
    this.state = { ...this.state, ended: true }
  }

  finish(finish: Finish, usage: Usage | undefined) {
    this.closeAll()
    this.emit({ _tag: "Finish", finish, usage })
    this.state = { ...this.state, ended: true }
  }

  result(): readonly [DecodeState, ReadonlyArray<StreamEvent>] {
    return [this.state, this.out]
  }
}

const nonEmpty = (text: string | null | undefined): text is string => text !== undefined && text !== null && text !== ""

const itemAdded = (step: Step, outputIndex: number, item: ResponsesOutputItem) => {
  step.state = { ...step.state, items: [...step.state.items, { outputIndex, type: item.type }] }
  if (item.type === "function_call" && "call_id" in item) {
    const block = step.open(outputIndex, 0, { _tag: "ToolCall", id: item.call_id, name: item.name })
    if (nonEmpty(item.arguments)) step.delta(block, { _tag: "ToolArguments", json: item.arguments })
  }
}

/** The whole content of a message item, for an upstream that sent no part events for it. */
const messageFromDone = (step: Step, outputIndex: number, item: ResponsesOutputItem) => {
  if (!("content" in item) || item.type !== "message") return
  for (const [i, part] of item.content.entries()) {
    if (!("text" in part) && !("refusal" in part)) continue
    const block = "text" in part
      ? step.open(outputIndex, i, { _tag: "Text" })
      : step.open(outputIndex, i, { _tag: "Refusal" })
    const text = "text" in part ? part.text : part.refusal
    if (text !== "") step.delta(block, "text" in part ? { _tag: "Text", text } : { _tag: "Refusal", text })
    step.stop(block)
  }
}

const itemDone = (step: Step, outputIndex: number, item: ResponsesOutputItem) => {
  switch (item.type) {
    case "function_call": {
      const block = step.block(outputIndex, 0)
      if (block !== undefined && !block.hasDeltas && "call_id" in item && nonEmpty(item.arguments)) {
        step.delta(block, { _tag: "ToolArguments", json: item.arguments })
      }
      break
    }
    case "message":
      if (!step.state.blocks.some((block) => block.outputIndex === outputIndex)) messageFromDone(step, outputIndex, item)
      break
    case "reasoning": {
      // The catch-all member excludes known types, so a `reasoning` item has the reasoning fields.
      const reasoning = item as ReasoningFields
      const encrypted = reasoning.encrypted_content || undefined
      let block = step.block(outputIndex, 0)
      if (block === undefined && !step.state.blocks.some((b) => b.outputIndex === outputIndex)) {
        // Sent whole: the same reading as a complete response's item.
        const [part] = reasoningToCanonical(reasoning)
        if (part?._tag === "RedactedReasoning") {
          step.stop(step.open(outputIndex, 0, { _tag: "RedactedReasoning", data: part.data }))
          return
        }
        if (part?._tag === "Reasoning") {
          block = step.open(outputIndex, 0, { _tag: "Reasoning" })
          if (part.text !== "") step.delta(block, { _tag: "Reasoning", text: part.text })
        }
      }
      if (block !== undefined && encrypted !== undefined) step.delta(block, { _tag: "Signature", signature: encrypted })
      break
    }
  }
  step.stopItem(outputIndex)
}

/** Text for a message part, from its delta (or its `done` text when no delta came). */
const partText = (step: Step, event: ResponsesStreamEvent, kind: "Text" | "Refusal", text: string | null | undefined, isDone: boolean) => {
  const outputIndex = event.output_index ?? 0
  const part = event.content_index ?? 0
  const existing = step.block(outputIndex, part)
  if (isDone && existing?.hasDeltas) return
  if (!nonEmpty(text)) return
  const block = existing ?? step.open(outputIndex, part, { _tag: kind })
  step.delta(block, kind === "Text" ? { _tag: "Text", text } : { _tag: "Refusal", text })
}

/** Reasoning text or summary for a reasoning item: one canonical block per item, summaries apart by a blank line. */
const reasoningDelta = (step: Step, event: ResponsesStreamEvent, text: string | null | undefined, isDone: boolean) => {
  const outputIndex = event.output_index ?? 0
  const existing = step.block(outputIndex, 0)
  if (isDone && existing?.hasDeltas) return
  if (!nonEmpty(text)) return
  step.delta(existing ?? step.open(outputIndex, 0, { _tag: "Reasoning" }), { _tag: "Reasoning", text })
}

const decodeWire = (step: Step, event: ResponsesStreamEvent) => {
  switch (event.type) {
    case "response.created":
    case "response.in_progress":
    case "response.queued":
      if (!step.state.started && event.response) {
        step.emit({
          _tag: "Start",
          id: event.response.id,
          model: event.response.model ?? "unknown",
          created: event.response.created_at ?? undefined,
          usage: undefined
        })
        step.state = { ...step.state, started: true }
      }
      return
    case "response.output_item.added":
      if (event.item) itemAdded(step, event.output_index ?? step.state.items.length, event.item)
      return
    case "response.output_item.done":
      if (event.item) itemDone(step, event.output_index ?? 0, event.item)
      return
    case "response.content_part.added": {
      const outputIndex = event.output_index ?? 0
      const type = step.state.items.find((item) => item.outputIndex === outputIndex)?.type
      const part = event.part
      if (type === "message" && part?.type === "output_text") {
        step.ensure(outputIndex, event.content_index ?? 0, { _tag: "Text" })
        partText(step, event, "Text", part.text, false)
      } else if (type === "message" && part?.type === "refusal") {
        step.ensure(outputIndex, event.content_index ?? 0, { _tag: "Refusal" })
        partText(step, event, "Refusal", part.refusal, false)
      }
      return
    }
    case "response.content_part.done": {
      const type = step.state.items.find((item) => item.outputIndex === (event.output_index ?? 0))?.type
      if (type !== "message") return
      const block = step.block(event.output_index ?? 0, event.content_index ?? 0)
      if (block !== undefined) step.stop(block)
      return
    }
    case "response.output_text.delta":
      return partText(step, event, "Text", event.delta, false)
    case "response.output_text.done":
      return partText(step, event, "Text", event.text, true)
    case "response.refusal.delta":
      return partText(step, event, "Refusal", event.delta, false)
    case "response.refusal.done":
      return partText(step, event, "Refusal", event.refusal, true)
    case "response.function_call_arguments.delta": {
      const block = step.block(event.output_index ?? 0, 0)
      if (block?.kind === "ToolCall" && nonEmpty(event.delta)) step.delta(block, { _tag: "ToolArguments", json: event.delta })
      return
    }
    case "response.function_call_arguments.done": {
      const block = step.block(event.output_index ?? 0, 0)
      if (block?.kind === "ToolCall" && !block.hasDeltas && nonEmpty(event.arguments)) {
        step.delta(block, { _tag: "ToolArguments", json: event.arguments })
      }
      return
    }
    case "response.reasoning_text.delta":
    case "response.reasoning.delta":
    case "response.reasoning_summary_text.delta":
    case "response.reasoning_summary.delta":
      return reasoningDelta(step, event, event.delta, false)
    case "response.reasoning_text.done":
    case "response.reasoning.done":
    case "response.reasoning_summary_text.done":
    case "response.reasoning_summary.done":
      return reasoningDelta(step, event, event.text, true)
    case "response.reasoning_summary_part.added": {
      // A later summary part continues the same block after a blank line, as a complete item reads.
      const block = step.block(event.output_index ?? 0, 0)
      if ((event.summary_index ?? 0) > 0 && block?.hasDeltas) step.delta(block, { _tag: "Reasoning", text: "\n\n" })
      return
    }
    case "response.completed":
    case "response.incomplete": {
      const response = event.response
      const output = response?.output ?? []
      const calledTools = step.state.sawToolCalls || output.some((item) => item.type === "function_call")
      step.finish(
        Status.toCanonical(response?.status ?? (event.type === "response.completed" ? "completed" : "incomplete"), response?.incomplete_details?.reason, calledTools),
        response?.usage ? ResponsesUsage.toCanonical(response.usage) : undefined
      )
      return
    }
    case "response.failed":
      return step.fail(errorOf(event.response?.error))
    case "error": {
      const payload = event.error ?? { type: undefined, code: event.code, message: event.message }
      return step.fail({ kind: ErrorType.toCanonical(payload.type, payload.code), message: payload.message ?? "upstream error" })
    }
    default:
      // Annotations, hosted-tool progress and newer events carry nothing the hub can hold.
      return
  }
}

/** One upstream SSE event (or the upstream's failure) into canonical events. */
export const decodeEvent = (
  state: DecodeState,
  event: Sse.InboundEvent | UpstreamFailure
): readonly [DecodeState, ReadonlyArray<StreamEvent>] => {
  const step = new Step(state)
  if (state.ended) return step.result()
  if ("_tag" in event) {
    step.fail(event.error)
    return step.result()
  }
  const data = event.data.trim()
  if (data === "[DONE]") {
    step.fail({ kind: "server", message: "the upstream ended the stream without response.completed" })
    return step.result()
  }
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    step.fail({ kind: "server", message: `the upstream sent an event that is not JSON: ${data.slice(0, 200)}` })
    return step.result()
  }
  const decoded = decodeWireEvent(json)
  if (Result.isFailure(decoded)) {
    step.fail({ kind: "server", message: `the upstream sent a malformed ${event.event} event: ${decoded.failure.message.replace(/\s+/g, " ")}` })
    return step.result()
  }
  decodeWire(step, decoded.success)
  return step.result()
}

/** At the end of the upstream stream: without a terminal event it is an error, never a silent stop. */
export const decodeHalt = (state: DecodeState): ReadonlyArray<StreamEvent> => {
  if (state.ended) return []
  const step = new Step(state)
  step.fail({ kind: "server", message: "the upstream closed the stream before it finished" })
  return step.out
}

/** The decoder as a fold, for `StreamDecoding.run` (a driver without Effect) or the Stream wrappers below. */
export const decoder: StreamDecoding.DecoderFold<DecodeState> = { initial: initialDecodeState, step: decodeEvent, halt: decodeHalt }

/** Upstream SSE events → canonical events; see `StreamDecoding.decodeStream`. */
export const decodeStream = StreamDecoding.decodeStream(decoder)

/** Upstream SSE events → canonical events, an upstream failure ending them with an `Error`; see `StreamDecoding.decodeStreamWith`. */
export const decodeStreamWith = StreamDecoding.decodeStreamWith(decoder)

// ---------------------------------------------------------------------------------------------
// Encoding: canonical events → Responses events
// ---------------------------------------------------------------------------------------------

/** What the encoder needs to know. */
export interface EncodeOptions {
  /** Now, in Unix seconds: `created_at` when the upstream gave none, and `completed_at`. */
  readonly created: number
  /** The caller's canonical request, whose parameters every ResponseResource echoes. */
  readonly request?: Request | undefined
}

/**
 * Where an output item is in its life. `stopped`: its block has ended, but its done events wait
 * for the next event, which tells how: the answer going on means the item is complete; a finish
 * or a failure right after it means it may be the item that finish or failure cut off (decoders
 * close every open block before their `Finish` or `Error`, and a token limit stops a block just
 * as the end of a sentence does).
 */
type Phase = "open" | "stopped" | "closed"

/** An output item being written, and what it has received. */
interface EncodedItem {
  /** The canonical block that feeds it. */
  readonly source: number
  readonly kind: BlockKind
  readonly id: string
  readonly text: string
  readonly signature: string | undefined
  readonly phase: Phase
  /** `in_progress` until it is closed with the status the answer gave it. */
  readonly status: Status.ItemStatus
}

/** The encoder's accumulator. */
export interface EncodeState {
  readonly options: EncodeOptions
  readonly sequence: number
  readonly started: boolean
  readonly ended: boolean
  readonly id: string
  readonly model: string
  readonly createdAt: number
  /** In output order: the position is the `output_index`. */
  readonly items: ReadonlyArray<EncodedItem>
}

export const initialEncodeState = (options: EncodeOptions): EncodeState => ({
  options,
  sequence: 0,
  started: false,
  ended: false,
  id: "resp_unknown",
  model: "unknown",
  createdAt: options.created,
  items: []
})

/** The part of a text, refusal or reasoning item, complete so far. */
const partOf = (item: EncodedItem): ResponsesAssistantPartOut | { readonly type: "reasoning_text"; readonly text: string } | undefined => {
  switch (item.kind._tag) {
    case "Text":
      return { type: "output_text", text: item.text, annotations: [] }
    case "Refusal":
      return { type: "refusal", refusal: item.text }
    case "Reasoning":
      return { type: "reasoning_text", text: item.text }
    case "RedactedReasoning":
    case "ToolCall":
      return undefined
  }
}

/** The output item as it stands (`added` sends it empty, `done` complete). */
const itemOf = (item: EncodedItem, empty: boolean): ResponsesOutputItemOut => {
  const { status } = item
  switch (item.kind._tag) {
    case "Text":
      return { type: "message", id: item.id, status, role: "assistant", content: empty ? [] : [{ type: "output_text", text: item.text, annotations: [] }] }
    case "Refusal":
      return { type: "message", id: item.id, status, role: "assistant", content: empty ? [] : [{ type: "refusal", refusal: item.text }] }
    case "Reasoning":
      return {
        type: "reasoning",
        id: item.id,
        status,
        summary: [],
        ...(empty ? {} : { content: [{ type: "reasoning_text" as const, text: item.text }] }),
        ...(!empty && item.signature !== undefined ? { encrypted_content: item.signature } : {})
      }
    case "RedactedReasoning":
      return { type: "reasoning", id: item.id, status, summary: [], encrypted_content: item.kind.data }
    case "ToolCall":
      return { type: "function_call", id: item.id, call_id: item.kind.id, name: item.kind.name, arguments: empty ? "" : item.text, status }
  }
}

/** A mutable builder for one step of the fold. */
class EncodeStep {
  readonly out: Array<Sse.OutboundEvent> = []
  state: EncodeState
  constructor(state: EncodeState) {
    this.state = state
  }

  /** An event named after its type, with the next sequence number. */
  write<const T extends { readonly type: string }>(data: T) {
    this.out.push(Sse.json({ ...data, sequence_number: this.state.sequence }, data.type))
    this.state = { ...this.state, sequence: this.state.sequence + 1 }
  }

  resource(status: "in_progress" | "completed" | "incomplete" | "failed", fields: {
    readonly incompleteDetails?: { readonly reason: string } | null
    readonly error?: StreamError
    readonly usage?: Usage | undefined
  } = {}) {
    return resource({
      id: this.state.id,
      model: this.state.model,
      createdAt: this.state.createdAt,
      completedAt: Math.max(this.state.options.created, this.state.createdAt),
      status,
      incompleteDetails: fields.incompleteDetails ?? null,
      output: status === "in_progress" ? [] : this.state.items.map((item) => itemOf(item, false)),
      error: fields.error ?? null,
      usage: fields.usage,
      echo: echoOf(this.state.options.request)
    })
  }

  start(id: string, model: string, created: number | undefined) {
    this.state = { ...this.state, started: true, id, model, createdAt: created ?? this.state.createdAt }
    this.write({ type: "response.created", response: this.resource("in_progress") })
    this.write({ type: "response.in_progress", response: this.resource("in_progress") })
  }

  ensureStarted() {
    // Events before `Start` should not happen; the OpenAI SDK rejects anything before response.created.
    if (!this.state.started) this.start(this.state.id, this.state.model, undefined)
  }

  /** The output index of the item a block feeds, while that block is open. */
  position(source: number): number {
    return this.state.items.findIndex((item) => item.source === source && item.phase === "open")
  }

  setItem(outputIndex: number, change: Partial<EncodedItem>) {
    this.state = { ...this.state, items: this.state.items.map((item, i) => i === outputIndex ? { ...item, ...change } : item) }
  }

  open(source: number, kind: BlockKind) {
    const outputIndex = this.state.items.length
    const prefix = kind._tag === "ToolCall" ? "fc" : kind._tag === "Reasoning" || kind._tag === "RedactedReasoning" ? "rs" : "msg"
    const item: EncodedItem = {
      source,
      kind,
      id: itemId(prefix, this.state.id, outputIndex),
      text: "",
      signature: undefined,
      phase: "open",
      status: "in_progress"
    }
    this.state = { ...this.state, items: [...this.state.items, item] }
    this.write({ type: "response.output_item.added", output_index: outputIndex, item: itemOf(item, true) })
    const part = partOf(item)
    if (part !== undefined) {
      this.write({ type: "response.content_part.added", item_id: item.id, output_index: outputIndex, content_index: 0, part })
    }
  }

  delta(outputIndex: number, delta: BlockDelta) {
    const item = this.state.items[outputIndex]!
    const at = { item_id: item.id, output_index: outputIndex }
    switch (delta._tag) {
      case "Text":
        if (item.kind._tag !== "Text" || delta.text === "") return
        this.write({ type: "response.output_text.delta", ...at, content_index: 0, delta: delta.text, logprobs: [] })
        return this.setItem(outputIndex, { text: item.text + delta.text })
      case "Refusal":
        if (item.kind._tag !== "Refusal" || delta.text === "") return
        this.write({ type: "response.refusal.delta", ...at, content_index: 0, delta: delta.text })
        return this.setItem(outputIndex, { text: item.text + delta.text })
      case "Reasoning":
        if (item.kind._tag !== "Reasoning" || delta.text === "") return
        this.write({ type: "response.reasoning_text.delta", ...at, content_index: 0, delta: delta.text })
        return this.setItem(outputIndex, { text: item.text + delta.text })
      case "Signature":
        // Written with the finished item, as its `encrypted_content`.
        if (item.kind._tag === "Reasoning") this.setItem(outputIndex, { signature: (item.signature ?? "") + delta.signature })
        return
      case "ToolArguments":
        if (item.kind._tag !== "ToolCall" || delta.json === "") return
        this.write({ type: "response.function_call_arguments.delta", ...at, delta: delta.json })
        return this.setItem(outputIndex, { text: item.text + delta.json })
    }
  }

  /** The item's done events, carrying the status it ended with. */
  close(outputIndex: number, status: Status.ItemStatus) {
    this.setItem(outputIndex, { phase: "closed", status })
    const item = this.state.items[outputIndex]!
    const at = { item_id: item.id, output_index: outputIndex }
    switch (item.kind._tag) {
      case "Text":
        this.write({ type: "response.output_text.done", ...at, content_index: 0, text: item.text, logprobs: [] })
        break
      case "Refusal":
        this.write({ type: "response.refusal.done", ...at, content_index: 0, refusal: item.text })
        break
      case "Reasoning":
        this.write({ type: "response.reasoning_text.done", ...at, content_index: 0, text: item.text })
        break
      case "ToolCall":
        this.write({ type: "response.function_call_arguments.done", ...at, arguments: item.text })
        break
      case "RedactedReasoning":
        break
    }
    const part = partOf(item)
    if (part !== undefined) this.write({ type: "response.content_part.done", ...at, content_index: 0, part })
    this.write({ type: "response.output_item.done", output_index: outputIndex, item: itemOf(item, false) })
  }

  /** Its block ended: the done events wait for the next event (see `Phase`). */
  stop(outputIndex: number) {
    this.setItem(outputIndex, { phase: "stopped" })
  }

  /** The answer goes on: the stopped items were complete. */
  closeStopped() {
    this.state.items.forEach((item, i) => {
      if (item.phase === "stopped") this.close(i, "completed")
    })
  }

  /** The answer ended: every item not closed yet, in output order, with the status the ending gives it. */
  closeAll(ending: Status.Ending) {
    const unfinished = this.state.items.flatMap((item, i) => item.phase === "closed" ? [] : [i])
    const statuses = Status.unfinishedItemStatuses(ending, unfinished.length)
    unfinished.forEach((outputIndex, n) => this.close(outputIndex, statuses[n]!))
  }

  result(): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] {
    return [this.state, this.out]
  }
}

/** The block a delta implies when it arrives for a block that was never started. */
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
      return undefined
  }
}

const fail = (step: EncodeStep, error: StreamError) => {
  step.ensureStarted()
  step.closeAll("failed")
  step.write({ type: "error", error: ErrorType.payloadFromCanonical(error) })
  step.write({ type: "response.failed", response: step.resource("failed", { error }) })
  step.out.push(Sse.done)
  step.state = { ...step.state, ended: true }
}

/** One canonical event into Responses SSE events. Nothing is written after the terminal event. */
export const encodeEvent = (state: EncodeState, event: StreamEvent): readonly [EncodeState, ReadonlyArray<Sse.OutboundEvent>] => {
  const step = new EncodeStep(state)
  if (state.ended) return step.result()
  switch (event._tag) {
    case "Start":
      if (!state.started) step.start(event.id, event.model, event.created)
      break
    case "BlockStart":
      step.ensureStarted()
      step.closeStopped()
      if (step.position(event.index) < 0) step.open(event.index, event.block)
      break
    case "BlockDelta": {
      step.ensureStarted()
      step.closeStopped()
      let position = step.position(event.index)
      if (position < 0) {
        const implied = impliedBlock(event.delta)
        if (implied === undefined) break
        step.open(event.index, implied)
        position = step.position(event.index)
      }
      step.delta(position, event.delta)
      break
    }
    case "BlockStop": {
      const position = step.position(event.index)
      if (position >= 0) step.stop(position)
      break
    }
    case "KeepAlive":
      // Open Responses has no keep-alive event; the HTTP layer may write an SSE comment. It says
      // nothing of how the answer goes on, so stopped items keep waiting.
      break
    case "Finish": {
      step.ensureStarted()
      const { status, incomplete_details } = Status.fromCanonical(event.finish)
      step.closeAll(status)
      step.write({
        type: status === "completed" ? "response.completed" : "response.incomplete",
        response: step.resource(status, { incompleteDetails: incomplete_details, usage: event.usage })
      })
      step.out.push(Sse.done)
      step.state = { ...step.state, ended: true }
      break
    }
    case "Error":
      fail(step, event.error)
      break
  }
  return step.result()
}

/** A canonical stream that ends without a finish or an error still ends with a failure for the caller. */
export const encodeHalt = (state: EncodeState): ReadonlyArray<Sse.OutboundEvent> => {
  if (state.ended) return []
  const step = new EncodeStep(state)
  fail(step, { kind: "server", message: "the upstream stream ended unexpectedly" })
  return step.out
}

/** The encoder as a fold, for one caller's options. */
export const encoder = (options: EncodeOptions): StreamDecoding.EncoderFold<EncodeState> => ({
  initial: initialEncodeState(options),
  step: encodeEvent,
  halt: encodeHalt
})

/** Canonical events → Responses SSE events. */
export const encodeStream = (options: EncodeOptions) => StreamDecoding.encodeStream(encoder(options))

