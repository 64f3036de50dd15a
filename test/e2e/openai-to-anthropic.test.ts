/**
 * End to end: the official `openai` client against the real `switchboard serve`, in front of fake
 * Anthropic Messages upstreams. Chat Completions are translated to Messages and back, streams
 * event by event.
 *
 * Providers:
 * - `anth`: key from `SWITCHBOARD_KEY_ANTH`; chat, parallel tool use, thinking, 429, 529;
 * - `slow`: a 1 s timeout and a model whose stream stalls after `message_start`.
 */
import { randomBytes } from "node:crypto"
import OpenAI, { APIError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  anthropicProviderEntry,
  failWith,
  type FakeAnthropicUpstream,
  parallelToolUses,
  reply,
  stall,
  startFakeAnthropicUpstream,
  THINKING_SIGNATURE,
  thinkThenReply,
  toolUse
} from "../support/FakeAnthropicUpstream.ts"
import { type SwitchboardProcess, startSwitchboard, waitForProvider } from "../support/SwitchboardProcess.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { thrown } from "../support/Thrown.ts"

const KEY_ANTH = `sk-ant-e2e-${randomBytes(16).toString("hex")}`
const KEY_SLOW = `sk-ant-e2e-slow-${randomBytes(16).toString("hex")}`

let anthUp: FakeAnthropicUpstream
let slowUp: FakeAnthropicUpstream
let switchboard: SwitchboardProcess
let client: OpenAI

const messageRequests = () => anthUp.requestsTo("POST", "/v1/messages")

const requestWith = (marker: string): RecordedRequest => {
  const found = messageRequests().find((r) => r.rawBody.includes(marker))
  if (!found) throw new Error(`the upstream received no request containing ${marker}`)
  return found
}

/** OpenAI-compatible reasoning fields, which the SDK's types do not declare. */
interface WithReasoning {
  readonly reasoning_content?: string
  readonly reasoning_details?: ReadonlyArray<{ readonly type: string; readonly text?: string; readonly signature?: string }>
}


beforeAll(async () => {
  anthUp = await startFakeAnthropicUpstream({
    apiKey: KEY_ANTH,
    models: {
      "claude-sonnet-4-5": reply(),
      "claude-tools": toolUse(parallelToolUses),
      "claude-thinker": thinkThenReply("Greeting requested. Reply with one word.", "Hello!"),
      "claude-busy": failWith(529),
      "claude-limited": failWith(429)
    }
  })
  slowUp = await startFakeAnthropicUpstream({ apiKey: KEY_SLOW, models: { "claude-stalls": stall } })
}, 60_000)

afterAll(async () => {
  await Promise.all([anthUp?.close(), slowUp?.close()])
})

