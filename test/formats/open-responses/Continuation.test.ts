import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import {
  Conversations,
  conversationAfter,
  envelope,
  failureOfHttp,
  statusOfStreamError,
  terminalResponse,
  turnOf,
  withPrevious
} from "../../../src/formats/open-responses/Continuation.ts"

const user = (text: string) => ({ type: "message", role: "user", content: text })
const answer = { type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: "OK", annotations: [] }] }
const call = { type: "function_call", id: "fc_1", call_id: "call_1", name: "get_weather", arguments: "{}", status: "completed" }

/** A cache holding `resp_1`: the user's first message and the answer. */
const withFirst = () => {
  const conversations = new Conversations()
  conversations.set("resp_1", [user("first"), answer, call])
  return conversations
}

/** The refusal of `message` (sent as it is when it is text, else as its JSON). */
const refused = (message: unknown, conversations = withFirst()) => {
  const turn = turnOf(typeof message === "string" ? message : JSON.stringify(message), conversations)
  if (Result.isSuccess(turn)) throw new Error("expected a refusal")
  return turn.failure
}

describe("a response.create message as a turn", () => {
  it("a string input is one user message; the body is the message without the transport's fields, streamed", () => {
    const turn = turnOf(JSON.stringify({ type: "response.create", model: "m", input: "hi", store: false, extra_field: 1 }), new Conversations())
    expect(Result.getOrThrow(turn)).toEqual({
      previous: undefined,
      input: [user("hi")],
      generate: true,
      store: false,
      body: { model: "m", input: [user("hi")], store: false, extra_field: 1, stream: true }
    })
  })

  it("previous_response_id: the kept conversation, then the new input; the id is not sent on", () => {
    const turn = Result.getOrThrow(turnOf(JSON.stringify({
      type: "response.create",
      model: "m",
      previous_response_id: "resp_1",
      input: [{ type: "function_call_output", call_id: "call_1", output: "sunny" }, user("and now?")]
    }), withFirst()))
    expect(turn.previous).toBe("resp_1")
    expect(turn.input).toEqual([user("first"), answer, call, { type: "function_call_output", call_id: "call_1", output: "sunny" }, user("and now?")])
    expect(turn.body).not.toHaveProperty("previous_response_id")
    expect(turn.body["input"]).toEqual(turn.input)
  })

  it("generate: false is kept for the turn, not sent on", () => {
    const turn = Result.getOrThrow(turnOf(JSON.stringify({ type: "response.create", model: "m", input: "x", generate: false }), new Conversations()))
    expect(turn.generate).toBe(false)
    expect(turn.body).not.toHaveProperty("generate")
  })

  it.each<readonly [string, unknown, { code: string; param: string | null }]>([
    ["not JSON", "{", { code: "invalid_json", param: null }],
    ["not an object", [1], { code: "invalid_json", param: null }],
    ["another event type", { type: "response.cancel" }, { code: "unknown_event_type", param: "type" }],
    ["`stream` (HTTP only)", { type: "response.create", model: "m", stream: true }, { code: "unsupported_parameter", param: "stream" }],
    ["`stream_options` (HTTP only)", { type: "response.create", model: "m", stream_options: {} }, { code: "unsupported_parameter", param: "stream_options" }],
    ["`background` (HTTP only)", { type: "response.create", model: "m", background: false }, { code: "unsupported_parameter", param: "background" }],
    ["an input that is neither text nor items", { type: "response.create", model: "m", input: 3 }, { code: "invalid_type", param: "input" }],
    ["an unknown previous response", { type: "response.create", model: "m", previous_response_id: "resp_x", input: "y" }, { code: "previous_response_not_found", param: "previous_response_id" }],
    [
      "a tool output without its call",
      { type: "response.create", model: "m", previous_response_id: "resp_1", input: [user("a"), { type: "function_call_output", call_id: "call_9", output: "?" }] },
      { code: "invalid_request_error", param: "input[1]" }
    ]
  ])("refused: %s", (_, message, expected) => {
    const { failure } = refused(message, withFirst())
    expect(failure).toMatchObject({ status: 400, type: "invalid_request_error", ...expected })
  })

  it("a refused continuation names the response it continued (the transport evicts it)", () => {
    const refusal = refused({ type: "response.create", model: "m", previous_response_id: "resp_1", input: [{ type: "function_call_output", call_id: "call_9", output: "?" }] })
    expect(refusal.previous).toBe("resp_1")
  })
})

