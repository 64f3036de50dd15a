/**
 * Server-Sent Events in and out, on top of Effect's own parser (`effect/encoding/Sse`): bytes
 * from an upstream become `{ event, data }` records; the events a format encoder produces become
 * one string each, written in one piece, with a single-line `data:` (JSON never contains a raw
 * newline), so no client ever sees half an event.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import { Effect, Result, Stream } from "effect"
import * as Sse from "effect/encoding/Sse"

/** The parser's failure: an event larger than the limit (10 MiB). */
export type SseError = Sse.SseError

/** An inbound event: the parsed `event:` name (`message` when absent) and the joined `data:` lines. */
export interface InboundEvent {
  readonly event: string
  readonly data: string
}

/** An outbound event, ready to be written: a JSON payload (with an `event:` name or not), or OpenAI's `[DONE]`. */
export type OutboundEvent =
  | { readonly _tag: "Json"; readonly event: string | undefined; readonly data: object }
  | { readonly _tag: "Done" }

/** A JSON event; Anthropic events always carry their name, OpenAI chunks never do. */
export const json = (data: object, event?: string): OutboundEvent => ({ _tag: "Json", event, data })

/** OpenAI's end-of-stream sentinel. */
export const done: OutboundEvent = { _tag: "Done" }

/**
 * An incremental SSE decoder without Effect: `feed` text or bytes as they arrive, get the events
 * they complete; `end` flushes a final event that has no closing blank line. Bytes are decoded
 * as UTF-8 with sequences split across chunks joined. The same parser as `decodeText`.
 *
 * Two deliberate departures from the WHATWG algorithm, both for robustness against real upstreams:
 * - `retry:` lines are ignored: an LLM response is never reconnected.
 * - A final event that is not followed by a blank line is still delivered (`end` feeds an empty
 *   line): an upstream closing right after `data: [DONE]\n` must not lose it.
 */
export interface Decoder {
  readonly feed: (chunk: string | Uint8Array) => Result.Result<ReadonlyArray<InboundEvent>, Sse.SseError>
  readonly end: () => Result.Result<ReadonlyArray<InboundEvent>, Sse.SseError>
}

const noEvents: ReadonlyArray<InboundEvent> = []

export const makeDecoder = (): Decoder => {
  let parsed: Array<InboundEvent> | undefined
  const parser = Sse.makeParser((event) => {
    if (event._tag === "Event") (parsed ??= []).push({ event: event.event, data: event.data })
  })
  const text = new TextDecoder("utf-8")
  const feedText = (chunk: string): Result.Result<ReadonlyArray<InboundEvent>, Sse.SseError> => {
    const error = parser.feed(chunk)
    if (error !== undefined) return Result.fail(error)
    const events = parsed ?? noEvents
    parsed = undefined
    return Result.succeed(events)
  }
  return {
    feed: (chunk) => feedText(typeof chunk === "string" ? chunk : text.decode(chunk, { stream: true })),
    end: () => feedText(`${text.decode()}\n\n`)
  }
}

/**
 * Text chunks to events: `makeDecoder` over a stream. Handles everything the WHATWG algorithm does
 * (CRLF, CR, `data:` with or without a space, multi-line data, comments/keep-alives, a BOM).
 */
export const decodeText = <E, R>(self: Stream.Stream<string, E, R>): Stream.Stream<InboundEvent, E | Sse.SseError, R> =>
  Stream.suspend(() => {
    const decoder = makeDecoder()
    return self.pipe(
      Stream.mapEffect((chunk) => Effect.fromResult(decoder.feed(chunk))),
      Stream.concat(Stream.fromEffect(Effect.suspend(() => Effect.fromResult(decoder.end())))),
      Stream.flattenIterable
    )
  })

/** Bytes to events; UTF-8 sequences split across chunks are joined before parsing. */
export const decodeBytes = <E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<InboundEvent, E | Sse.SseError, R> =>
  decodeText(Stream.decodeText(self))

/** One event as SSE text, terminated by its blank line. */
export const encode = (event: OutboundEvent): string =>
  event._tag === "Done"
    ? "data: [DONE]\n\n"
    : Sse.encoder.write({ _tag: "Event", event: event.event ?? "message", id: undefined, data: JSON.stringify(event.data) })

/** Events to SSE text, one string per event. */
export const encodeStream = <E, R>(self: Stream.Stream<OutboundEvent, E, R>): Stream.Stream<string, E, R> =>
  Stream.map(self, encode)

/** Events to UTF-8 bytes, one chunk per event (so each event is one write). */
export const encodeBytes = <E, R>(self: Stream.Stream<OutboundEvent, E, R>): Stream.Stream<Uint8Array, E, R> =>
  Stream.encodeText(encodeStream(self))
