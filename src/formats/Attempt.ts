/**
 * Sequencing `Result`s in plain code: `attempt((take) => …)` runs the body, where `take(result)`
 * is the success value or ends the whole attempt with that failure. The same shape as
 * `Result.gen(function*() { … yield* result … })`, without generators.
 *
 * Why: the request and message translations run on every translated request, and in their
 * profile (docs/performance.md) `Result.gen`'s generator machinery — a generator object per call
 * and an iterator per `yield*` — cost more than the mappings themselves. A failure here is the
 * rare path (a 400), so ending it by a throw is cheap where it matters.
 */
import { Result } from "effect"

/** The failure being carried out of an `attempt` (never escapes it). */
class Failed {
  readonly result: Result.Failure<unknown, unknown>
  constructor(result: Result.Failure<unknown, unknown>) {
    this.result = result
  }
}

export const attempt = <A, E>(body: (take: <X>(result: Result.Result<X, E>) => X) => A): Result.Result<A, E> => {
  try {
    return Result.succeed(body(take as <X>(result: Result.Result<X, E>) => X))
  } catch (cause) {
    if (cause instanceof Failed) return cause.result as Result.Result<A, E>
    throw cause
  }
}

const take = <X, E>(result: Result.Result<X, E>): X => {
  if (Result.isSuccess(result)) return result.success
  throw new Failed(result)
}
