/**
 * The translation exchange without I/O: a caller's body in, the upstream request out; the
 * upstream's head, chunks, end or failure in, the bytes for the caller out. The drivers (fast lane
 * and Effect path) are tested end to end in test/e2e/ and test/faults/; here every outcome is a
 * row.
 */
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { anthropicMessages, formats, type HttpFormat, openAiChat, openResponses } from "../../src/http/Formats.ts"
import { type Exchange, type Reply, start, type StreamHead, type TranslationTarget } from "../../src/http/TranslateExchange.ts"
import { timeoutError, transportError } from "../../src/providers/UpstreamError.ts"
import { untracked } from "../../src/providers/Upstream.ts"

const SECRET = "sk-ant-secret-0123456789"

const target = (format: HttpFormat = anthropicMessages): TranslationTarget => ({
  format: format.api,
  baseUrl: "http://127.0.0.1:9/v1",
  name: "127.0.0.1:9",
  timeoutSeconds: 5,
  health: untracked,
  auth: { headers: Redacted.make({ "x-api-key": SECRET, "anthropic-version": "2023-06-01" }), secrets: Redacted.make([SECRET]) },
  upstreamModel: "claude-up"
})

const chat = (extra: Record<string, unknown> = {}) => ({
  model: "anth/claude",
  messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
  ...extra
})

const sent = (inbound: HttpFormat, body: unknown, to: TranslationTarget = target()) => {
  const started = start(inbound, to, body)
  if (started._tag !== "Send") throw new Error(`expected a request upstream, got ${JSON.stringify(started)}`)
  return started
}

const answer = (inbound: HttpFormat, body: unknown): Reply => {
  const started = start(inbound, target(), body)
  if (started._tag !== "Answer") throw new Error("expected an answer of Switchboard's own")
  return started.reply
}

const text = (body: string | Uint8Array) => typeof body === "string" ? body : new TextDecoder().decode(body)
const json = (reply: Reply) => JSON.parse(text(reply.body)) as { error: { message: string; type: string; param?: string } }
const isReply = (value: unknown): value is Reply => typeof value === "object" && value !== null && "body" in value
const reply = (value: string | Reply | StreamHead | undefined): Reply => {
  if (!isReply(value)) throw new Error(`expected a whole answer, got ${JSON.stringify(value)}`)
  return value
}
const bytes = (s: string) => new TextEncoder().encode(s)

const anthropicMessage = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-up",
  content: [{ type: "text", text: "Hello!" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 5, output_tokens: 2 }
}

const sse = (events: ReadonlyArray<object>) => events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join("")

const anthropicStreamStart = sse([
  { type: "message_start", message: { id: "msg_1", model: "claude-up", usage: { input_tokens: 5, output_tokens: 0 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }
])
const anthropicStreamEnd = sse([
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } },
  { type: "content_block_stop", index: 0 },
  { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 2 } },
  { type: "message_stop" }
])

/** The `data:` payloads of SSE text. */
const dataOf = (s: string) => s.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))

