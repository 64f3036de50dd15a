/** The virtual model form's state and the entry it stands for (web/src/VirtualModelDraft.ts). */
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { bodyOf, controlOf, type Draft, draftOf, emptyDraft, moved, targetRow } from "../../web/src/VirtualModelDraft.ts"

const draft = (patch: Partial<Draft>): Draft => ({ ...emptyDraft, name: "smart", targets: [targetRow("a/m")], ...patch })

describe("bodyOf", () => {
  it.each([
    ["the least: a target", draft({}), { strategy: "fallback", targets: ["a/m"] }],
    [
      "weights, presets, description, rules",
      draft({
        strategy: "balance",
        targets: [targetRow("a/m", "3"), targetRow("b/m")],
        description: " Spread ",
        system: "Be brief.",
        temperature: "0.2",
        max_tokens: "512",
        rules: `[{ "when": { "tools": true }, "targets": ["b/m"] }]`
      }),
      {
        strategy: "balance",
        targets: [{ model: "a/m", weight: 3 }, "b/m"],
        description: "Spread",
        system: "Be brief.",
        defaults: { temperature: 0.2, max_tokens: 512 },
        rules: [{ when: { tools: true }, targets: ["b/m"] }]
      }
    ]
  ])("%s", (_, input, expected) => {
    expect(bodyOf(input)).toEqual(Result.succeed(expected))
  })

  it.each([
    ["no target", draft({ targets: [] }), "targets", /^targets: /],
    ["a name with a slash", draft({ name: "a/b" }), "name", /^name: /],
    ["a weight that is not a number", draft({ targets: [targetRow("a/m", "heavy")] }), "targets.0.weight", /"heavy" is not a number/],
    ["a zero weight", draft({ targets: [targetRow("a/m", "0")] }), "targets.0.weight", /^targets\.0\.weight: /],
    ["a temperature out of range", draft({ temperature: "3" }), "defaults.temperature", /^defaults\.temperature: /],
    ["rules that are not JSON", draft({ rules: "[{" }), "rules", /^rules: not JSON/],
    ["a rule's unknown format", draft({ rules: `[{ "when": { "format": "grpc" }, "targets": ["a/m"] }]` }), "rules.0.when.format", /^rules\.0\.when\.format: /],
    ["a rule's unknown key", draft({ rules: `[{ "when": {}, "targets": ["a/m"], "oops": 1 }]` }), "rules.0.oops", /^rules\.0\.oops: /]
  ])("refuses %s, naming the field", (_, input, field, message) => {
    const result = bodyOf(input)
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isSuccess(result)) return
    expect(result.failure.field).toBe(field)
    expect(result.failure.message).toMatch(message)
  })
})

describe("draftOf", () => {
  it("starts from the entry as configured, and saves it back unchanged", () => {
    const entry = {
      name: "spread",
      strategy: "balance" as const,
      targets: [{ model: "a/m", weight: 3 }, "inner"],
      system: "Be brief.",
      defaults: { top_p: 0.5 },
      rules: [{ name: "long", when: { minInputTokens: 1000 }, targets: ["b/m"] }]
    }
    const form = draftOf(entry)
    expect(form.targets.map((row) => [row.model, row.weight])).toEqual([["a/m", "3"], ["inner", ""]])
    expect(form.top_p).toBe("0.5")
    const { name: _, ...body } = entry
    expect(bodyOf(form)).toEqual(Result.succeed(body))
  })

  // An entry the server left out: what is wrong is kept as written, so the check names its field.
  it.each([
    ["an unknown strategy", { name: "x", strategy: "sideways", targets: ["a/m"] }, "strategy"],
    ["no targets", { name: "x", targets: [] }, "targets"],
    ["targets that are no list", { name: "x", targets: "a/m" }, "targets"],
    ["a weight that is no number", { name: "x", strategy: "balance", targets: [{ model: "a/m", weight: "heavy" }] }, "targets.0.weight"],
    ["a zero weight", { name: "x", targets: [{ model: "a/m", weight: 0 }] }, "targets.0.weight"],
    ["a target of another shape", { name: "x", targets: ["a/m", { mdl: "b/m" }] }, "targets.1.mdl"],
    ["a temperature that is no number", { name: "x", targets: ["a/m"], defaults: { temperature: "hot" } }, "defaults.temperature"],
    ["rules that are no list", { name: "x", targets: ["a/m"], rules: { when: {} } }, "rules"],
    ["a key of no virtual model", { name: "x", targets: ["a/m"], tragets: ["b/m"] }, "tragets"]
  ])("keeps %s, and the check names the field", (_, entry, field) => {
    const result = bodyOf(draftOf(entry))
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isSuccess(result)) return
    expect(result.failure.field).toBe(field)
  })

  it("saves a left-out entry once what is wrong is changed", () => {
    const form = draftOf({ name: "x", strategy: "sideways", targets: ["a/m", { mdl: "b/m" }], tragets: [] })
    expect(form.targets.map((row) => row.model)).toEqual(["a/m", `{"mdl":"b/m"}`])
    expect(Object.keys(form.extra)).toEqual(["tragets"])
    const fixed: Draft = { ...form, strategy: "fallback", targets: form.targets.slice(0, 1), extra: {} }
    expect(bodyOf(fixed)).toEqual(Result.succeed({ strategy: "fallback", targets: ["a/m"] }))
  })
})

describe("controlOf", () => {
  it.each([
    [null, undefined],
    ["name", "name"],
    ["targets", "targets"],
    ["targets.1.weight", "targets"],
    ["rules.0.when.format", "rules"],
    ["defaults.top_p", "top_p"],
    ["defaults", undefined],
    ["elsewhere", undefined]
  ] as const)("%s → %s", (field, control) => {
    expect(controlOf(field)).toBe(control)
  })
})

describe("moved", () => {
  it.each([
    ["up", 1, -1, ["b", "a", "c"]],
    ["down", 1, 1, ["a", "c", "b"]],
    ["the first up: unchanged", 0, -1, ["a", "b", "c"]],
    ["the last down: unchanged", 2, 1, ["a", "b", "c"]]
  ] as const)("%s", (_, index, by, expected) => {
    expect(moved(["a", "b", "c"], index, by)).toEqual(expected)
  })
})
