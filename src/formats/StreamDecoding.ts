/**
 * Running a format's stream decoder or encoder — a fold over events — as a `Stream` (the Effect
 * path) or step by step without Effect (the fast lane, `Folding`). Every format runs the same
 * way; only the fold differs.
 */
import { Stream } from "effect"
import type { StreamError, StreamEvent, UpstreamFailure } from "./Canonical.ts"
import type * as Sse from "./Sse.ts"

/** A pure fold: `(state, input) => [state, outputs]` from `initial`, and what to emit at the end. */
export interface Fold<S, I, O> {
  readonly initial: S
  readonly step: (state: S, input: I) => readonly [S, ReadonlyArray<O>]
  readonly halt: (state: S) => ReadonlyArray<O>
}

/** A format's decoder: upstream SSE events (or the upstream's failure) → canonical events. */
export type DecoderFold<S> = Fold<S, Sse.InboundEvent | UpstreamFailure, StreamEvent>

/** A format's encoder: canonical events → the caller's SSE events. */
export type EncoderFold<S> = Fold<S, StreamEvent, Sse.OutboundEvent>

/** One run of a fold, its state kept inside: for a driver that is not a `Stream` (the fast lane). */
export interface Folding<I, O> {
  readonly push: (input: I) => ReadonlyArray<O>
  /** The fold's `halt`: what to emit when the input ends. */
  readonly end: () => ReadonlyArray<O>
}

export const run = <S, I, O>(fold: Fold<S, I, O>): Folding<I, O> => {
  let state = fold.initial
  return {
    push: (input) => {
      const [next, out] = fold.step(state, input)
      state = next
      return out
    },
    end: () => fold.halt(state)
  }
}

/** Canonical events → the caller's SSE events, with an encoder fold. */
export const encodeStream = <S>(fold: EncoderFold<S>) =>
<E, R>(events: Stream.Stream<StreamEvent, E, R>): Stream.Stream<Sse.OutboundEvent, E, R> =>
  Stream.mapAccum(events, () => fold.initial, fold.step, { onHalt: fold.halt })

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