describe("the connection's conversations", () => {
  it("keeps the most recent ones, the least recently used forgotten first", () => {
    const conversations = new Conversations(2)
    conversations.set("a", [1])
    conversations.set("b", [2])
    expect(conversations.get("a")).toEqual([1])
    conversations.set("c", [3])
    expect(conversations.get("b")).toBeUndefined()
    expect(conversations.get("a")).toEqual([1])
    expect(conversations.get("c")).toEqual([3])
    conversations.delete("a")
    expect(conversations.get("a")).toBeUndefined()
  })

  it("a response's conversation is its input, then its output", () => {
    expect(conversationAfter([user("q")], { id: "r", output: [answer] })).toEqual([user("q"), answer])
    expect(conversationAfter([user("q")], { id: "r" })).toEqual([user("q")])
  })
})

describe("events and errors", () => {
  it("the response of an event echoes the turn's previous_response_id; other events pass unchanged", () => {
    const delta = { type: "response.output_text.delta", delta: "x" }
    expect(withPrevious(delta, "resp_1")).toBe(delta)
    expect(withPrevious({ type: "response.created", response: { id: "r", previous_response_id: null } }, "resp_1"))
      .toEqual({ type: "response.created", response: { id: "r", previous_response_id: "resp_1" } })
    expect(withPrevious({ type: "response.created", response: { id: "r", previous_response_id: null } }, undefined))
      .toEqual({ type: "response.created", response: { id: "r", previous_response_id: null } })
  })

  it.each([
    ["response.completed", true],
    ["response.incomplete", true],
    ["response.failed", true],
    ["response.in_progress", false]
  ])("%s ends a turn: %s", (type, ends) => {
    expect(terminalResponse({ type, response: { id: "r" } }) !== undefined).toBe(ends)
  })

  it.each<readonly [string, number, string, { status: number; type: string; code: string; message: string; param: string | null }]>([
    [
      "an Open Responses error body",
      404,
      JSON.stringify({ error: { message: "no such model", type: "not_found", param: "model", code: "model_not_found" } }),
      { status: 404, type: "not_found", code: "model_not_found", message: "no such model", param: "model" }
    ],
    [
      "a body without a code: the type is the code",
      400,
      JSON.stringify({ error: { message: "bad", type: "invalid_request_error", param: null, code: null } }),
      { status: 400, type: "invalid_request_error", code: "invalid_request_error", message: "bad", param: null }
    ],
    ["not JSON", 502, "Bad Gateway", { status: 502, type: "server_error", code: "server_error", message: "Bad Gateway", param: null }]
  ])("an HTTP error as the transport's failure: %s", (_, status, body, expected) => {
    expect(failureOfHttp(status, body)).toEqual(expected)
  })

  it("the envelope is the spec's: type error, a status, the error with its code", () => {
    expect(JSON.parse(envelope({ status: 400, type: "invalid_request_error", code: "previous_response_not_found", message: "m", param: "previous_response_id" }))).toEqual({
      type: "error",
      status: 400,
      error: { type: "invalid_request_error", code: "previous_response_not_found", message: "m", param: "previous_response_id" }
    })
  })

  it.each([
    ["invalid_request", undefined, 400],
    ["not_found", "model_not_found", 404],
    ["too_many_requests", "rate_limit_exceeded", 429],
    ["server_error", "server_is_overloaded", 503],
    ["server_error", "timeout", 504],
    ["server_error", undefined, 500],
    [undefined, undefined, 500]
  ] as const)("a stream error of type %s, code %s, has status %s", (type, code, status) => expect(statusOfStreamError(type, code)).toBe(status))
})
