/**
 * End to end: the official `@anthropic-ai/sdk` client against the real `switchboard serve` (a
 * child process), the way Claude Code or a user's script drives it.
 *
 * Providers:
 * - `oa`: a fake OpenAI-compatible upstream (no auth): Anthropic Messages are translated to Chat
 *   Completions and back; chat, parallel tool calls, 429, an endless stream;
 * - `sleepy`: OpenAI-compatible, a 1 s timeout, a model whose stream stalls, and a second
 *   `gpt-4o-mini` (so the bare id is ambiguous);
 * - `claude`: a fake Anthropic upstream (key from `SWITCHBOARD_KEY_CLAUDE`, models listed two per
 *   page): same format in and out, so bodies and streams pass through untouched.
 */
import Anthropic, { APIError, BadRequestError, NotFoundError, RateLimitError } from "@anthropic-ai/sdk"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  anthropicProviderEntry,
  type FakeAnthropicUpstream,
  reply as anthropicReply,
  startFakeAnthropicUpstream,
  THINKING_SIGNATURE,
  thinkThenReply
} from "../support/FakeAnthropicUpstream.ts"
import {
  endless,
  failWith,
  type FakeOpenAiUpstream,
  parallelToolCalls,
  providerEntry,
  reply,
  stall,
  startFakeOpenAiUpstream,
  toolCalls
} from "../support/FakeOpenAiUpstream.ts"
import { type SwitchboardProcess, startSwitchboard, waitForProvider } from "../support/SwitchboardProcess.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { thrown } from "../support/Thrown.ts"

const KEY_CLAUDE = `sk-ant-e2e-${randomBytes(16).toString("hex")}`

let oaUp: FakeOpenAiUpstream
let sleepyUp: FakeOpenAiUpstream
let claudeUp: FakeAnthropicUpstream
let switchboard: SwitchboardProcess
let client: Anthropic

/** The upstream request whose body holds `marker`. */
const requestWith = (requests: ReadonlyArray<RecordedRequest>, marker: string): RecordedRequest => {
  const found = requests.find((r) => r.rawBody.includes(marker))
  if (!found) throw new Error(`the upstream received no request containing ${marker}`)
  return found
}

