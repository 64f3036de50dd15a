/** Which failed answers send a request on to the next target, as a table. */
import { assert, describe, it } from "@effect/vitest"
import { retryAfterMs, verdictOf } from "../../src/router/Failover.ts"

const body = (message: string, code: string | null = null) => JSON.stringify({ error: { message, type: "x", param: null, code } })

describe("verdictOf", () => {
  it.each([
    [401, body("Incorrect API key")],
    [403, body("Forbidden")],
    [404, body("The model does not exist", "model_not_found")],
    [408, body("Request timeout")],
    [409, body("Conflict")],
    [429, body("Rate limit reached")],
    [500, body("Internal error")],
    [502, "<html>Bad Gateway</html>"],
    [503, body("Overloaded")],
    [504, body("no answer from x within 60 s")],
    [529, JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })],
    [400, body("This model's maximum context length is 8192 tokens.", "context_length_exceeded")],
    [400, JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 208000 tokens > 200000 maximum" } })],
    [400, body("the request exceeds the available context size, try increasing it")],
    [413, body("input length and `max_tokens` exceed context limit: 190000 + 21333 > 200000")]
  ])("falls over on %i %s", (status, text) => {
    assert.strictEqual(verdictOf(status, {}, text)._tag, "FallOver")
  })

  it.each([
    [400, body("Invalid value for 'temperature'")],
    [400, JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "messages: field required" } })],
    [413, body("Request too large")],
    [422, body("Unprocessable")],
    [200, ""]
  ])("does not fall over on %i %s", (status, text) => {
    assert.strictEqual(verdictOf(status, {}, text)._tag, "Final")
  })

  it("keeps the gist of the error as the reason, and Retry-After of a 429 or 503", () => {
    assert.deepStrictEqual(verdictOf(429, { "retry-after": "7" }, body("Rate limit reached")), { _tag: "FallOver", reason: "429: Rate limit reached", retryAfterMs: 7_000 })
    assert.deepStrictEqual(verdictOf(500, { "retry-after": "7" }, "plain text"), { _tag: "FallOver", reason: "500: plain text", retryAfterMs: undefined })
  })

  it.each([
    [{ "retry-after": "2" }, 2_000],
    [{ "retry-after": "0.5" }, 500],
    [{ "retry-after-ms": "1500", "retry-after": "9" }, 1_500],
    [{ "retry-after": "Sun, 06 Dec 2026 10:00:30 GMT" }, 30_000],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined]
  ])("reads %j as %s ms", (headers, ms) => {
    assert.strictEqual(retryAfterMs(headers, Date.parse("Sun, 06 Dec 2026 10:00:00 GMT")), ms)
  })
})
