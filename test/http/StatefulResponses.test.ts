/** `StatefulResponses.plan` / `echoed`: what a stateful `POST /v1/responses` sends on, stores and echoes. */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { asksForState } from "../../src/formats/open-responses/Continuation.ts"
import { echoed, plan } from "../../src/http/StatefulResponses.ts"
import type { StoredResponse } from "../../src/responses/ResponseStore.ts"

const previous: StoredResponse = {
  id: "resp_1",
  keyId: null,
  createdAt: 0,
  input: [{ type: "message", role: "user", content: "one" }],
  response: { id: "resp_1", output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "two" }] }] }
}
const user = (content: string) => ({ type: "message", role: "user", content })

describe("StatefulResponses.plan", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, Option.Option<StoredResponse>, unknown]> = [
    ["neither field: the handler's", { model: "m", input: "x" }, Option.none(), undefined],
    ["an id not stored here, without store: the handler's", { model: "m", input: "x", previous_response_id: "resp_x" }, Option.none(), undefined],
    ["an input that is no input: the handler's (its 400)", { model: "m", input: 3, store: true }, Option.none(), undefined],
    ["store: true alone: sent without store, the input as items", { model: "m", input: "x", store: true }, Option.none(), {
      sent: { model: "m", input: "x" },
      input: [user("x")],
      echo: { store: true, previous: undefined }
    }],
    ["store: true with an id not stored here: the id goes on", { model: "m", input: "x", store: true, previous_response_id: "resp_x" }, Option.none(), {
      sent: { model: "m", input: "x", previous_response_id: "resp_x" },
      input: [user("x")],
      echo: { store: true, previous: "resp_x" }
    }],
    ["a stored id: the whole conversation, neither field sent on", { model: "m", input: [user("three")], previous_response_id: "resp_1", stream: true }, Option.some(previous), {
      sent: { model: "m", input: [...previous.input, ...(previous.response["output"] as Array<unknown>), user("three")], stream: true },
      input: [...previous.input, ...(previous.response["output"] as Array<unknown>), user("three")],
      echo: { store: false, previous: "resp_1" }
    }]
  ]
  for (const [name, body, stored, expected] of cases) {
    it(name, () => {
      const planned = plan(body, stored)
      assert.deepStrictEqual(Option.getOrUndefined(planned), expected as never)
      if (Option.isSome(planned)) {
        assert.isTrue(asksForState(body))
        // The loopback request carries no store, and an id only when it is not stored here.
        assert.notProperty(planned.value.sent, "store")
      }
    })
  }
})

describe("StatefulResponses.echoed", () => {
  it("echoes store: true and the previous id; leaves the rest", () => {
    assert.deepStrictEqual(echoed({ id: "r", store: false }, { store: true, previous: "p" }), { id: "r", store: true, previous_response_id: "p" })
    assert.deepStrictEqual(echoed({ id: "r", store: false }, { store: false, previous: undefined }), { id: "r", store: false })
  })
})
