/**
 * The pass-through core without HTTP: the request it builds, and the answer machine fed a script
 * of upstream inputs (start / data / end / fail), with the actions it asks its driver to take.
 * Both drivers (the fast lane and the Effect path) only carry these actions out.
 */
import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import type { HttpServerResponse } from "effect/http"
import { anthropicMessages, type HttpFormat, openAiChat, openResponses } from "../../src/http/Formats.ts"
import * as Exchange from "../../src/http/PassThroughExchange.ts"
import { contextText, seal } from "../../src/formats/open-responses/CompactionContent.ts"
import type { HttpEndpoint } from "../../src/providers/Upstream.ts"
import { untracked } from "../../src/providers/Upstream.ts"

const SECRET = "sk-exchange-secret-0123456789"

const endpoint = (format: HttpFormat): HttpEndpoint => ({
  format: format.api,
  baseUrl: "http://upstream.test/v1",
  name: "upstream.test",
  timeoutSeconds: 7,
  health: untracked,
  auth: { headers: Redacted.make({ authorization: `Bearer ${SECRET}`, "x-extra": "provider" }), secrets: Redacted.make([SECRET]) }
})
const exchangeOf = (format: HttpFormat): Exchange.Exchange => ({ route: { endpoint: endpoint(format), upstreamModel: "real-model" }, format })

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))
const bodyText = (response: HttpServerResponse.HttpServerResponse) =>
  response.body._tag === "Uint8Array" ? new TextDecoder().decode(response.body.body) : `<${response.body._tag}>`

describe("the request", () => {
  it("goes to the format's path under the base URL", () => {
    expect(Exchange.upstreamUrl(endpoint(openAiChat), openAiChat)).toBe("http://upstream.test/v1/chat/completions")
    expect(Exchange.upstreamUrl(endpoint(anthropicMessages), anthropicMessages)).toBe("http://upstream.test/v1/messages")
  })

  it.each([
    [
      "the provider's credentials win over the caller's; accept is the caller's",
      openAiChat,
      { authorization: "Bearer sb-gateway-key", accept: "text/event-stream", traceparent: "00-abc" },
      { authorization: `Bearer ${SECRET}`, "x-extra": "provider", accept: "text/event-stream", "content-type": "application/json" }
    ],
    [
      "no accept: JSON",
      openAiChat,
      { "x-api-key": "sb-gateway-key" },
      { authorization: `Bearer ${SECRET}`, "x-extra": "provider", accept: "application/json", "content-type": "application/json" }
    ],
    [
      "the format's pass-through headers go first (Anthropic's beta flags), never a caller's key",
      anthropicMessages,
      { "anthropic-beta": "tools-2024", "x-api-key": "sb-gateway-key", "x-extra": "caller" },
      { "anthropic-beta": "tools-2024", authorization: `Bearer ${SECRET}`, "x-extra": "provider", accept: "application/json", "content-type": "application/json" }
    ]
  ] as const)("headers: %s", (_name, format, caller, expected) => {
    expect(Exchange.upstreamHeaders(endpoint(format), format, caller)).toStrictEqual(expected)
  })

  it("rewrites only the model in the body", () => {
    const route = exchangeOf(openAiChat).route
    expect(Exchange.upstreamBody(route, `{ "model" : "up/alias", "stream":true }`)).toBe(`{ "model" : "real-model", "stream":true }`)
  })

  it("gives a Responses provider the summary of a compaction item Switchboard made, and only then re-writes the body", () => {
    const route = exchangeOf(openResponses).route
    const sealed = seal("Alice wants a page.")
    const body = JSON.stringify({ model: "up/alias", input: [{ type: "compaction", id: "cmp_1", encrypted_content: sealed }, { role: "user", content: "Go on." }] })
    expect(JSON.parse(Exchange.upstreamBody(route, body))).toEqual({
      model: "real-model",
      input: [{ type: "message", role: "user", content: contextText("Alice wants a page.") }, { role: "user", content: "Go on." }]
    })
    // A provider's own item, and any other provider format, are left as they are.
    const theirs = `{"model":"up/alias","input":[{"type":"compaction","encrypted_content":"gAAAAB-theirs"}]}`
    expect(Exchange.upstreamBody(route, theirs)).toBe(theirs.replace("up/alias", "real-model"))
    expect(Exchange.upstreamBody(exchangeOf(openAiChat).route, body)).toBe(body.replace("up/alias", "real-model"))
  })
})

/** One input of a script. */
type Input =
  | readonly ["start", number, Record<string, string>]
  | readonly ["data", string]
  | readonly ["end"]
  | readonly ["timeout"]
  | readonly ["reset"]

/** An action, summarised for comparison. */
type Seen =
  | readonly ["head", number, Record<string, string>, string | undefined]
  | readonly ["write", string]
  | readonly ["end", string | undefined]
  | readonly ["answer", number, string]
  | readonly ["cut"]
  | readonly ["nothing"]

