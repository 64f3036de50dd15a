/**
 * One model, one generation at a time: a local model has one context and one CPU budget, so
 * concurrent requests take turns in arrival order instead of slowing each other down. At most
 * `maxWaiting` requests wait; one more is refused at once (HTTP 503 with the queue's numbers)
 * rather than left waiting for minutes.
 *
 * A turn is a scoped resource: it ends when the request's scope closes — the generation finished,
 * failed, or was interrupted because the client went away — so an abort always frees the queue.
 */
import { Effect, Schema, Semaphore, type Scope } from "effect"

/** The queue of a model is full: the caller should retry later. */
export class QueueFull extends Schema.TaggedError<QueueFull>()("QueueFull", {
  model: Schema.String,
  waiting: Schema.Number,
  maxWaiting: Schema.Number
}) {
  override get message() {
    return `local model ${this.model} is busy: ${this.waiting} requests already wait for it (at most ${this.maxWaiting}); retry later`
  }
}

export interface QueueSize {
  /** Generations running now (0 or 1). */
  readonly running: number
  /** Requests waiting for their turn. */
  readonly waiting: number
}

export interface GenerationQueue {
  readonly size: Effect.Effect<QueueSize>
  /**
   * Waits for this request's turn, which lasts until the scope closes. `onQueued` is told how many
   * requests are ahead (0: served at once) before the wait starts. Fails at once with `QueueFull`.
   */
  readonly turn: (onQueued?: (ahead: number) => void) => Effect.Effect<void, QueueFull, Scope.Scope>
}

/** `maxWaiting` is read at every arrival, so a config change applies to a running queue. */
export const make = (model: string, maxWaiting: () => number): Effect.Effect<GenerationQueue> =>
  Effect.map(Semaphore.make(1), (semaphore) => {
    let running = 0
    let waiting = 0
    const turn = (onQueued?: (ahead: number) => void) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          // Nobody waits while the model is idle: the first request never counts as queued.
          const mustWait = running > 0 || waiting > 0
          const max = maxWaiting()
          if (mustWait && waiting >= max) return yield* new QueueFull({ model, waiting, maxWaiting: max })
          onQueued?.(running + waiting)
          waiting++
          // Only the wait is interruptible: a permit, once taken, is always given back by the finalizer.
          const taken = yield* Effect.exit(restore(semaphore.take(1)))
          waiting--
          if (taken._tag === "Failure") return yield* taken
          running++
          yield* Effect.addFinalizer(() =>
            Effect.suspend(() => {
              running--
              return Effect.asVoid(semaphore.release(1))
            })
          )
        })
      )
    return {
      size: Effect.sync(() => ({ running, waiting })),
      turn
    }
  })
