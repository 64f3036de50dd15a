/**
 * Test helpers for the translation folds: read a recorded stream, parse it with the real SSE
 * decoder, and run a fold over it exactly as `Stream.mapAccum` would (including `onHalt`).
 */
import { Effect, Stream } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
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

/** Outbound events as `[event name, payload]` pairs, `[DONE]` as `["[DONE]", undefined]`. */
export const outbound = (events: ReadonlyArray<Sse.OutboundEvent>): ReadonlyArray<readonly [string | undefined, any]> =>
  events.map((event) => event._tag === "Done" ? ["[DONE]", undefined] as const : [event.event, event.data] as const)

/** The outbound events serialised and parsed back: what a client would read. */
export const reparse = (events: ReadonlyArray<Sse.OutboundEvent>): ReadonlyArray<Sse.InboundEvent> =>
  parseSse(events.map(Sse.encode).join(""))
