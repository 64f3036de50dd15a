/**
 * End to end: the `openai` client's Chat Completions and the `@anthropic-ai/sdk` client's Messages
 * against the real `switchboard serve`, in front of a fake Open Responses upstream (a provider
 * with `format: "responses"`). Requests are translated to `POST {base}/responses` bodies and the
 * ResponseResource / Responses event stream back to each caller's format.
 *
 * Providers:
 * - `resp`: key from `SWITCHBOARD_KEY_RESP`; text, reasoning (spec event names), parallel
 *   function calls, 429, a stream that fails mid-way;
 * - `slow`: a 1 s timeout and a stream that stalls after `response.in_progress`.
 */
import Anthropic, { APIError as AnthropicApiError, BadRequestError as AnthropicBadRequest, RateLimitError as AnthropicRateLimit } from "@anthropic-ai/sdk"
import { randomBytes } from "node:crypto"
import OpenAI, { APIError, BadRequestError, RateLimitError } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  ENCRYPTED_REASONING,
  failMidStream,
  failWith,
  type FakeResponsesUpstream,
  functionCalls,
  parallelFunctionCalls,
  reasonThenReply,
  reply,
  responsesProviderEntry,
  stall,
  startFakeResponsesUpstream
} from "../support/FakeResponsesUpstream.ts"
import { type SwitchboardProcess, startSwitchboard, waitForProvider } from "../support/SwitchboardProcess.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { thrown } from "../support/Thrown.ts"

const KEY_RESP = `sk-resp-e2e-${randomBytes(16).toString("hex")}`

let respUp: FakeResponsesUpstream
let slowUp: FakeResponsesUpstream
let switchboard: SwitchboardProcess
let openai: OpenAI
let claude: Anthropic

const requestWith = (marker: string): RecordedRequest => {
  const found = respUp.requestsTo("POST", "/v1/responses").find((r) => r.rawBody.includes(marker))
  if (!found) throw new Error(`the upstream received no request containing ${marker}`)
  return found
}

type InputItem = Record<string, unknown> & { readonly type?: string }
const inputOf = (request: RecordedRequest): Array<InputItem> => (request.body as { input: Array<InputItem> }).input


beforeAll(async () => {
  respUp = await startFakeResponsesUpstream({
    apiKey: KEY_RESP,
    models: {
      "gpt-5-mini": reply(),
      "reasoner": reasonThenReply("The user greets; answer in kind.", "Hello there!"),
      "fn-caller": functionCalls(parallelFunctionCalls),
      "limited": failWith(429),
      "breaks": failMidStream
    }
  })
  slowUp = await startFakeResponsesUpstream({ models: { "stalls": stall } })
}, 60_000)

afterAll(async () => {
  await Promise.all([respUp?.close(), slowUp?.close()])
})

