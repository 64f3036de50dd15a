/** The chat's model picker groups (web/src/ModelGroups.ts), as a table. */
import { describe, expect, it } from "vitest"
import { groupModels, modelLabel } from "../../web/src/ModelGroups.ts"

const model = (provider: string, owner: string, upstream: string) => ({ id: `${provider}/${upstream}`, owned_by: owner, provider, upstream_id: upstream })
/** A virtual model as `/v1/models` lists it: no provider, no upstream id. */
const virtual = (name: string) => ({ id: name, owned_by: "switchboard", provider: null, virtual: { strategy: "fallback", targets: ["a/y"] } })

describe("groupModels", () => {
  it.each([
    ["no models", [], []],
    ["one provider", [model("a", "Alpha", "m1"), model("a", "Alpha", "m2")], [["Alpha", ["a/m1", "a/m2"]]]],
    [
      "providers in the server's order, models kept together",
      [model("b", "Beta", "x"), model("a", "Alpha", "y"), model("b", "Beta", "z")],
      [["Beta", ["b/x", "b/z"]], ["Alpha", ["a/y"]]]
    ],
    [
      "local models first, in their own group",
      [model("a", "Alpha", "y"), model("local", "Local", "tiny.gguf")],
      [["Local models", ["local/tiny.gguf"]], ["Alpha", ["a/y"]]]
    ],
    [
      "virtual models first, in their own group, then the local ones",
      [model("a", "Alpha", "y"), model("local", "Local", "tiny.gguf"), virtual("smart"), virtual("spread")],
      [["Virtual models", ["smart", "spread"]], ["Local models", ["local/tiny.gguf"]], ["Alpha", ["a/y"]]]
    ],
    [
      "two providers with the same name stay apart (grouped by id)",
      [model("a", "Same", "m"), model("b", "Same", "m")],
      [["Same", ["a/m"]], ["Same", ["b/m"]]]
    ]
  ] as const)("%s", (_, models, expected) => {
    expect(groupModels(models).map((g) => [g.label, g.models.map((m) => m.id)])).toEqual(expected)
  })

  it("names a provider's model by its own id and a virtual model by its name", () => {
    expect(modelLabel(model("a", "Alpha", "gpt-4.1"))).toBe("gpt-4.1")
    expect(modelLabel(virtual("smart"))).toBe("smart")
  })
})