const run = (format: HttpFormat, script: ReadonlyArray<Input>): ReadonlyArray<Seen> => {
  const exchange = exchangeOf(format)
  let state = Exchange.initial
  const seen: Array<Seen> = []
  for (const input of script) {
    const [next, action] = input[0] === "start"
      ? Exchange.start(exchange, state, input[1], input[2])
      : input[0] === "data"
      ? Exchange.data(state, bytes(input[1]))
      : input[0] === "end"
      ? Exchange.end(exchange, state)
      : Exchange.fail(exchange, state, Exchange.exchangeError(exchange.route, input[0] === "timeout" ? { timedOut: true } : { timedOut: false, cause: { code: "ECONNRESET" } }))
    state = next
    switch (action._tag) {
      case "Head":
        seen.push(["head", action.status, action.headers, action.length])
        break
      case "Write":
        seen.push(["write", text(action.bytes)!])
        break
      case "End":
        seen.push(["end", text(action.bytes)])
        break
      case "Answer":
        seen.push(["answer", action.response.status, bodyText(action.response)])
        break
      case "Cut":
        seen.push(["cut"])
        break
      case "Nothing":
        seen.push(["nothing"])
        break
    }
  }
  return seen
}

const JSON_HEAD = { "content-type": "application/json", "content-length": "11", "x-request-id": "req-1", connection: "keep-alive" }
const SSE_HEAD = { "content-type": "text/event-stream", "transfer-encoding": "chunked" }

describe("the answer", () => {
  it.each<readonly [string, HttpFormat, ReadonlyArray<Input>, ReadonlyArray<Seen>]>([
    [
      "JSON passes byte for byte, its length kept, hop-by-hop headers dropped",
      openAiChat,
      [["start", 200, JSON_HEAD], ["data", `{"a":`], ["data", `"b"}`], ["end"]],
      [["head", 200, { "content-type": "application/json", "x-request-id": "req-1" }, "11"], ["write", `{"a":`], ["write", `"b"}`], ["end", undefined]]
    ],
    [
      "SSE goes in whole events; the tail passes at a normal end",
      openAiChat,
      [["start", 200, SSE_HEAD], ["data", "data: 1\n\nda"], ["data", "ta: 2"], ["data", "\n\ndata: [DONE]"], ["end"]],
      [["head", 200, { "content-type": "text/event-stream" }, undefined], ["write", "data: 1\n\n"], ["nothing"], ["write", "data: 2\n\n"], ["end", "data: [DONE]"]]
    ],
    [
      "a stalled SSE stream drops the half event and ends with the format's error event",
      openAiChat,
      [["start", 200, SSE_HEAD], ["data", "data: 1\n\ndata: hal"], ["timeout"], ["data", "f\n\n"], ["end"]],
      [
        ["head", 200, { "content-type": "text/event-stream" }, undefined],
        ["write", "data: 1\n\n"],
        ["end", `data: {"error":{"message":"no answer from upstream.test within 7 s","type":"server_error","code":"timeout","param":null}}\n\n`],
        ["nothing"],
        ["nothing"]
      ]
    ],
    [
      "a plain body that fails half-way cuts the connection",
      openAiChat,
      [["start", 200, JSON_HEAD], ["data", `{"a":`], ["reset"]],
      [["head", 200, { "content-type": "application/json", "x-request-id": "req-1" }, "11"], ["write", `{"a":`], ["cut"]]
    ],
    [
      "a JSON error body is read whole and scrubbed of the provider's secrets",
      openAiChat,
      [["start", 401, { "content-type": "application/json" }], ["data", `{"error":{"message":"bad key ${SECRET.slice(0, 10)}`], ["data", `${SECRET.slice(10)}"}}`], ["end"]],
      [["nothing"], ["nothing"], ["nothing"], ["answer", 401, `{"error":{"message":"bad key [redacted]"}}`]]
    ],
    [
      "a success that is not JSON is refused with a 502",
      openAiChat,
      [["start", 200, { "content-type": "text/html" }], ["data", "<html>"], ["end"]],
      [
        ["answer", 502, `{"error":{"message":"upstream.test answered 200 with text/html, not JSON: is http://upstream.test/v1 the provider's API?","type":"server_error","param":null,"code":"upstream_error"}}`],
        ["nothing"],
        ["nothing"]
      ]
    ],
    [
      "no answer in time: 504 in the caller's format",
      anthropicMessages,
      [["timeout"], ["end"]],
      [["answer", 504, `{"type":"error","error":{"type":"timeout_error","message":"no answer from upstream.test within 7 s"}}`], ["nothing"]]
    ],
    [
      "an error body cut short: 502",
      openAiChat,
      [["start", 500, { "content-type": "application/json" }], ["data", "{"], ["reset"]],
      [["nothing"], ["nothing"], ["answer", 502, `{"error":{"message":"cannot reach upstream.test: connection reset","type":"server_error","param":null,"code":"upstream_error"}}`]]
    ]
  ])("%s", (_name, format, script, expected) => {
    expect(run(format, script)).toStrictEqual(expected)
  })

  it("a non-JSON error body is told in the caller's shape, scrubbed, with its status", () => {
    const [answer] = run(openAiChat, [["start", 503, { "content-type": "text/html", "retry-after": "3" }], ["data", `<h1>down ${SECRET}</h1>`], ["end"]]).slice(-1)
    expect(answer?.[0]).toBe("answer")
    expect(answer?.[1]).toBe(503)
    expect(answer?.[2]).toContain("down [redacted]")
    expect(answer?.[2]).not.toContain(SECRET)
  })

  it("a failed Responses stream refers to what was seen (its response id)", () => {
    const created = `event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"real-model","output":[]}}\n\n`
    const seen = run(openResponses, [["start", 200, SSE_HEAD], ["data", created], ["reset"]])
    expect(seen[1]).toStrictEqual(["write", created])
    const [tag, events] = seen[2]!
    expect(tag).toBe("end")
    expect(events).toContain("resp_1")
    expect(events).toContain("response.failed")
  })
})