/** A raw `POST /v1/messages`, for what the SDK would not send or would hide. */
const postMessages = (body: unknown, headers: Record<string, string> = {}, query = "") =>
  fetch(`${switchboard.url}/v1/messages${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })

/** SSE text as `[event name, parsed data]` pairs; fails on an event without an `event:` line. */
const sseEvents = (text: string): Array<[string, { type: string }]> =>
  text.split("\n\n").filter((block) => block.trim() !== "").map((block) => {
    const lines = block.split("\n")
    const name = lines.find((line) => line.startsWith("event: "))?.slice("event: ".length)
    const data = lines.filter((line) => line.startsWith("data: ")).map((line) => line.slice("data: ".length))
    if (name === undefined) throw new Error(`an event without an event: line: ${block}`)
    expect(data).toHaveLength(1)
    return [name, JSON.parse(data[0]!) as { type: string }]
  })


beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({
    models: {
      "gpt-4o-mini": reply(),
      "tool-caller": toolCalls(parallelToolCalls),
      "rate-limited": failWith(429),
      "endless": endless(5)
    }
  })
  sleepyUp = await startFakeOpenAiUpstream({ models: { "stalls": stall, "gpt-4o-mini": reply() } })
  claudeUp = await startFakeAnthropicUpstream({
    apiKey: KEY_CLAUDE,
    pageSize: 2,
    models: {
      "claude-sonnet-4-5": anthropicReply(),
      "claude-haiku-4-5": anthropicReply("Hi from haiku"),
      "claude-thinker": thinkThenReply("The user wants a greeting. Keep it short.", "Hello!")
    }
  })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), sleepyUp?.close(), claudeUp?.close()])
})

/** Both drivers of translation: the fast lane (`FastTranslate.ts`) and the Effect path (`Translate.ts`). */
describeEachLane("translation", (lane) => {
  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(oaUp, "oa", { name: "OpenAI-compatible" }),
          providerEntry(sleepyUp, "sleepy", { name: "Sleepy", timeoutSeconds: 1 }),
          anthropicProviderEntry(claudeUp, "claude", { name: "Claude" })
        ]
      },
      env: { SWITCHBOARD_KEY_CLAUDE: KEY_CLAUDE, ...lane.env }
    })
    for (const id of ["oa", "sleepy", "claude"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    client = new Anthropic({ baseURL: switchboard.url, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
  })

  describe("Anthropic client → OpenAI-compatible provider (translated)", () => {
    it("answers a message with a system prompt, in the Anthropic shape, with the upstream's usage", async () => {
      const message = await client.messages.create({
        model: "oa/gpt-4o-mini",
        max_tokens: 256,
        system: "Be brief.",
        messages: [{ role: "user", content: "Hello from the Anthropic SDK" }],
        stop_sequences: ["END"]
      })
      expect(message).toMatchObject({
        type: "message",
        role: "assistant",
        model: "gpt-4o-mini",
        content: [{ type: "text", text: "You said: Hello from the Anthropic SDK" }],
        stop_reason: "end_turn",
        stop_sequence: null
      })
      // The fake counts one token per word: "Hello from the Anthropic SDK" is 5, the answer 7.
      expect(message.usage).toMatchObject({ input_tokens: 5, output_tokens: 7 })

      const upstream = requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "Hello from the Anthropic SDK")
      expect(upstream.body).toMatchObject({
        model: "gpt-4o-mini",
        max_completion_tokens: 256,
        stop: ["END"],
        messages: [{ role: "system" }, { role: "user" }]
      })
      expect(JSON.stringify((upstream.body as { messages: Array<unknown> }).messages[0])).toContain("Be brief.")
      // The caller's credentials and Anthropic headers never reach the provider.
      expect(upstream.headers.authorization).toBeUndefined()
      expect(upstream.headers["x-api-key"]).toBeUndefined()
      expect(upstream.headers["anthropic-version"]).toBeUndefined()
    })

    it("streams with .messages.stream(): the SDK's parser assembles the final message", async () => {
      const stream = client.messages.stream({
        model: "oa/gpt-4o-mini",
        max_tokens: 100,
        messages: [{ role: "user", content: "stream these words back please" }]
      })
      const deltas: Array<string> = []
      stream.on("text", (text) => deltas.push(text))
      const final = await stream.finalMessage()
      expect(final.content).toHaveLength(1)
      expect(final.content[0]).toMatchObject({ type: "text", text: "You said: stream these words back please" })
      expect(deltas.length).toBeGreaterThan(1)
      expect(deltas.join("")).toBe("You said: stream these words back please")
      expect(final.stop_reason).toBe("end_turn")
      // Usage from the upstream's final chunk (requested by Switchboard with include_usage).
      expect(final.usage.output_tokens).toBe(7)
      expect(final.usage.input_tokens).toBe(5)
    })

    it("writes every event with its event: line, one data line, in Anthropic's order (raw HTTP, as Claude Code asks)", async () => {
      const response = await postMessages(
        { model: "oa/gpt-4o-mini", max_tokens: 50, stream: true, messages: [{ role: "user", content: "raw framing" }] },
        { "anthropic-version": "2026-10-21", "x-api-key": "sk-ant-caller", "anthropic-beta": "interleaved-thinking-2025-05-14" },
        "?beta=true"
      )
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
      const events = sseEvents(await response.text())
      for (const [name, data] of events) expect(data.type).toBe(name)
      const names = events.map(([name]) => name)
      expect(names[0]).toBe("message_start")
      expect(names.slice(-2)).toEqual(["message_delta", "message_stop"])
      expect(names).toContain("content_block_start")
      expect(names).toContain("content_block_delta")
      expect(names).toContain("content_block_stop")
      const upstream = requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "raw framing")
      expect(JSON.stringify(upstream.headers)).not.toContain("sk-ant-caller")
    })

    it("round-trips parallel tool calls: tool_use blocks with ids and inputs, then tool_result back as tool messages", async () => {
      const tools: Array<Anthropic.Tool> = [
        { name: "get_weather", description: "Weather at a place", input_schema: { type: "object", properties: { location: { type: "string" } } } },
        { name: "get_time", input_schema: { type: "object", properties: { timezone: { type: "string" } } } }
      ]
      const question: Anthropic.MessageParam = { role: "user", content: "weather and time in Paris (anthropic tools)" }
      const first = await client.messages.create({ model: "oa/tool-caller", max_tokens: 200, tools, tool_choice: { type: "auto" }, messages: [question] })
      expect(first.stop_reason).toBe("tool_use")
      const uses = first.content.filter((block): block is Anthropic.ToolUseBlock => block.type === "tool_use")
      expect(uses.map((u) => [u.id, u.name, u.input])).toEqual(parallelToolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]))

      const upstreamFirst = requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "anthropic tools)")
      expect(upstreamFirst.body).toMatchObject({
        tools: [
          { type: "function", function: { name: "get_weather", description: "Weather at a place", parameters: tools[0]!.input_schema } },
          { type: "function", function: { name: "get_time", parameters: tools[1]!.input_schema } }
        ],
        tool_choice: "auto"
      })

      const second = await client.messages.create({
        model: "oa/gpt-4o-mini",
        max_tokens: 200,
        tools,
        messages: [
          question,
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: uses[0]!.id, content: "18 °C, sunny" },
              { type: "tool_result", tool_use_id: uses[1]!.id, content: [{ type: "text", text: "14:05" }] },
              { type: "text", text: "summarise (round trip)" }
            ]
          }
        ]
      })
      expect(second.content[0]).toMatchObject({ type: "text" })
      const upstreamSecond = requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "summarise (round trip)")
      const messages = (upstreamSecond.body as { messages: Array<Record<string, unknown>> }).messages
      const assistant = messages.find((m) => m.role === "assistant")
      expect(assistant?.tool_calls).toEqual(parallelToolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: expect.any(String) }
      })))
      const results = messages.filter((m) => m.role === "tool")
      expect(results.map((m) => m.tool_call_id)).toEqual(parallelToolCalls.map((c) => c.id))
      expect(JSON.stringify(results[0])).toContain("18 °C, sunny")
      expect(JSON.stringify(results[1])).toContain("14:05")
    })

    it("streams parallel tool calls the SDK assembles into tool_use blocks with parsed inputs", async () => {
      const stream = client.messages.stream({
        model: "oa/tool-caller",
        max_tokens: 200,
        tools: [
          { name: "get_weather", input_schema: { type: "object" } },
          { name: "get_time", input_schema: { type: "object" } }
        ],
        messages: [{ role: "user", content: "weather and time (anthropic streamed tools)" }]
      })
      const json: Array<string> = []
      stream.on("inputJson", (partial) => json.push(partial))
      const final = await stream.finalMessage()
      expect(final.stop_reason).toBe("tool_use")
      expect(final.content.map((block) => block.type === "tool_use" ? [block.id, block.name, block.input] : block.type)).toEqual(
        parallelToolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)])
      )
      // Arguments arrive incrementally, not in one piece per call.
      expect(json.length).toBeGreaterThan(parallelToolCalls.length)
    })
  })

  describe("errors in the Anthropic shape", () => {
    it("an unknown model is a 404 not_found_error", async () => {
      const error = await thrown(() => client.messages.create({ model: "nowhere/never", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }))
      expect(error).toBeInstanceOf(NotFoundError)
      const e = error as NotFoundError
      expect(e.status).toBe(404)
      expect(e.error).toMatchObject({ type: "error", error: { type: "not_found_error" } })
      expect(e.message).toContain("nowhere/never")
    })

    it("an ambiguous bare id is a 400 invalid_request_error listing the qualified ids", async () => {
      const error = await thrown(() => client.messages.create({ model: "gpt-4o-mini", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }))
      expect(error).toBeInstanceOf(BadRequestError)
      const e = error as BadRequestError
      expect(e.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
      expect(e.message).toContain("oa/gpt-4o-mini")
      expect(e.message).toContain("sleepy/gpt-4o-mini")
    })

    it("a body that does not follow the Messages schema is a 400 naming the field", async () => {
      const response = await postMessages({ model: "oa/gpt-4o-mini", messages: [{ role: "user", content: "no max_tokens" }] }, { authorization: "Bearer sk-ant-caller" })
      expect(response.status).toBe(400)
      const body = await response.json() as { type: string; error: { type: string; message: string } }
      expect(body.type).toBe("error")
      expect(body.error.type).toBe("invalid_request_error")
      expect(body.error.message).toContain("max_tokens")
      expect(oaUp.requests.some((r) => r.rawBody.includes("no max_tokens"))).toBe(false)
    })

    it("an upstream 429 keeps its status and retry-after, as a rate_limit_error", async () => {
      for (const stream of [false, true]) {
        const error = await thrown(() => client.messages.create({ model: "oa/rate-limited", max_tokens: 10, stream, messages: [{ role: "user", content: "too fast" }] }))
        expect(error).toBeInstanceOf(RateLimitError)
        const e = error as RateLimitError
        expect(e.status).toBe(429)
        expect(e.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } })
        expect(e.message).toContain("Rate limit reached for rate-limited")
        expect(e.headers.get("retry-after")).toBe("20")
      }
    })

    it("count_tokens reaches an Anthropic provider (its own key, the upstream model id); for other providers it is a clear 501", async () => {
      const counted = await client.messages.countTokens({ model: "claude/claude-sonnet-4-5", messages: [{ role: "user", content: "count these four words" }] })
      expect(counted.input_tokens).toBeGreaterThan(0)
      const upstream = claudeUp.requestsTo("POST", "/v1/messages/count_tokens").at(-1)
      expect(upstream?.headers["x-api-key"]).toBe(KEY_CLAUDE)
      expect((upstream?.body as { model?: string }).model).toBe("claude-sonnet-4-5")

      const error = await thrown(() => client.messages.countTokens({ model: "oa/gpt-4o-mini", messages: [{ role: "user", content: "count" }] }))
      expect(error).toBeInstanceOf(APIError)
      const e = error as APIError
      expect(e.status).toBe(501)
      expect(e.error).toMatchObject({ type: "error", error: { type: "api_error" } })
      expect(e.message).toContain("count_tokens")
      expect(e.message).toContain("OpenAI-compatible")
    })

    it("other Messages API paths are a 404 in the Anthropic shape; a GET of /v1/messages is a 405", async () => {
      for (const [method, path] of [["POST", "/v1/messages/batches"]] as const) {
        const response = await fetch(`${switchboard.url}${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "POST" ? { body: "{}" } : {}) })
        expect(response.status).toBe(404)
        expect(await response.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } })
      }
      const get = await fetch(`${switchboard.url}/v1/messages`)
      expect(get.status).toBe(405)
      expect(get.headers.get("allow")).toBe("POST")
      expect(await get.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
    })

    it("a translated stream that stalls past the provider's timeout ends with an error event the SDK throws", async () => {
      const stream = client.messages.stream({ model: "sleepy/stalls", max_tokens: 10, messages: [{ role: "user", content: "stall (anthropic)" }] })
      const error = await thrown(() => stream.finalMessage())
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).message).toMatch(/no answer from \S+ \(127\.0\.0\.1\) within 1 s/)
      expect((error as APIError).error).toMatchObject({ type: "error", error: { type: "timeout_error" } })
      await sleepyUp.waitFor((r) => r.rawBody.includes("stall (anthropic)") && r.closedEarly, 15_000)
    })

    it("a client that goes away mid-stream closes the translated upstream request", async () => {
      const marker = `abort-anthropic-${randomBytes(4).toString("hex")}`
      const stream = client.messages.stream({ model: "oa/endless", max_tokens: 10, messages: [{ role: "user", content: marker }] })
      // Aborting rejects the stream's own promise; that is the point here, not a failure.
      stream.done().catch(() => undefined)
      let deltas = 0
      await new Promise<void>((resolve) => {
        stream.on("text", () => {
          if (++deltas === 5) {
            stream.abort()
            resolve()
          }
        })
      })
      const upstream = await oaUp.waitFor((r) => r.rawBody.includes(marker) && r.closedEarly, 15_000)
      expect(upstream.finished).toBe(false)
    })
  })

  describe("Anthropic client → Anthropic provider (pass-through)", () => {
    it("discovers every model across pages", async () => {
      const list = await (await fetch(`${switchboard.url}/v1/models`)).json() as { data: Array<{ id: string }> }
      expect(list.data.map((m) => m.id).filter((id) => id.startsWith("claude/"))).toEqual([
        "claude/claude-sonnet-4-5",
        "claude/claude-haiku-4-5",
        "claude/claude-thinker"
      ])
      expect(claudeUp.requestsTo("GET", "/v1/models").some((r) => r.query.includes("after_id=claude-haiku-4-5"))).toBe(true)
    })

    it("sends the body untouched but the model, cache_control and unknown fields included, with the provider's key", async () => {
      const params = {
        model: "claude/claude-sonnet-4-5",
        max_tokens: 64,
        system: [{ type: "text" as const, text: "You are terse.", cache_control: { type: "ephemeral" as const } }],
        messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "pass me through", cache_control: { type: "ephemeral" as const, ttl: "1h" as const } }] }],
        x_future_param: { nested: [1, "two", null] }
      }
      const message = await client.messages.create(params as Anthropic.MessageCreateParamsNonStreaming, {
        headers: { "anthropic-beta": "prompt-caching-2024-07-31" }
      })
      expect(message.content).toEqual([{ type: "text", text: "You said: pass me through" }])
      expect(message.model).toBe("claude-sonnet-4-5")
      const upstream = requestWith(claudeUp.requestsTo("POST", "/v1/messages"), "pass me through")
      expect(upstream.rawBody).toBe(JSON.stringify({ ...params, model: "claude-sonnet-4-5" }))
      expect(upstream.headers["x-api-key"]).toBe(KEY_CLAUDE)
      expect(upstream.headers.authorization).toBeUndefined()
      expect(upstream.headers["anthropic-version"]).toBe("2023-06-01")
      expect(upstream.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31")
    })

    it("streams thinking with its signature through as the upstream sent it", async () => {
      const stream = client.messages.stream({
        model: "claude/claude-thinker",
        max_tokens: 2048,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [{ role: "user", content: "think, then greet (pass-through)" }]
      })
      const final = await stream.finalMessage()
      expect(final.content[0]).toMatchObject({ type: "thinking", thinking: "The user wants a greeting. Keep it short.", signature: THINKING_SIGNATURE })
      expect(final.content[1]).toMatchObject({ type: "text", text: "Hello!" })
      const upstream = requestWith(claudeUp.requestsTo("POST", "/v1/messages"), "(pass-through)")
      expect(upstream.body).toMatchObject({ model: "claude-thinker", stream: true, thinking: { type: "enabled", budget_tokens: 1024 } })
    })
  })
})
