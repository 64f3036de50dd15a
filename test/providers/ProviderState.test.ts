/**
 * The provider state machine as a table: every state against every signal, with the next state or
 * the refusal. A new state or signal is a row here before it is code.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { initialState, ProviderSignal, ProviderState, stateName, transition } from "../../src/providers/ProviderState.ts"

const states = {
  disabled: ProviderState.Disabled(),
  disconnected: ProviderState.Disconnected(),
  "connecting(2)": ProviderState.Connecting({ attempt: 2 }),
  connected: ProviderState.Connected({ models: ["old"], at: 1 }),
  "error(3), retrying": ProviderState.Error({ reason: "down", retrying: true, attempt: 3, at: 1 }),
  "error(1), stuck": ProviderState.Error({ reason: "401", retrying: false, attempt: 1, at: 1 })
} as const

const signals = {
  Connect: ProviderSignal.Connect(),
  Disconnect: ProviderSignal.Disconnect(),
  Attempt: ProviderSignal.Attempt(),
  Discovered: ProviderSignal.Discovered({ models: ["m"], at: 5 }),
  Failed: ProviderSignal.Failed({ reason: "boom", retrying: true, at: 5 })
} as const

const connecting = (attempt: number) => ProviderState.Connecting({ attempt })
const connected = ProviderState.Connected({ models: ["m"], at: 5 })
const error = (attempt: number) => ProviderState.Error({ reason: "boom", retrying: true, attempt, at: 5 })
const refused = "refused" as const

/** [state, signal, next state or "refused"] — every pair. */
const table: ReadonlyArray<readonly [keyof typeof states, keyof typeof signals, ProviderState | typeof refused]> = [
  ["disabled", "Connect", refused],
  ["disabled", "Disconnect", refused],
  ["disabled", "Attempt", refused],
  ["disabled", "Discovered", refused],
  ["disabled", "Failed", refused],

  ["disconnected", "Connect", connecting(1)],
  ["disconnected", "Disconnect", ProviderState.Disconnected()],
  ["disconnected", "Attempt", refused],
  ["disconnected", "Discovered", refused],
  ["disconnected", "Failed", refused],

  ["connecting(2)", "Connect", connecting(1)],
  ["connecting(2)", "Disconnect", ProviderState.Disconnected()],
  ["connecting(2)", "Attempt", refused],
  ["connecting(2)", "Discovered", connected],
  ["connecting(2)", "Failed", error(2)],

  ["connected", "Connect", connecting(1)],
  ["connected", "Disconnect", ProviderState.Disconnected()],
  ["connected", "Attempt", refused],
  ["connected", "Discovered", connected],
  ["connected", "Failed", error(1)],

  ["error(3), retrying", "Connect", connecting(1)],
  ["error(3), retrying", "Disconnect", ProviderState.Disconnected()],
  ["error(3), retrying", "Attempt", connecting(4)],
  ["error(3), retrying", "Discovered", refused],
  ["error(3), retrying", "Failed", refused],

  ["error(1), stuck", "Connect", connecting(1)],
  ["error(1), stuck", "Disconnect", ProviderState.Disconnected()],
  ["error(1), stuck", "Attempt", refused],
  ["error(1), stuck", "Discovered", refused],
  ["error(1), stuck", "Failed", refused]
]

describe("transition", () => {
  it("the table covers every state and signal", () => {
    assert.strictEqual(table.length, Object.keys(states).length * Object.keys(signals).length)
    for (const state of Object.keys(states)) {
      for (const signal of Object.keys(signals)) assert.isTrue(table.some(([s, e]) => s === state && e === signal), `${state} × ${signal}`)
    }
  })

  it.each(table)("%s + %s", (state, signal, expected) => {
    const result = transition(states[state], signals[signal])
    if (expected === refused) {
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) {
        assert.strictEqual(result.failure.from, stateName(states[state]))
        assert.strictEqual(result.failure.signal, signal)
        assert.include(result.failure.message, "not allowed")
      }
    } else {
      assert.deepStrictEqual(result, Result.succeed(expected))
    }
  })

  it.each([
    [{ enabled: false, autoConnect: true }, ProviderState.Disabled()],
    [{ enabled: false, autoConnect: false }, ProviderState.Disabled()],
    [{ enabled: true, autoConnect: false }, ProviderState.Disconnected()],
    [{ enabled: true, autoConnect: true }, ProviderState.Connecting({ attempt: 1 })]
  ])("an actor for %j starts %o", (config, expected) => {
    assert.deepStrictEqual(initialState(config), expected)
  })
})
