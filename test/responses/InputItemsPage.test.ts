/** `InputItemsPage.page`: the `input_items` list's order, limit, cursor and the ids it gives. */
import { assert, describe, it } from "@effect/vitest"
import { type InputItemsQuery, page } from "../../src/responses/InputItemsPage.ts"

const items = [
  { type: "message", role: "user", content: "one" },
  { id: "fc_1", type: "function_call", call_id: "c", name: "f", arguments: "{}" },
  { type: "function_call_output", call_id: "c", output: "x" }
]

describe("InputItemsPage.page", () => {
  const cases: ReadonlyArray<readonly [string, InputItemsQuery, ReadonlyArray<string>, boolean]> = [
    ["newest first by default; ids given from the response's", {}, ["resp_1_in_2", "fc_1", "resp_1_in_0"], false],
    ["asc", { order: "asc" }, ["resp_1_in_0", "fc_1", "resp_1_in_2"], false],
    ["limit", { order: "asc", limit: 2 }, ["resp_1_in_0", "fc_1"], true],
    ["after", { order: "asc", after: "resp_1_in_0" }, ["fc_1", "resp_1_in_2"], false],
    ["after, desc, limit", { after: "resp_1_in_2", limit: 1 }, ["fc_1"], true],
    ["after the last", { after: "resp_1_in_0" }, [], false]
  ]
  for (const [name, query, ids, hasMore] of cases) {
    it(name, () => {
      const list = page("resp_1", items, query)
      assert.deepStrictEqual(list.data.map((item) => item["id"]), [...ids])
      assert.strictEqual(list.has_more, hasMore)
      assert.strictEqual(list.first_id, ids[0] ?? null)
      assert.strictEqual(list.last_id, ids.at(-1) ?? null)
      assert.strictEqual(list.object, "list")
    })
  }

  it("an item keeps its content; the id comes first", () =>
    assert.deepStrictEqual(page("resp_1", items, { order: "asc", limit: 1 }).data[0], { id: "resp_1_in_0", type: "message", role: "user", content: "one" }))
})
