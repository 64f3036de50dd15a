/**
 * What the flags of `models virtual add` / `edit` make of an entry, and how `list` words a target's
 * state: table tests of the pure functions (the binary runs in VirtualModels.test.ts).
 */
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import type { TargetStatus } from "../../src/admin/AdminApi.ts"
import { applyChanges, checkedBody, flagFor, noChanges, parseDefault, parseTarget, weightsIgnored } from "../../src/cli/VirtualModelChanges.ts"
import { conditionText, targetState } from "../../src/cli/VirtualModelsCommand.ts"

const ok = <A>(result: Result.Result<A, string>) => Result.getOrThrowWith(result, (message) => new Error(message))
const failure = <A>(result: Result.Result<A, string>) => Result.isFailure(result) ? result.failure : "(succeeded)"

describe("parseTarget", () => {
  it.each([
    ["openai/gpt-4.1", "openai/gpt-4.1"],
    ["ollama/qwen3:8b", "ollama/qwen3:8b"],
    ["a/m=3", { model: "a/m", weight: 3 }],
    ["a/m=0.5", { model: "a/m", weight: 0.5 }],
    // The schema, not the parser, says a weight must be above 0: the refusal then names the field.
    ["a/m=0", { model: "a/m", weight: 0 }],
    [" a/m ", "a/m"]
  ] as const)("%s", (text, target) => expect(ok(parseTarget("--target", text))).toEqual(target))

  it.each([
    ["", `--target "": expected a model id, or MODEL=WEIGHT`],
    ["=3", `--target "=3": expected a model id, or MODEL=WEIGHT`],
    ["a/m=", `--target "a/m=": the weight after = must be a number, e.g. a/m=3`],
    ["a/m=x", `--target "a/m=x": the weight after = must be a number, e.g. a/m=3`]
  ])("%j is refused", (text, message) => expect(failure(parseTarget("--target", text))).toBe(message))
})

describe("parseDefault", () => {
  it.each([
    ["temperature=0.2", ["temperature", 0.2]],
    ["top_p=1", ["top_p", 1]],
    ["max_tokens=4096", ["max_tokens", 4096]],
    ["temperature=", ["temperature", null]]
  ] as const)("%s", (text, parsed) => expect(ok(parseDefault(text))).toEqual(parsed))

  it.each([
    ["seed=1", `--default "seed=1": expected NAME=VALUE with NAME one of temperature, top_p, max_tokens`],
    ["temperature", `--default "temperature": expected NAME=VALUE with NAME one of temperature, top_p, max_tokens`],
    ["temperature=hot", `--default "temperature=hot": temperature must be a number`]
  ])("%s is refused", (text, message) => expect(failure(parseDefault(text))).toBe(message))
})