/** Both drivers of translation: the fast lane (`FastTranslate.ts`) and the Effect path (`Translate.ts`). */
describeEachLane("translation", (lane) => {
  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          anthropicProviderEntry(anthUp, "anth", { name: "Anthropic" }),
          anthropicProviderEntry(slowUp, "slow", { name: "Slow", timeoutSeconds: 1 })
        ]
      },
      env: { SWITCHBOARD_KEY_ANTH: KEY_ANTH, SWITCHBOARD_KEY_SLOW: KEY_SLOW, ...lane.env }
    })
    for (const id of ["anth", "slow"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
  })

  describe("OpenAI client → Anthropic provider (translated)", () => {
    it("answers a chat completion, system message as Anthropic's system, max_tokens defaulted", async () => {
      const completion = await client.chat.completions.create({
        model: "anth/claude-sonnet-4-5",
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello via translation" }],
        temperature: 0.3,
        user: "user-42"
      })
      expect(completion.object).toBe("chat.completion")
      expect(completion.model).toBe("claude-sonnet-4-5")
      expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: "You said: Hello via translation" })
      expect(completion.choices[0]?.finish_reason).toBe("stop")
      expect(completion.usage?.completion_tokens).toBe(5)
      expect(completion.usage?.prompt_tokens).toBeGreaterThan(0)
      expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + 5)

      const upstream = requestWith("Hello via translation")
      expect(upstream.body).toMatchObject({
        model: "claude-sonnet-4-5",
        // Anthropic requires max_tokens; the caller gave none, so the documented default applies.
        max_tokens: 4096,
        temperature: 0.3,
        metadata: { user_id: "user-42" },
        messages: [{ role: "user" }]
      })
      expect(JSON.stringify((upstream.body as { system: unknown }).system)).toContain("Be brief.")
      expect((upstream.body as { stream?: boolean }).stream).toBeUndefined()
      // The provider's credentials, in Anthropic's form, and never the caller's.
      expect(upstream.headers["x-api-key"]).toBe(KEY_ANTH)
      expect(upstream.headers["anthropic-version"]).toBe("2023-06-01")
      expect(upstream.headers.authorization).toBeUndefined()
    })

    it("passes the caller's max_tokens on", async () => {
      await client.chat.completions.create({ model: "anth/claude-sonnet-4-5", max_tokens: 77, messages: [{ role: "user", content: "limit 77" }] })
      expect(requestWith("limit 77").body).toMatchObject({ max_tokens: 77 })
    })

    it("streams chunks the SDK parses: role first, content deltas, finish, usage with include_usage, [DONE]", async () => {
      const stream = await client.chat.completions.create({
        model: "anth/claude-sonnet-4-5",
        messages: [{ role: "user", content: "stream me some translated words" }],
        stream: true,
        stream_options: { include_usage: true }
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant")
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")
      expect(text).toBe("You said: stream me some translated words")
      expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "").length).toBeGreaterThan(1)
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop")
      const last = chunks.at(-1)
      expect(last?.choices).toEqual([])
      expect(last?.usage).toMatchObject({ completion_tokens: 7 })
      for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk")
      expect(requestWith("stream me some translated words").body).toMatchObject({ stream: true })
    })

    it("ends the raw stream with data: [DONE] and no usage chunk without include_usage", async () => {
      const response = await fetch(`${switchboard.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "anth/claude-sonnet-4-5", messages: [{ role: "user", content: "raw translated" }], stream: true })
      })
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
      const text = await response.text()
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true)
      const events = text.split("\n\n").filter((e) => e !== "")
      for (const event of events) expect(event.startsWith("data: ")).toBe(true)
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)) as { usage?: unknown; choices: Array<unknown> })
      expect(chunks.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true)
    })

    it("translates parallel tool calls (non-streaming) and sends tool results back as tool_result blocks", async () => {
      const tools: Array<OpenAI.ChatCompletionTool> = [
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } },
        { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { timezone: { type: "string" } } } } }
      ]
      const question: OpenAI.ChatCompletionMessageParam = { role: "user", content: "weather and time (openai → anthropic tools)" }
      const completion = await client.chat.completions.create({ model: "anth/claude-tools", messages: [question], tools, tool_choice: "required" })
      const choice = completion.choices[0]
      expect(choice?.finish_reason).toBe("tool_calls")
      const calls = (choice?.message.tool_calls ?? []).flatMap((call) => call.type === "function" ? [call] : [])
      expect(calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual(parallelToolUses.map((u) => [u.id, u.name, u.input]))
      expect(requestWith("openai → anthropic tools").body).toMatchObject({
        tools: [{ name: "get_weather", input_schema: tools[0]!.type === "function" ? tools[0]!.function.parameters : {} }, { name: "get_time" }],
        tool_choice: { type: "any" }
      })

      await client.chat.completions.create({
        model: "anth/claude-sonnet-4-5",
        tools,
        messages: [
          question,
          choice!.message,
          { role: "tool", tool_call_id: calls[0]!.id, content: "18 °C" },
          { role: "tool", tool_call_id: calls[1]!.id, content: "14:05" },
          { role: "user", content: "summarise (openai round trip)" }
        ]
      })
      const upstream = requestWith("summarise (openai round trip)").body as { messages: Array<{ role: string; content: unknown }> }
      const assistant = upstream.messages.find((m) => m.role === "assistant")
      expect(assistant?.content).toEqual(expect.arrayContaining(parallelToolUses.map((u) => expect.objectContaining({ type: "tool_use", id: u.id, name: u.name, input: u.input }))))
      const results = JSON.stringify(upstream.messages.filter((m) => m.role === "user"))
      for (const use of parallelToolUses) expect(results).toContain(`"tool_use_id":"${use.id}"`)
      expect(results).toContain("18 °C")
    })

    it("streams parallel tool calls with incremental argument deltas, each call with its own index and id", async () => {
      const stream = await client.chat.completions.create({
        model: "anth/claude-tools",
        messages: [{ role: "user", content: "tools streamed (openai → anthropic)" }],
        tools: [{ type: "function", function: { name: "get_weather" } }, { type: "function", function: { name: "get_time" } }],
        stream: true
      })
      const calls = new Map<number, { id?: string; name?: string; arguments: string; deltas: number }>()
      let finish: string | null = null
      let text = ""
      for await (const chunk of stream) {
        const choice = chunk.choices[0]
        if (choice?.finish_reason) finish = choice.finish_reason
        text += choice?.delta.content ?? ""
        for (const delta of choice?.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { arguments: "", deltas: 0 }
          if (delta.id) call.id = delta.id
          if (delta.function?.name) call.name = delta.function.name
          if (delta.function?.arguments) {
            call.arguments += delta.function.arguments
            call.deltas++
          }
          calls.set(delta.index, call)
        }
      }
      expect(finish).toBe("tool_calls")
      expect(text).toBe("I'll look both up.")
      expect(calls.size).toBe(2)
      parallelToolUses.forEach((expected, index) => {
        const call = calls.get(index)
        expect(call).toMatchObject({ id: expected.id, name: expected.name })
        expect(call?.deltas).toBeGreaterThan(1)
        expect(JSON.parse(call?.arguments ?? "")).toEqual(expected.input)
      })
    })

    it("the SDK's stream helper assembles translated tool calls into the final completion", async () => {
      const runner = client.chat.completions.stream({
        model: "anth/claude-tools",
        messages: [{ role: "user", content: "stream helper (openai → anthropic)" }],
        tools: [{ type: "function", function: { name: "get_weather" } }, { type: "function", function: { name: "get_time" } }]
      })
      const final = await runner.finalChatCompletion()
      expect(final.choices[0]?.message.tool_calls?.map((c) => c.type === "function" ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : [])).toEqual(
        parallelToolUses.map((u) => [u.id, u.name, u.input])
      )
    })

    it("surfaces Anthropic thinking as reasoning_content, signature kept in reasoning_details (non-streaming)", async () => {
      const completion = await client.chat.completions.create({
        model: "anth/claude-thinker",
        reasoning_effort: "low",
        messages: [{ role: "user", content: "think then greet (non-streaming)" }]
      })
      const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & WithReasoning
      expect(message.content).toBe("Hello!")
      expect(message.reasoning_content).toBe("Greeting requested. Reply with one word.")
      expect(JSON.stringify(message.reasoning_details)).toContain(THINKING_SIGNATURE)
      expect(requestWith("think then greet (non-streaming)").body).toMatchObject({ output_config: { effort: "low" } })
    })

    it("streams thinking as reasoning_content deltas before the content", async () => {
      const stream = await client.chat.completions.create({
        model: "anth/claude-thinker",
        messages: [{ role: "user", content: "think then greet (streaming)" }],
        stream: true
      })
      let reasoning = ""
      let content = ""
      let reasoningFirst = false
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & WithReasoning) | undefined
        if (delta?.reasoning_content && content === "") reasoningFirst = true
        reasoning += delta?.reasoning_content ?? ""
        content += delta?.content ?? ""
      }
      expect(reasoning).toBe("Greeting requested. Reply with one word.")
      expect(content).toBe("Hello!")
      expect(reasoningFirst).toBe(true)
    })
  })

  describe("errors as OpenAI errors", () => {
    it("an Anthropic 429 is a RateLimitError with its retry-after", async () => {
      for (const stream of [false, true]) {
        const error = await thrown(() => client.chat.completions.create({ model: "anth/claude-limited", messages: [{ role: "user", content: "fast" }], stream }))
        expect(error).toBeInstanceOf(RateLimitError)
        const e = error as RateLimitError
        expect(e.status).toBe(429)
        expect(e.type).toBe("rate_limit_error")
        expect(e.code).toBe("rate_limit_exceeded")
        expect(e.message).toContain("exceed the rate limit")
        expect(e.headers.get("retry-after")).toBe("30")
      }
    })

    it("an Anthropic 529 overloaded keeps its status, as a server_error", async () => {
      const error = await thrown(() => client.chat.completions.create({ model: "anth/claude-busy", messages: [{ role: "user", content: "busy" }] }))
      expect(error).toBeInstanceOf(InternalServerError)
      const e = error as InternalServerError
      expect(e.status).toBe(529)
      expect(e.type).toBe("server_error")
      expect(e.message).toContain("Overloaded")
    })

    it("an Anthropic 401 is an AuthenticationError", async () => {
      anthUp.setApiKey(`sk-ant-rotated-${randomBytes(8).toString("hex")}`)
      try {
        const error = await thrown(() => client.chat.completions.create({ model: "anth/claude-sonnet-4-5", messages: [{ role: "user", content: "revoked" }] }))
        expect(error).toBeInstanceOf(AuthenticationError)
        expect((error as AuthenticationError).type).toBe("authentication_error")
        expect((error as AuthenticationError).message).toContain("invalid x-api-key")
      } finally {
        anthUp.setApiKey(KEY_ANTH)
      }
    })

    it("a request Anthropic cannot express is a 400 naming the field, and never reaches the upstream", async () => {
      const error = await thrown(() =>
        client.chat.completions.create({ model: "anth/claude-sonnet-4-5", n: 2, messages: [{ role: "user", content: "two choices please" }] })
      )
      expect(error).toBeInstanceOf(BadRequestError)
      expect((error as BadRequestError).param).toBe("n")
      expect(messageRequests().some((r) => r.rawBody.includes("two choices please"))).toBe(false)
    })

    it("an unknown model is a 404 model_not_found", async () => {
      const error = await thrown(() => client.chat.completions.create({ model: "anth/claude-nonexistent", messages: [{ role: "user", content: "hi" }] }))
      expect(error).toBeInstanceOf(NotFoundError)
      expect((error as NotFoundError).code).toBe("model_not_found")
    })

    it("a translated stream that stalls past the timeout ends with an error chunk, not a silent stop", async () => {
      const stream = await client.chat.completions.create({ model: "slow/claude-stalls", messages: [{ role: "user", content: "stall (openai)" }], stream: true })
      const error = await thrown(async () => {
        for await (const _chunk of stream) {
          // the role chunk arrives, then nothing
        }
      })
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).message).toMatch(/no answer from \S+ \(127\.0\.0\.1\) within 1 s/)
      expect((error as APIError).code).toBe("timeout")
      await slowUp.waitFor((r) => r.rawBody.includes("stall (openai)") && r.closedEarly, 15_000)
    })
  })
})