describe("start: the caller's body → the upstream request, or Switchboard's own answer", () => {
  it("sends the provider's format to baseUrl + its path, with the provider's headers and the upstream model", () => {
    const { request } = sent(openAiChat, chat({ max_tokens: 50 }))
    expect(request.url).toBe("http://127.0.0.1:9/v1/messages")
    expect(request.headers).toEqual({
      "x-api-key": SECRET,
      "anthropic-version": "2023-06-01",
      accept: "application/json",
      "content-type": "application/json"
    })
    expect(JSON.parse(request.body)).toMatchObject({ model: "claude-up", system: [{ type: "text", text: "Be brief." }], max_tokens: 50, messages: [{ role: "user" }] })
  })

  it("asks for an event stream when the caller streams", () => {
    const { request, exchange } = sent(openAiChat, chat({ stream: true }))
    expect(request.headers.accept).toBe("text/event-stream")
    expect(JSON.parse(request.body)).toMatchObject({ stream: true })
    expect(exchange.stream).toBe(true)
  })

  it.each([
    ["OpenAI Chat", openAiChat, { model: "m", messages: [{ role: "system", content: "x" }] }, "messages"],
    ["Anthropic", anthropicMessages, { model: "m", max_tokens: 5, system: "x", messages: [] }, "messages"],
    ["Responses", openResponses, { model: "m", instructions: "x" }, "input"]
  ] as const)("%s: instructions alone are a 400 naming %s", (_name, inbound, body, param) => {
    const to = inbound === anthropicMessages ? target(openAiChat) : target()
    const started = start(inbound, to, body)
    expect(started._tag).toBe("Answer")
    if (started._tag !== "Answer") return
    expect(started.reply.status).toBe(400)
    expect(text(started.reply.body)).toContain(`${param} must hold at least one message besides instructions`)
  })

  it("a request that does not follow the caller's format is a 400 naming the field, in its shape", () => {
    const reply = answer(openAiChat, { model: "m", messages: "nope" })
    expect(reply.status).toBe(400)
    expect(reply.headers["content-type"]).toContain("application/json")
    expect(json(reply).error.param).toBe("messages")
  })

  it("a request nested too deeply to be written is a 400, never a crash", () => {
    const deep = JSON.parse("{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000)) as object
    const reply = answer(openAiChat, chat({ tools: [{ type: "function", function: { name: "deep", parameters: { type: "object", properties: deep } } }] }))
    expect(reply.status).toBe(400)
    expect(json(reply).error.message).toContain("nested too deeply")
  })
})

describe("a complete answer", () => {
  const exchange = (): Exchange => sent(openAiChat, chat()).exchange

  it("is read whole and translated to the caller's format, passing the upstream's request id", () => {
    const ex = exchange()
    expect(ex.head(200, { "content-type": "application/json", "request-id": "req_1", "content-length": "999" })).toBeUndefined()
    const body = bytes(JSON.stringify(anthropicMessage))
    expect(ex.data(body.subarray(0, 10))).toBe("")
    expect(ex.data(body.subarray(10))).toBe("")
    const out = reply(ex.end())
    expect(out.status).toBe(200)
    expect(out.headers).toMatchObject({ "content-type": "application/json", "request-id": "req_1" })
    expect(out.headers["content-length"]).toBe(String(Buffer.byteLength(text(out.body))))
    expect(JSON.parse(text(out.body))).toMatchObject({
      object: "chat.completion",
      model: "claude-up",
      choices: [{ message: { role: "assistant", content: "Hello!" }, finish_reason: "stop" }]
    })
  })

  it.each([
    ["not JSON", "<html>hi</html>", "answered with a body that is not JSON"],
    ["not an Anthropic message", JSON.stringify({ hello: 1 }), "unexpected anthropic-messages response"]
  ])("%s is a 502", (_name, body, message) => {
    const ex = exchange()
    ex.head(200, { "content-type": "application/json" })
    ex.data(bytes(body))
    const out = reply(ex.end())
    expect(out.status).toBe(502)
    expect(json(out).error.message).toContain(message)
  })

  it("an upstream error keeps its status, is scrubbed of secrets and told in the caller's shape", () => {
    const ex = exchange()
    expect(ex.head(429, { "content-type": "application/json", "retry-after": "7" })).toBeUndefined()
    ex.data(bytes(JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: `slow down, ${SECRET}` } })))
    const out = reply(ex.end())
    expect(out.status).toBe(429)
    expect(out.headers["retry-after"]).toBe("7")
    expect(text(out.body)).not.toContain(SECRET)
    expect(json(out).error).toMatchObject({ type: "rate_limit_error", message: "slow down, [redacted]" })
  })

  it.each([
    ["before the answer, unreachable", () => transportError("127.0.0.1:9", Object.assign(new Error("x"), { code: "ECONNREFUSED" })), 502, false],
    ["before the answer, too slow", () => timeoutError("127.0.0.1:9", 5), 504, false],
    ["while reading the body, reset", () => transportError("127.0.0.1:9", Object.assign(new Error("x"), { code: "ECONNRESET" })), 502, true],
    ["while reading the body, stalled", () => timeoutError("127.0.0.1:9", 5), 504, true]
  ] as const)("a failure %s is a %i", (_name, error, status, afterHead) => {
    const ex = exchange()
    if (afterHead) ex.head(200, { "content-type": "application/json" })
    const out = reply(ex.fail(error()))
    expect(out.status).toBe(status)
    expect(json(out).error.message).toContain("127.0.0.1:9")
  })
})