describe("applyChanges", () => {
  const entry = {
    name: "smart",
    targets: ["a/m", { model: "b/m", weight: 2 }],
    system: "Be brief.",
    defaults: { temperature: 0.2, top_p: 0.9 },
    rules: [{ when: { tools: true }, targets: ["c/m"] }],
    description: "x"
  }

  it.each([
    ["nothing", noChanges, entry],
    ["--target replaces", { ...noChanges, targets: ["z/m"] }, { ...entry, targets: ["z/m"] }],
    ["--add-target appends", { ...noChanges, addTargets: [{ model: "z/m", weight: 1 }] }, { ...entry, targets: [...entry.targets, { model: "z/m", weight: 1 }] }],
    ["--remove-target by model id, weighted or not", { ...noChanges, removeTargets: ["b/m"] }, { ...entry, targets: ["a/m"] }],
    ["--strategy", { ...noChanges, strategy: "balance" }, { ...entry, strategy: "balance" }],
    ["--system sets", { ...noChanges, system: "Be kind." }, { ...entry, system: "Be kind." }],
    ["--system \"\" removes", { ...noChanges, system: "" }, { name: "smart", targets: entry.targets, defaults: entry.defaults, rules: entry.rules, description: "x" }],
    ["--description \"\" removes", { ...noChanges, description: "" }, { name: "smart", targets: entry.targets, system: "Be brief.", defaults: entry.defaults, rules: entry.rules }],
    ["--default sets one, keeps the others", { ...noChanges, defaults: [["max_tokens", 10]] }, { ...entry, defaults: { temperature: 0.2, top_p: 0.9, max_tokens: 10 } }],
    ["--default NAME= removes one", { ...noChanges, defaults: [["top_p", null]] }, { ...entry, defaults: { temperature: 0.2 } }],
    ["removing every default removes defaults", { ...noChanges, defaults: [["top_p", null], ["temperature", null]] }, { name: "smart", targets: entry.targets, system: "Be brief.", rules: entry.rules, description: "x" }],
    ["--rules-file replaces", { ...noChanges, rules: [{ when: {}, targets: ["d/m"] }] }, { ...entry, rules: [{ when: {}, targets: ["d/m"] }] }],
    ["--rules-file [] removes", { ...noChanges, rules: [] }, { name: "smart", targets: entry.targets, system: "Be brief.", defaults: entry.defaults, description: "x" }]
  ] as const)("%s", (_, changes, expected) => expect(ok(applyChanges("smart", entry, changes))).toEqual(expected))

  it("keeps what it does not understand for the check to refuse, and starts a target list where the entry has none", () => {
    expect(ok(applyChanges("x", { name: "x", targets: "oops", extra: 1 }, { ...noChanges, addTargets: ["a/m"] }))).toEqual({ name: "x", targets: ["a/m"], extra: 1 })
  })

  it.each([
    ["--target with --add-target", { ...noChanges, targets: ["z/m"], addTargets: ["y/m"] }, "--target replaces the whole list; --add-target and --remove-target change it: give one or the other"],
    ["a target to remove that is not there", { ...noChanges, removeTargets: ["q/m"] }, "--remove-target q/m: not a target of smart (its targets: a/m, b/m)"],
    ["a target to add that is there", { ...noChanges, addTargets: [{ model: "b/m", weight: 5 }] }, "--add-target b/m: already a target of smart"]
  ] as const)("refuses %s", (_, changes, message) => expect(failure(applyChanges("smart", entry, changes))).toBe(message))
})

describe("checkedBody", () => {
  it("is the entry but its name, when the API would take it", () => {
    expect(ok(checkedBody("smart", { targets: ["a/m"], strategy: "balance" }))).toEqual({ targets: ["a/m"], strategy: "balance" })
  })

  it.each([
    [{ targets: [] }, `virtual model "smart": targets: expected at least one target (--target)`],
    [{ targets: ["a/m"], strategy: "rr" }, `virtual model "smart": strategy: Expected "fallback" | "balance" (--strategy)`],
    [{ targets: ["a/m"], defaults: { top_p: 2 } }, `virtual model "smart": defaults.top_p: Expected a value between 0 and 1 (--default top_p=…)`],
    [{ targets: ["a/m"], rules: [{ when: {}, targets: [] }] }, `virtual model "smart": rules.0.targets: expected at least one target (--rules-file)`],
    [{ targets: ["a/m"], colour: "blue" }, `virtual model "smart": colour: Expected no excess property (a key this version does not know: remove it from remote.json)`]
  ])("%j is refused naming the field and its flag", (entry, message) => expect(failure(checkedBody("smart", entry))).toBe(message))
})

describe("flagFor", () => {
  it.each([
    ["targets", "--target"],
    ["targets.2.weight", "--target"],
    ["strategy", "--strategy"],
    ["system", "--system"],
    ["description", "--description"],
    ["defaults", "--default"],
    ["defaults.max_tokens", "--default max_tokens=…"],
    ["rules.1.when.header.name", "--rules-file"],
    ["name", undefined],
    [undefined, undefined]
  ])("%s → %s", (field, flag) => expect(flagFor(field)).toBe(flag))
})

