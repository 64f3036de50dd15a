/** The request traits rules look at, and presets applied in each format, as tables. */
import { assert, describe, it } from "@effect/vitest"
import { applyPresets } from "../../src/router/Presets.ts"
import { estimatedInputTokens, hasImages, hasTools, matches, wantsThinking } from "../../src/router/Rules.ts"

describe("request traits", () => {
  it.each([
    [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }] }, true],
    [{ messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } }] }] }, true],
    [{ input: [{ role: "user", content: [{ type: "input_image", image_url: "https://x/y.png" }] }] }, true],
    [{ messages: [{ role: "user", content: "a picture of a cat" }] }, false]
  ])("hasImages(%j) is %s", (body, expected) => assert.strictEqual(hasImages(body), expected))

  it.each([
    [{ thinking: { type: "enabled", budget_tokens: 1024 } }, true],
    [{ thinking: { type: "disabled" } }, false],
    [{ reasoning_effort: "high" }, true],
    [{ reasoning_effort: "none" }, false],
    [{ reasoning: { effort: "low" } }, true],
    [{}, false]
  ])("wantsThinking(%j) is %s", (body, expected) => assert.strictEqual(wantsThinking(body), expected))

  it("hasTools needs a non-empty list", () => {
    assert.isTrue(hasTools({ tools: [{ type: "function" }] }))
    assert.isFalse(hasTools({ tools: [] }))
  })

  it("estimates input tokens as text characters / 4, not counting base64 data", () => {
    assert.strictEqual(estimatedInputTokens({ system: "abcd", messages: [{ role: "user", content: "efghijkl" }] }), Math.ceil(("abcd" + "user" + "efghijkl").length / 4))
    const image = { messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "A".repeat(100_000) } }] }] }
    assert.isBelow(estimatedInputTokens(image), 20)
  })

  it("matches a condition when every given part holds", () => {
    const input = { format: "anthropic" as const, body: { tools: [{ name: "t" }] }, headers: { "x-task": "bg" } }
    assert.isTrue(matches({ format: "anthropic", tools: true, header: { name: "X-Task", value: "bg" } }, input))
    assert.isFalse(matches({ format: "anthropic", tools: true, thinking: true }, input))
    assert.isFalse(matches({ format: "openai" }, input))
    assert.isTrue(matches({}, input))
  })
})

describe("applyPresets", () => {
  const presets = { system: "Be terse.", defaults: { temperature: 0.2, max_tokens: 99 } }
  it.each([
    ["openai", { messages: [{ role: "user", content: "hi" }] }, { messages: [{ role: "system", content: "Be terse." }, { role: "user", content: "hi" }], temperature: 0.2, max_completion_tokens: 99 }],
    ["openai", { messages: [], temperature: 1, max_tokens: 5 }, { messages: [{ role: "system", content: "Be terse." }], temperature: 1, max_tokens: 5 }],
    ["anthropic", { system: "Mine.", max_tokens: 10 }, { system: "Be terse.\n\nMine.", max_tokens: 10, temperature: 0.2 }],
    ["anthropic", { system: [{ type: "text", text: "Mine.", cache_control: { type: "ephemeral" } }] }, { system: [{ type: "text", text: "Be terse." }, { type: "text", text: "Mine.", cache_control: { type: "ephemeral" } }], temperature: 0.2, max_tokens: 99 }],
    ["responses", { input: "hi" }, { input: "hi", instructions: "Be terse.", temperature: 0.2, max_output_tokens: 99 }],
    ["responses", { input: "hi", instructions: "Mine.", temperature: 0 }, { input: "hi", instructions: "Be terse.\n\nMine.", temperature: 0, max_output_tokens: 99 }]
  ] as const)("%s: %j", (format, body, expected) => {
    assert.deepStrictEqual(applyPresets(format, body, presets), expected)
  })

  it("leaves the caller's body untouched", () => {
    const body = { messages: [{ role: "user", content: "hi" }] }
    applyPresets("openai", body, presets)
    assert.deepStrictEqual(body, { messages: [{ role: "user", content: "hi" }] })
  })
})