describe("a stream", () => {
  const exchange = (inbound: HttpFormat = openAiChat, body: unknown = chat({ stream: true, stream_options: { include_usage: true } })) =>
    sent(inbound, body).exchange

  it("starts with an SSE head, then translates event by event, whatever the chunking", () => {
    const ex = exchange()
    const head = ex.head(200, { "content-type": "text/event-stream", "request-id": "req_2" })
    expect(head).toEqual({
      _tag: "StreamHead",
      status: 200,
      headers: { "request-id": "req_2", "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }
    })
    const first = bytes(anthropicStreamStart)
    // Cut inside an event: nothing of it is written until it is whole.
    const cut = first.length - 5
    const a = ex.data(first.subarray(0, cut))
    const b = ex.data(first.subarray(cut))
    const c = ex.data(bytes(anthropicStreamEnd))
    const end = ex.end()
    expect(typeof end).toBe("string")
    const chunks = dataOf(a + b + c + (end as string))
    expect(chunks.at(-1)).toBe("[DONE]")
    const parsed = chunks.slice(0, -1).map((d) => JSON.parse(d) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; usage?: unknown })
    expect(parsed.flatMap((p) => p.choices.map((ch) => ch.delta.content ?? "")).join("")).toBe("Hello")
    expect(parsed.some((p) => p.choices[0]?.finish_reason === "stop")).toBe(true)
    expect(parsed.at(-1)?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2 })
    expect(dataOf(b)).not.toContain("[DONE]")
  })

  it.each([
    ["text/html", { "content-type": "text/html" }, "with text/html, not an event stream"],
    ["no content type", {}, "with no content type, not an event stream"]
  ])("a 200 that is %s is a 502", (_name, headers, message) => {
    const out = reply(exchange().head(200, headers))
    expect(out.status).toBe(502)
    expect(json(out).error.message).toContain(message)
  })

  it("an error status is read whole and told in the caller's shape", () => {
    const ex = exchange()
    expect(ex.head(529, { "content-type": "application/json" })).toBeUndefined()
    ex.data(bytes(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "busy" } })))
    const out = reply(ex.end())
    expect(out.status).toBe(529)
    expect(json(out).error.message).toBe("busy")
  })

  it.each([
    ["a reset", transportError("127.0.0.1:9", Object.assign(new Error("x"), { code: "ECONNRESET" })), "connection reset"],
    ["a stall", timeoutError("127.0.0.1:9", 5), "no answer from 127.0.0.1:9 within 5 s"]
  ] as const)("%s mid-stream ends it with the caller's error event, blocks closed (Anthropic caller)", (_name, error, message) => {
    // An OpenAI-format provider this time, the caller Anthropic.
    const started = sent(anthropicMessages, { model: "m", max_tokens: 10, stream: true, messages: [{ role: "user", content: "Hi" }] }, target(openAiChat))
    const stream = started.exchange
    stream.head(200, { "content-type": "text/event-stream" })
    const written = stream.data(bytes(`data: ${JSON.stringify({ id: "c1", model: "gpt", choices: [{ index: 0, delta: { content: "Hel" } }] })}\n\n`))
    const last = stream.fail(error)
    expect(typeof last).toBe("string")
    const events = (written + (last as string)).split("\n").filter((l) => l.startsWith("event: ")).map((l) => l.slice(7))
    expect(events).toEqual(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "error"])
    expect(last as string).toContain(message)
    // Nothing after the end.
    expect(stream.data(bytes("data: {}\n\n"))).toBe("")
    expect(stream.end()).toBe("")
  })

  it("a mid-stream failure is scrubbed of secrets", () => {
    const ex = exchange()
    ex.head(200, { "content-type": "text/event-stream" })
    ex.data(bytes(anthropicStreamStart))
    const last = ex.fail(transportError("127.0.0.1:9", new Error(`socket said ${SECRET}`)))
    expect(last as string).not.toContain(SECRET)
    expect(last as string).toContain("[redacted]")
  })

  it("an event over the SSE parser's limit is a malformed stream, told as an error event", () => {
    const ex = exchange()
    ex.head(200, { "content-type": "text/event-stream" })
    const out = ex.data(bytes(`data: ${"x".repeat(11 * 1024 * 1024)}`))
    expect(out).toContain("sent a malformed event stream")
    expect(ex.end()).toBe("")
  })

  it("an upstream that closes before finishing ends with an error, never a silent stop", () => {
    const ex = exchange()
    ex.head(200, { "content-type": "text/event-stream" })
    ex.data(bytes(anthropicStreamStart))
    const last = ex.end() as string
    expect(last).toContain("closed the stream before it finished")
  })
})

describe("every pair of formats translates a complete answer", () => {
  const answers: Record<string, object> = {
    openai: {
      id: "c1",
      object: "chat.completion",
      created: 1,
      model: "up",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello!" }, finish_reason: "stop" }]
    },
    anthropic: anthropicMessage,
    responses: {
      id: "resp_1",
      object: "response",
      created_at: 1,
      status: "completed",
      model: "up",
      output: [{ type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hello!", annotations: [] }] }]
    }
  }
  const bodies: Record<string, object> = {
    openai: chat(),
    anthropic: { model: "m", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] },
    responses: { model: "m", input: "Hi" }
  }
  for (const [inboundName, inbound] of Object.entries(formats)) {
    for (const [providerName, provider] of Object.entries(formats)) {
      if (inbound === provider) continue
      it(`${inboundName} caller, ${providerName} provider`, () => {
        const { exchange } = sent(inbound, bodies[inboundName], target(provider))
        exchange.head(200, { "content-type": "application/json" })
        exchange.data(bytes(JSON.stringify(answers[providerName])))
        const out = reply(exchange.end())
        expect(out.status).toBe(200)
        expect(text(out.body)).toContain("Hello!")
      })
    }
  }
})
