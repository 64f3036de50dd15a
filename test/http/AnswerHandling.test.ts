import { describe, expect, it } from "vitest"
import { answerHandling } from "../../src/http/PassThroughExchange.ts"

describe("answerHandling: what pass-through does with an upstream answer", () => {
  it.each([
    [200, { "content-type": "application/json" }, "pass"],
    [200, { "content-type": "application/json; charset=utf-8" }, "pass"],
    [200, {}, "pass"],
    [200, { "content-type": "text/event-stream; charset=utf-8" }, "stream"],
    [200, { "content-type": "text/plain" }, "refuse"],
    [200, { "content-type": "text/html" }, "refuse"],
    [200, { "content-type": "text/plain", "content-encoding": "gzip" }, "pass"],
    [429, { "content-type": "application/json" }, "scrub"],
    [500, {}, "scrub"],
    [502, { "content-type": "text/html; charset=utf-8" }, "wrap"],
    [503, { "content-type": "text/plain" }, "wrap"],
    [500, { "content-type": "text/event-stream" }, "stream"],
    [401, { "content-type": "application/problem+json" }, "scrub"]
  ] as const)("%i %j → %s", (status, headers, handling) => {
    expect(answerHandling(status, headers)).toBe(handling)
  })
})