/** Both drivers of translation: the fast lane (`FastTranslate.ts`) and the Effect path (`Translate.ts`). */
describeEachLane("translation", (lane) => {
  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          responsesProviderEntry(respUp, "resp", { name: "Responses", auth: "apiKey" }),
          responsesProviderEntry(slowUp, "slow", { name: "Slow", timeoutSeconds: 1 })
        ]
      },
      env: { SWITCHBOARD_KEY_RESP: KEY_RESP, ...lane.env }
    })
    for (const id of ["resp", "slow"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    openai = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
    claude = new Anthropic({ baseURL: switchboard.url, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
  })

  describe("OpenAI Chat client → Responses provider (translated)", () => {
    it("answers a chat completion from a ResponseResource; the upstream gets a Responses body at /v1/responses", async () => {
      const completion = await openai.chat.completions.create({
        model: "resp/gpt-5-mini",
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello chat via Responses" }],
        max_completion_tokens: 200,
        temperature: 0.4
      })
      expect(completion.object).toBe("chat.completion")
      expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: "You said: Hello chat via Responses" })
      expect(completion.choices[0]?.finish_reason).toBe("stop")
      expect(completion.usage?.completion_tokens).toBe(6)
      expect(completion.usage?.prompt_tokens).toBeGreaterThan(0)

      const upstream = requestWith("Hello chat via Responses")
      expect(upstream.path).toBe("/v1/responses")
      expect(upstream.body).toMatchObject({ model: "gpt-5-mini", max_output_tokens: 200, temperature: 0.4, store: false })
      expect(JSON.stringify(inputOf(upstream)[0])).toContain("Be brief.")
      expect(upstream.headers.authorization).toBe(`Bearer ${KEY_RESP}`)
    })

    it("streams chat chunks from Responses events, usage included", async () => {
      const stream = await openai.chat.completions.create({
        model: "resp/gpt-5-mini",
        messages: [{ role: "user", content: "stream me from responses" }],
        stream: true,
        stream_options: { include_usage: true }
      })
      let text = ""
      let finish: string | null = null
      let usage: OpenAI.CompletionUsage | undefined | null
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? ""
        finish = chunk.choices[0]?.finish_reason ?? finish
        usage = chunk.usage ?? usage
      }
      expect(text).toBe("You said: stream me from responses")
      expect(finish).toBe("stop")
      expect(usage?.completion_tokens).toBe(6)
      expect(requestWith("stream me from responses").body).toMatchObject({ stream: true })
    })

    it("round-trips parallel function calls: call_ids as tool_call ids, tool messages as function_call_output", async () => {
      const tools: Array<OpenAI.Chat.ChatCompletionTool> = [
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } },
        { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { timezone: { type: "string" } } } } }
      ]
      const question: OpenAI.Chat.ChatCompletionMessageParam = { role: "user", content: "weather and time (chat → responses)" }
      const first = await openai.chat.completions.create({ model: "resp/fn-caller", messages: [question], tools })
      expect(first.choices[0]?.finish_reason).toBe("tool_calls")
      const made = first.choices[0]?.message.tool_calls ?? []
      expect(made.map((call) => call.type === "function" ? [call.id, call.function.name, call.function.arguments] : [])).toEqual(
        parallelFunctionCalls.map((c) => [c.callId, c.name, c.arguments])
      )
      expect(requestWith("(chat → responses)").body).toMatchObject({
        tools: [{ type: "function", name: "get_weather", strict: false }, { type: "function", name: "get_time", strict: false }]
      })

      await openai.chat.completions.create({
        model: "resp/gpt-5-mini",
        tools,
        messages: [
          question,
          first.choices[0]!.message,
          ...made.map((call): OpenAI.Chat.ChatCompletionMessageParam => ({ role: "tool", tool_call_id: call.id, content: `result ${call.id}` })),
          { role: "user", content: "summarise (chat results)" }
        ]
      })
      const input = inputOf(requestWith("summarise (chat results)"))
      expect(input.filter((item) => item.type === "function_call").map((item) => [item.call_id, item.name])).toEqual(
        parallelFunctionCalls.map((c) => [c.callId, c.name])
      )
      expect(input.filter((item) => item.type === "function_call_output").map((item) => item.call_id)).toEqual(parallelFunctionCalls.map((c) => c.callId))
    })

    it("streams parallel tool calls the SDK assembles, arguments incrementally", async () => {
      const stream = await openai.chat.completions.create({
        model: "resp/fn-caller",
        messages: [{ role: "user", content: "streamed tools (chat → responses)" }],
        tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
        stream: true
      })
      const args = new Map<number, string>()
      const ids = new Map<number, string>()
      let pieces = 0
      for await (const chunk of stream) {
        for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
          if (call.id) ids.set(call.index, call.id)
          if (call.function?.arguments) {
            pieces++
            args.set(call.index, (args.get(call.index) ?? "") + call.function.arguments)
          }
        }
      }
      expect(Array.from(ids.values())).toEqual(parallelFunctionCalls.map((c) => c.callId))
      expect(Array.from(args.values())).toEqual(parallelFunctionCalls.map((c) => c.arguments))
      expect(pieces).toBeGreaterThan(parallelFunctionCalls.length)
    })

    it("errors: a 429 keeps status and retry-after; stop sequences are a 400 naming stop; a mid-stream failure throws", async () => {
      const limited = await thrown(() => openai.chat.completions.create({ model: "resp/limited", messages: [{ role: "user", content: "too fast" }] }))
      expect(limited).toBeInstanceOf(RateLimitError)
      expect((limited as RateLimitError).headers.get("retry-after")).toBe("20")

      const stop = await thrown(() => openai.chat.completions.create({ model: "resp/gpt-5-mini", stop: ["END"], messages: [{ role: "user", content: "stop here" }] }))
      expect(stop).toBeInstanceOf(BadRequestError)
      expect((stop as BadRequestError).param).toBe("stop")

      const broken = await thrown(async () => {
        const stream = await openai.chat.completions.create({ model: "resp/breaks", messages: [{ role: "user", content: "break (chat)" }], stream: true })
        for await (const _ of stream) {
          // drain
        }
      })
      expect(broken).toBeInstanceOf(APIError)
      expect((broken as APIError).message).toContain("The model failed mid-stream.")
    })

    it("a Responses stream that stalls past the timeout ends the chat stream with an error, and the upstream request is closed", async () => {
      const stalled = await thrown(async () => {
        const stream = await openai.chat.completions.create({ model: "slow/stalls", messages: [{ role: "user", content: "stall (chat → responses)" }], stream: true })
        for await (const _ of stream) {
          // drain
        }
      })
      expect(stalled).toBeInstanceOf(APIError)
      expect((stalled as APIError).message).toContain("within 1 s")
      await slowUp.waitFor((r) => r.rawBody.includes("stall (chat → responses)") && r.closedEarly, 15_000)
    })
  })

  describe("Anthropic client → Responses provider (translated)", () => {
    it("answers a message; system becomes the leading input item, max_tokens max_output_tokens", async () => {
      const message = await claude.messages.create({
        model: "resp/gpt-5-mini",
        max_tokens: 256,
        system: "You are terse.",
        messages: [{ role: "user", content: "Hello Anthropic via Responses" }]
      })
      expect(message).toMatchObject({ type: "message", role: "assistant", stop_reason: "end_turn", content: [{ type: "text", text: "You said: Hello Anthropic via Responses" }] })
      expect(message.usage.output_tokens).toBe(6)
      const upstream = requestWith("Hello Anthropic via Responses")
      expect(upstream.body).toMatchObject({ model: "gpt-5-mini", max_output_tokens: 256, store: false })
      expect(JSON.stringify(inputOf(upstream)[0])).toContain("You are terse.")
    })

    it("streams reasoning (the spec's event names) as thinking signed with encrypted_content", async () => {
      const stream = claude.messages.stream({ model: "resp/reasoner", max_tokens: 1024, messages: [{ role: "user", content: "think (anthropic → responses)" }] })
      const final = await stream.finalMessage()
      expect(final.content[0]).toMatchObject({ type: "thinking", thinking: "The user greets; answer in kind.", signature: ENCRYPTED_REASONING })
      expect(final.content[1]).toMatchObject({ type: "text", text: "Hello there!" })
      expect(final.stop_reason).toBe("end_turn")
    })

    it("round-trips tool use: call_ids as tool_use ids, tool_result back as function_call_output", async () => {
      const tools: Array<Anthropic.Tool> = [
        { name: "get_weather", input_schema: { type: "object", properties: { location: { type: "string" } } } },
        { name: "get_time", input_schema: { type: "object", properties: { timezone: { type: "string" } } } }
      ]
      const question: Anthropic.MessageParam = { role: "user", content: "weather and time (anthropic → responses)" }
      const final = await claude.messages.stream({ model: "resp/fn-caller", max_tokens: 200, tools, messages: [question] }).finalMessage()
      expect(final.stop_reason).toBe("tool_use")
      const uses = final.content.filter((block): block is Anthropic.ToolUseBlock => block.type === "tool_use")
      expect(uses.map((u) => [u.id, u.name, u.input])).toEqual(parallelFunctionCalls.map((c) => [c.callId, c.name, JSON.parse(c.arguments)]))

      await claude.messages.create({
        model: "resp/gpt-5-mini",
        max_tokens: 200,
        tools,
        messages: [
          question,
          { role: "assistant", content: final.content },
          {
            role: "user",
            content: [
              ...uses.map((u): Anthropic.ToolResultBlockParam => ({ type: "tool_result", tool_use_id: u.id, content: `result ${u.name}` })),
              { type: "text", text: "summarise (anthropic results)" }
            ]
          }
        ]
      })
      const input = inputOf(requestWith("summarise (anthropic results)"))
      expect(input.filter((item) => item.type === "function_call").map((item) => item.call_id)).toEqual(parallelFunctionCalls.map((c) => c.callId))
      expect(input.filter((item) => item.type === "function_call_output").map((item) => [item.call_id, item.output])).toEqual(
        parallelFunctionCalls.map((c) => [c.callId, `result ${c.name}`])
      )
    })

    it("errors in the Anthropic shape: 429, stop_sequences refused, a mid-stream failure as an error event", async () => {
      const limited = await thrown(() => claude.messages.create({ model: "resp/limited", max_tokens: 10, messages: [{ role: "user", content: "too fast" }] }))
      expect(limited).toBeInstanceOf(AnthropicRateLimit)
      expect((limited as AnthropicRateLimit).error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } })

      const stop = await thrown(() =>
        claude.messages.create({ model: "resp/gpt-5-mini", max_tokens: 10, stop_sequences: ["END"], messages: [{ role: "user", content: "stop" }] })
      )
      expect(stop).toBeInstanceOf(AnthropicBadRequest)
      expect((stop as AnthropicBadRequest).message).toContain("stop")

      const broken = await thrown(() => claude.messages.stream({ model: "resp/breaks", max_tokens: 10, messages: [{ role: "user", content: "break (anthropic)" }] }).finalMessage())
      expect(broken).toBeInstanceOf(AnthropicApiError)
      expect((broken as AnthropicApiError).message).toContain("The model failed mid-stream.")
    })
  })
})
