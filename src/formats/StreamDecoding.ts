/**
 * Running a format's stream decoder — a fold over upstream SSE events — as a `Stream`. Every
 * format decodes the same way; only the fold differs.
 */
import { Stream } from "effect"
import type { StreamError, StreamEvent, UpstreamFailure } from "./Canonical.ts"
import type * as Sse from "./Sse.ts"

/** A format's decoder: `(state, event) => [state, canonical events]`, and what to emit at the end. */
export interface DecoderFold<S> {
  readonly initial: S
  readonly step: (state: S, event: Sse.InboundEvent | UpstreamFailure) => readonly [S, ReadonlyArray<StreamEvent>]
  readonly halt: (state: S) => ReadonlyArray<StreamEvent>
}

/**
 * Upstream SSE events → canonical events. If the upstream stream fails, the canonical stream
 * first ends with an `Error` ("closed before it finished"), then fails; prefer `decodeStreamWith`.
 */
export const decodeStream = <S>(fold: DecoderFold<S>) =>
<E, R>(events: Stream.Stream<Sse.InboundEvent, E, R>): Stream.Stream<StreamEvent, E, R> =>
  Stream.mapAccum(events, () => fold.initial, fold.step, { onHalt: fold.halt })

/**
 * Upstream SSE events → canonical events, an upstream failure (transport error, idle timeout)
 * becoming the final `Error` event described by `onFailure`: the stream itself never fails.
 * (`Stream.mapAccum` runs `onHalt` on failure too, so the failure is fed to the fold as an event
 * rather than caught afterwards, where it would read as "closed before it finished".)
 */
export const decodeStreamWith = <S>(fold: DecoderFold<S>) =>
<E>(onFailure: (error: E) => StreamError) =>
<R>(events: Stream.Stream<Sse.InboundEvent, E, R>): Stream.Stream<StreamEvent, never, R> =>
  Stream.mapAccum(
    events.pipe(Stream.catch((error: E) => Stream.succeed<UpstreamFailure>({ _tag: "UpstreamFailure", error: onFailure(error) }))),
    () => fold.initial,
    fold.step,
    { onHalt: fold.halt }
  )
