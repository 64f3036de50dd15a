/**
 * The circuit breaker's transitions, over explicit time (pure), and the registry on the Effect
 * clock driven by `TestClock`: closed → open after consecutive failures → half-open with one probe
 * → closed on its success, open again (longer) on its failure.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Breaker from "../../src/router/Breaker.ts"
import { TargetHealth } from "../../src/router/TargetHealth.ts"

const policy: Breaker.BreakerPolicy = { threshold: 3, baseCooldownMs: 1_000, maxCooldownMs: 8_000, probeTimeoutMs: 30_000 }
const failure = (reason = "500: boom", retryAfterMs?: number): Breaker.Outcome => ({ _tag: "Failure", reason, retryAfterMs })

describe("Breaker (pure)", () => {
  it("counts failures in a row and opens at the threshold; a success forgets them", () => {
    let state = Breaker.closed
    state = Breaker.record(policy, state, failure(), 0)
    state = Breaker.record(policy, state, failure(), 0)
    assert.deepStrictEqual(state, { _tag: "Closed", failures: 2, lastFailure: "500: boom" })
    assert.strictEqual(Breaker.record(policy, state, Breaker.success, 0), Breaker.closed)
    state = Breaker.record(policy, state, failure(), 10)
    assert.deepStrictEqual(state, { _tag: "Open", until: 1_010, trips: 1, lastFailure: "500: boom" })
  })

  it("opens at once for as long as Retry-After says, capped", () => {
    assert.deepStrictEqual(Breaker.record(policy, Breaker.closed, failure("429", 2_500), 0), { _tag: "Open", until: 2_500, trips: 1, lastFailure: "429" })
    assert.strictEqual((Breaker.record(policy, Breaker.closed, failure("429", 3_600_000), 0) as { until: number }).until, 8_000)
  })

  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [9, 8_000]
  ])("trip %i in a row cools down for %i ms", (trips, ms) => {
    assert.strictEqual(Breaker.cooldown(policy, trips), ms)
  })

  it("is half-open after the cool-down: one probe goes through, the others wait for its outcome", () => {
    const open: Breaker.BreakerState = { _tag: "Open", until: 1_000, trips: 1, lastFailure: "x" }
    assert.deepStrictEqual(Breaker.admit(policy, open, 999), [false, open])
    const [first, probing] = Breaker.admit(policy, open, 1_000)
    assert.isTrue(first)
    assert.deepStrictEqual(probing, { _tag: "HalfOpen", trips: 1, probeSince: 1_000, lastFailure: "x" })
    assert.isFalse(Breaker.admit(policy, probing, 1_500)[0])
    // A probe that never reports stops blocking.
    assert.isTrue(Breaker.admit(policy, probing, 31_000)[0])
    // Its failure opens the breaker again, twice as long; its success closes it.
    assert.deepStrictEqual(Breaker.record(policy, probing, failure(), 2_000), { _tag: "Open", until: 4_000, trips: 2, lastFailure: "500: boom" })
    assert.strictEqual(Breaker.record(policy, probing, Breaker.success, 2_000), Breaker.closed)
  })
})

describe("TargetHealth (on the Effect clock)", () => {
  it.effect("open → half-open → closed with TestClock", () =>
    Effect.gen(function*() {
      const health = yield* TargetHealth
      const target = "a/m"
      for (let i = 0; i < 3; i++) health.record(target, failure())
      assert.strictEqual(health.view(target).state, "open")
      assert.isFalse(health.admit(target))
      yield* TestClock.adjust(Duration.millis(999))
      assert.isFalse(health.isAvailable(target))
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual(health.view(target).state, "half_open")
      assert.isTrue(health.admit(target))
      assert.isFalse(health.admit(target), "only one probe at a time")
      health.record(target, failure())
      assert.strictEqual(health.view(target).state, "open")
      yield* TestClock.adjust(Duration.millis(2_000))
      assert.isTrue(health.admit(target))
      health.record(target, Breaker.success)
      assert.deepStrictEqual(health.view(target), { state: "closed", failures: 0, openUntil: null, lastFailure: null })
      assert.isTrue(health.admit(target))
    }).pipe(Effect.provide(TargetHealth.layerWith(policy))))
})
