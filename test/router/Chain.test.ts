/** The order a chain tries targets in: fallback, balance (smooth weighted round-robin), breakers, targets not served. */
import { assert, describe, it } from "@effect/vitest"
import * as Breaker from "../../src/router/Breaker.ts"
import { makeChain, pickBalanced } from "../../src/router/Chain.ts"
import { buildRoutingTable, type RoutableProvider } from "../../src/router/RoutingTable.ts"
import { makeRegistry } from "../../src/router/TargetHealth.ts"
import { compileVirtualModels } from "../../src/router/VirtualModels.ts"
import type { Upstream } from "../../src/providers/Upstream.ts"
import type { ProviderId } from "../../src/config/RemoteConfig.ts"

const upstream = {} as Upstream
const provider = (id: string, models: ReadonlyArray<string>): RoutableProvider => ({ id: id as ProviderId, name: id, upstream, models })

const setup = (entries: ReadonlyArray<unknown>, providers: ReadonlyArray<RoutableProvider> = [provider("a", ["m"]), provider("b", ["m"]), provider("c", ["m"])]) => {
  const virtual = compileVirtualModels(entries)
  assert.deepStrictEqual(virtual.problems, [])
  let now = 0
  const health = makeRegistry(() => now, Breaker.defaultPolicy)
  const log: Array<string> = []
  const table = buildRoutingTable(providers, virtual)
  const chainFor = (name: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    makeChain(virtual.models.get(name)!, { format: "openai", body, headers }, { table, health, log: (line) => log.push(line) })
  const order = (name: string) => {
    const chain = chainFor(name)
    const out: Array<string> = []
    for (let step = chain.next(); step !== undefined; step = chain.next()) out.push(step.route.qualifiedId)
    return out
  }
  return { health, log, chainFor, order, tick: (ms: number) => void (now += ms) }
}

describe("Chain", () => {
  it("tries a fallback's targets in order, passing over those no connected provider serves", () => {
    const { order, log } = setup([{ name: "v", targets: ["a/m", "gone/m", "b/m", "c/m"] }])
    assert.deepStrictEqual(order("v"), ["a/m", "b/m", "c/m"])
    assert.match(log[0]!, /passing over gone\/m: provider gone is not connected/)
  })

  it("keeps a target whose breaker is open for last, so a request is never refused untried", () => {
    const { order, health, chainFor } = setup([{ name: "v", targets: ["a/m", "b/m"] }])
    for (let i = 0; i < 3; i++) health.record("a/m", { _tag: "Failure", reason: "500" })
    assert.deepStrictEqual(order("v"), ["b/m", "a/m"])
    for (let i = 0; i < 3; i++) health.record("b/m", { _tag: "Failure", reason: "500", retryAfterMs: 1_000 })
    // Both cooling: the one that recovers first goes first.
    assert.deepStrictEqual(order("v"), ["b/m", "a/m"])
    const chain = chainFor("v")
    chain.next()
    assert.strictEqual(chain.attempts(), 1)
  })

  it("spreads a balance by its weights exactly (smooth weighted round-robin), within ±10 % over 1,000 picks", () => {
    const { order } = setup([{ name: "v", strategy: "balance", targets: [{ model: "a/m", weight: 3 }, { model: "b/m", weight: 1 }] }])
    const counts = new Map<string, number>()
    for (let i = 0; i < 1000; i++) {
      const first = order("v")[0]!
      counts.set(first, (counts.get(first) ?? 0) + 1)
    }
    assert.strictEqual(counts.get("a/m"), 750)
    assert.strictEqual(counts.get("b/m"), 250)
  })

  it("falls over from the balanced pick to the other healthy targets by weight, unhealthy ones last", () => {
    const { order, health } = setup([{ name: "v", strategy: "balance", targets: [{ model: "a/m", weight: 1 }, { model: "b/m", weight: 5 }, { model: "c/m", weight: 2 }] }])
    for (let i = 0; i < 3; i++) health.record("b/m", { _tag: "Failure", reason: "500" })
    for (let i = 0; i < 8; i++) {
      const tried = order("v")
      assert.strictEqual(tried.at(-1), "b/m")
      assert.deepStrictEqual(new Set(tried.slice(0, 2)), new Set(["a/m", "c/m"]))
    }
  })

  it("interleaves a balance's picks (3:1 is a a b a, not a a a b)", () => {
    const list = { strategy: "balance" as const, targets: [{ model: "a", weight: 3 }, { model: "b", weight: 1 }], current: [0, 0] }
    const picks = Array.from({ length: 8 }, () => list.targets[pickBalanced(list, () => true)!]!.model).join("")
    assert.strictEqual(picks, "aabaaaba")
  })

  it("picks the first matching rule's targets, and names it in the headers", () => {
    const { chainFor } = setup([{
      name: "v",
      targets: ["a/m"],
      rules: [
        { name: "tools", when: { tools: true }, targets: ["b/m"] },
        { when: { header: { name: "x-task", value: "bg" } }, targets: ["c/m"] }
      ]
    }])
    const tools = chainFor("v", { tools: [{ type: "function" }] })
    const step = tools.next()!
    assert.strictEqual(step.route.qualifiedId, "b/m")
    assert.deepStrictEqual(tools.headers(step), { "x-switchboard-model": "b/m", "x-switchboard-provider": "b", "x-switchboard-attempts": "1", "x-switchboard-rule": "tools" })
    assert.strictEqual(chainFor("v", {}, { "x-task": "bg" }).next()!.route.qualifiedId, "c/m")
    assert.strictEqual(chainFor("v", {}, { "x-task": "bg" }).rule, "rule 2")
    assert.strictEqual(chainFor("v").next()!.route.qualifiedId, "a/m")
  })

  it("says why, target by target, when none can be tried", () => {
    const { chainFor } = setup([{ name: "v", targets: ["gone/m", "m"] }])
    const chain = chainFor("v")
    assert.strictEqual(chain.next(), undefined)
    assert.match(chain.unavailable(), /gone\/m \(provider gone is not connected.*\); m \(served by several providers: a\/m, b\/m, c\/m\)/)
  })
})
