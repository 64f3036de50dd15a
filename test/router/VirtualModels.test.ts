/** remote.json's virtual models compiled: broken entries left out with the field named, loops refused, nested names expanded. */
import { assert, describe, it } from "@effect/vitest"
import { compileVirtualModels } from "../../src/router/VirtualModels.ts"

describe("compileVirtualModels", () => {
  it("compiles a fallback and a balance entry", () => {
    const compiled = compileVirtualModels([
      { name: "smart", strategy: "fallback", targets: ["openai/gpt-4.1", "anthropic/claude-sonnet-4-5", "local/qwen3-8b"] },
      { name: "spread", strategy: "balance", targets: [{ model: "a/m", weight: 3 }, { model: "b/m", weight: 1 }] }
    ])
    assert.deepStrictEqual(compiled.problems, [])
    assert.deepStrictEqual(compiled.models.get("smart")!.list.targets.map((t) => t.model), ["openai/gpt-4.1", "anthropic/claude-sonnet-4-5", "local/qwen3-8b"])
    assert.deepStrictEqual(compiled.models.get("spread")!.list.targets, [{ model: "a/m", weight: 3 }, { model: "b/m", weight: 1 }])
    assert.strictEqual(compiled.models.get("smart")!.list.strategy, "fallback")
  })

  it.each([
    [{ name: "x", strategy: "random", targets: ["a/m"] }, /strategy/],
    [{ name: "x", targets: [] }, /targets/],
    [{ name: "x" }, /targets/],
    [{ name: "a/b", targets: ["a/m"] }, /name/],
    [{ name: "x", targets: [{ model: "a/m", weight: 0 }] }, /targets\.0/],
    [{ name: "x", targets: ["a/m"], defaults: { temperature: 5 } }, /defaults\.temperature/],
    [{ name: "x", targets: ["a/m"], rules: [{ when: { minInputTokens: -1 }, targets: ["b/m"] }] }, /rules\.0\.when\.minInputTokens/],
    ["not an object", /virtualModels\[0\]/]
  ])("leaves out %j with the field named, keeping the others", (entry, problem) => {
    const compiled = compileVirtualModels([entry, { name: "fine", targets: ["a/m"] }])
    assert.isTrue(compiled.models.has("fine"))
    assert.strictEqual(compiled.models.size, 1)
    assert.strictEqual(compiled.problems.length, 1)
    assert.match(compiled.problems[0]!.message, problem)
    assert.strictEqual(compiled.problems[0]!.index, 0)
  })

  it("expands a target that is another virtual model, weights multiplied", () => {
    const compiled = compileVirtualModels([
      { name: "inner", targets: ["a/m", "b/m"] },
      { name: "outer", strategy: "balance", targets: [{ model: "inner", weight: 2 }, "c/m"] }
    ])
    assert.deepStrictEqual(compiled.models.get("outer")!.list.targets, [{ model: "a/m", weight: 2 }, { model: "b/m", weight: 2 }, { model: "c/m", weight: 1 }])
  })

  it("refuses loops, naming the path, and keeps the rest", () => {
    const compiled = compileVirtualModels([
      { name: "a", targets: ["b"] },
      { name: "b", targets: ["x/m", "a"] },
      { name: "c", targets: ["c"] },
      { name: "d", targets: ["x/m"], rules: [{ when: { tools: true }, targets: ["d"] }] },
      { name: "ok", targets: ["x/m"] }
    ])
    assert.deepStrictEqual(Array.from(compiled.models.keys()), ["ok"])
    assert.isTrue(compiled.problems.some((p) => p.name === "a" && p.field === "targets" && p.reason.includes("a → b → a")))
    assert.isTrue(compiled.problems.some((p) => p.name === "d" && p.field === "rules.0.targets" && p.index === 3))
    assert.deepStrictEqual(compiled.problems.map((p) => p.index), [0, 1, 2, 3])
  })

  it("refuses a second entry of the same name", () => {
    const compiled = compileVirtualModels([{ name: "x", targets: ["a/m"] }, { name: "x", targets: ["b/m"] }])
    assert.deepStrictEqual(compiled.models.get("x")!.list.targets.map((t) => t.model), ["a/m"])
    assert.deepStrictEqual(compiled.problems[0], {
      index: 1,
      name: "x",
      field: "name",
      reason: `name: another virtual model is called "x"`,
      message: `virtualModels[1] ("x"): name: another virtual model is called "x": left out`
    })
  })

  it("keeps unknown keys of an entry (a newer Switchboard may have written them)", () => {
    const compiled = compileVirtualModels([{ name: "x", targets: ["a/m"], future: { yes: 1 } }])
    assert.deepStrictEqual((compiled.models.get("x")!.config as Record<string, unknown>).future, { yes: 1 })
  })
})
