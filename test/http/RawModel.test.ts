/**
 * The pass-through model rewrite works on the caller's text: only the top-level `model` value
 * changes, whatever the caller's spacing, escapes or nesting.
 */
import { assert, describe, it } from "@effect/vitest"
import { modelValueRanges, rewriteModel } from "../../src/http/RawModel.ts"

describe("rewriteModel", () => {
  it.each([
    ["plain", `{"model":"p/m","x":1}`, `{"model":"m","x":1}`],
    ["spaces and newlines around the colon", `{ "model" :\n\t "p/m" ,\n "x": 1 }`, `{ "model" :\n\t "m" ,\n "x": 1 }`],
    ["model last", `{"x":[1,2],"model":"p/m"}`, `{"x":[1,2],"model":"m"}`],
    ["model last with trailing space", `{"x":1,"model":"p/m"  }`, `{"x":1,"model":"m"  }`],
    ["nested model keys untouched", `{"metadata":{"model":"keep"},"model":"p/m","tools":[{"model":"keep"}]}`, `{"metadata":{"model":"keep"},"model":"m","tools":[{"model":"keep"}]}`],
    ["`\"model\":` inside a string untouched", `{"messages":[{"content":"say \\"model\\":\\"x\\", {ok}"}],"model":"p/m"}`, `{"messages":[{"content":"say \\"model\\":\\"x\\", {ok}"}],"model":"m"}`],
    ["a value ending in an escaped backslash", `{"a":"x\\\\","model":"p/m"}`, `{"a":"x\\\\","model":"m"}`],
    ["escaped key", `{"mod\\u0065l":"p/m"}`, `{"mod\\u0065l":"m"}`],
    ["escaped value", `{"model":"p\\/m\\u00e9"}`, `{"model":"m"}`],
    ["unicode elsewhere", `{"content":"héllo 😀 \\ud83d\\ude00","model":"p/m"}`, `{"content":"héllo 😀 \\ud83d\\ude00","model":"m"}`],
    ["a key that only starts like model", `{"models":"x","model_x":"y","model":"p/m"}`, `{"models":"x","model_x":"y","model":"m"}`],
    ["duplicate keys: every one rewritten", `{"model":"a/first","x":1,"model":"p/m"}`, `{"model":"m","x":1,"model":"m"}`],
    ["a non-string duplicate too", `{"model":{"id":"x"},"model":"p/m"}`, `{"model":"m","model":"m"}`]
  ])("%s", (_name, input, expected) => {
    JSON.parse(input) // every case is valid JSON, as on the request path
    assert.strictEqual(rewriteModel(input, "m"), expected)
    assert.strictEqual((JSON.parse(rewriteModel(input, "m")) as { model: unknown }).model, "m")
  })

  it("escapes a target model that needs it", () => {
    assert.strictEqual(rewriteModel(`{"model":"p/x"}`, "a\"b\\c/é"), `{"model":"a\\"b\\\\c/é"}`)
  })

  it("returns the same string when the model is already the upstream's", () => {
    const text = `{"model":"m","messages":[]}`
    assert.strictEqual(rewriteModel(text, "m"), text)
  })

  it("leaves a body without a top-level model as it is", () => {
    const text = `{"input":{"model":"x"}}`
    assert.strictEqual(rewriteModel(text, "m"), text)
    assert.deepStrictEqual(modelValueRanges(text), [])
  })
})