describe("weightsIgnored", () => {
  it.each([
    [{ targets: ["a/m"] }, false],
    [{ targets: [{ model: "a/m", weight: 2 }] }, true],
    [{ targets: [{ model: "a/m" }] }, false],
    [{ strategy: "balance" as const, targets: [{ model: "a/m", weight: 2 }] }, false],
    [{ targets: ["a/m"], rules: [{ when: {}, targets: [{ model: "b/m", weight: 2 }] }] }, true]
  ])("%j → %s", (body, ignored) => expect(weightsIgnored(body)).toBe(ignored))
})

describe("conditionText", () => {
  it.each([
    [{}, "always"],
    [{ thinking: true }, "thinking"],
    [{ tools: false, images: true }, "no tools, images"],
    [{ format: "anthropic" as const, minInputTokens: 60000 }, "format=anthropic, tokens>60000"],
    [{ header: { name: "x-task", value: "background" } }, "header x-task=background"]
  ])("%j → %s", (when, text) => expect(conditionText(when)).toBe(text))
})

describe("targetState", () => {
  const now = Date.parse("2026-12-06T10:00:00Z")
  const closed = { state: "closed", failures: 0, open_until: null, last_failure: null } as const
  const live = (status: Partial<TargetStatus>): TargetStatus => ({
    model: "fake/good",
    weight: 1,
    serves: "fake/good",
    provider: "fake",
    provider_state: "connected",
    breaker: closed,
    available: true,
    ...status
  })
  const row = (status: Partial<TargetStatus>, model = "fake/good") => ({ model, weight: 1, live: live(status) })

  it.each([
    ["served, closed", row({}), { text: "available", colour: "green" }],
    ["a bare id served by a provider", row({ model: "gpt-4.1", serves: "openai/gpt-4.1" }, "gpt-4.1"), { text: "available as openai/gpt-4.1", colour: "green" }],
    ["failures below the threshold", row({ breaker: { ...closed, failures: 2, last_failure: "500: boom" } }), { text: "available, 2 failed in a row: 500: boom", colour: "green" }],
    [
      "open",
      row({ available: false, breaker: { state: "open", failures: 1, open_until: "2026-12-06T10:00:12.300Z", last_failure: "429: slow down" } }),
      { text: "breaker open, retry in 13 s: 429: slow down", colour: "red" }
    ],
    [
      "a long failure, cut to its first words",
      row({ breaker: { ...closed, failures: 1, last_failure: `429: ${"Rate limit reached for gpt-4.1 in organization org-x ".repeat(3)}` } }),
      { text: "available, 1 failed in a row: 429: Rate limit reached for gpt-4.1 in organization org-x R…", colour: "green" }
    ],
    ["half-open", row({ breaker: { state: "half_open", failures: 1, open_until: null, last_failure: "500: boom" } }), { text: "breaker half-open: next request probes: 500: boom", colour: "blue" }],
    ["a provider that is not connected", row({ serves: null, available: false, provider_state: "disconnected" }), { text: "provider fake: disconnected", colour: "gray" }],
    ["a provider in error", row({ serves: null, available: false, provider_state: "error" }), { text: "provider fake: error", colour: "red" }],
    ["a model the connected provider does not serve", row({ serves: null, available: false }), { text: "not served by fake", colour: "red" }],
    ["an unknown provider", row({ serves: null, available: false, provider: "gone", provider_state: null }), { text: "no provider gone", colour: "red" }],
    ["a bare id nobody serves", row({ serves: null, available: false, provider: null, provider_state: null }), { text: "no provider serves it", colour: "red" }]
  ] as const)("%s", (_, target, cell) => expect(targetState(target, now)).toEqual(cell))

  it("is empty without a server", () => expect(targetState({ model: "a/m", weight: 1, live: undefined }, now)).toEqual({ text: "" }))
})
