/** The chat's model picker groups (web/src/ModelGroups.ts), as a table. */
import { describe, expect, it } from "vitest"
import { groupModels } from "../../web/src/ModelGroups.ts"

const model = (provider: string, owner: string, upstream: string) => ({ id: `${provider}/${upstream}`, owned_by: owner, provider, upstream_id: upstream })

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
      "two providers with the same name stay apart (grouped by id)",
      [model("a", "Same", "m"), model("b", "Same", "m")],
      [["Same", ["a/m"]], ["Same", ["b/m"]]]
    ]
  ] as const)("%s", (_, models, expected) => {
    expect(groupModels(models).map((g) => [g.label, g.models.map((m) => m.id)])).toEqual(expected)
  })
})
