/**
 * End to end: the official `openai` client's Responses API (`client.responses.create`, with and
 * without `stream: true`, and the `client.responses.stream(...)` helper) against the real
 * `switchboard serve`, in front of fake upstreams of all three formats.
 *
 * Providers:
 * - `oa`: a fake OpenAI Chat upstream (no auth): Responses requests are translated to Chat
 *   Completions and back; text, parallel tool calls, 429;
 * - `anth`: a fake Anthropic upstream (key from `SWITCHBOARD_KEY_ANTH`): translated to Messages;
 *   text, signed thinking, parallel tool use;
 * - `resp`: a fake Open Responses upstream (key from `SWITCHBOARD_KEY_RESP`): same format, so
 *   bodies and streams pass through untouched but for `model`;
 * - `slow`: a fake Open Responses upstream with a 1 s timeout and a stream that stalls;
 * - `sleepy`: a fake OpenAI Chat upstream with a 1 s timeout and a stream that stalls (translated).
 *
 * The SDK's own parsers (its SSE reader, `ResponseStream`'s accumulator) must accept everything
 * Switchboard writes.
 */
import { randomBytes } from "node:crypto"
import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from "openai"
import type { ResponseFunctionToolCall, ResponseInputItem, ResponseStreamEvent, Tool } from "openai/resources/responses/responses"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  anthropicProviderEntry,
  type FakeAnthropicUpstream,
  parallelToolUses,
  reply as anthropicReply,
  startFakeAnthropicUpstream,
  THINKING_SIGNATURE,
  thinkThenReply,
  toolUse
} from "../support/FakeAnthropicUpstream.ts"
import {
  failWith as openAiFailWith,
  type FakeOpenAiUpstream,
  parallelToolCalls,
  providerEntry,
  reply,
  stall as openAiStall,
  startFakeOpenAiUpstream,
  toolCalls
} from "../support/FakeOpenAiUpstream.ts"
import {
  ENCRYPTED_REASONING,
  failMidStream,
  failWith,
  type FakeResponsesUpstream,
  functionCalls,
  parallelFunctionCalls,
  reasonThenReply,
  reply as responsesReply,
  responsesProviderEntry,
  stall,
  startFakeResponsesUpstream
} from "../support/FakeResponsesUpstream.ts"
import { type SwitchboardProcess, startSwitchboard, waitForProvider } from "../support/SwitchboardProcess.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { thrown } from "../support/Thrown.ts"

const KEY_ANTH = `sk-ant-e2e-${randomBytes(16).toString("hex")}`
const KEY_RESP = `sk-resp-e2e-${randomBytes(16).toString("hex")}`

let oaUp: FakeOpenAiUpstream
let anthUp: FakeAnthropicUpstream
let respUp: FakeResponsesUpstream
let slowUp: FakeResponsesUpstream
let sleepyUp: FakeOpenAiUpstream
let switchboard: SwitchboardProcess
let client: OpenAI

/** The upstream request whose body holds `marker`. */
const requestWith = (requests: ReadonlyArray<RecordedRequest>, marker: string): RecordedRequest => {
  const found = requests.find((r) => r.rawBody.includes(marker))
  if (!found) throw new Error(`the upstream received no request containing ${marker}`)
  return found
}

/** A raw `POST /v1/responses`, to see the bytes the SDK would hide. */
const postResponses = (body: unknown) =>
  fetch(`${switchboard.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

/** SSE text as `[event name, parsed data]` pairs, `[DONE]` as `["", "[DONE]"]`; one `data:` line per event. */
const sseEvents = (text: string): Array<[string, { type: string; sequence_number: number } | "[DONE]"]> =>
  text.split("\n\n").filter((block) => block.trim() !== "").map((block) => {
    const lines = block.split("\n")
    const name = lines.find((line) => line.startsWith("event: "))?.slice("event: ".length) ?? ""
    const data = lines.filter((line) => line.startsWith("data: ")).map((line) => line.slice("data: ".length))
    expect(data).toHaveLength(1)
    return [name, data[0] === "[DONE]" ? "[DONE]" : JSON.parse(data[0]!)]
  })

/** Checks the framing the spec requires: `event:` = `type`, sequence numbers 0, 1, 2…, `[DONE]` last. */
const expectSpecFraming = (events: ReturnType<typeof sseEvents>) => {
  expect(events.at(-1)).toEqual(["", "[DONE]"])
  const named = events.slice(0, -1).map(([name, data]) => {
    if (data === "[DONE]") throw new Error("[DONE] before the end")
    expect(data.type).toBe(name)
    return data
  })
  expect(named.map((data) => data.sequence_number)).toEqual(named.map((_, i) => i))
  return named
}

/** Every field a ResponseResource must have (openapi.json `ResponseResource.required`). */
const RESOURCE_FIELDS = [
  "id", "object", "created_at", "completed_at", "status", "incomplete_details", "model", "previous_response_id", "instructions",
  "output", "error", "tools", "tool_choice", "truncation", "parallel_tool_calls", "text", "top_p", "presence_penalty",
  "frequency_penalty", "top_logprobs", "temperature", "reasoning", "usage", "max_output_tokens", "max_tool_calls", "store",
  "background", "service_tier", "metadata", "safety_identifier", "prompt_cache_key"
]

const functionTools: Array<Tool> = [
  { type: "function", name: "get_weather", description: "Weather at a place", parameters: { type: "object", properties: { location: { type: "string" } } }, strict: false },
  { type: "function", name: "get_time", parameters: { type: "object", properties: { timezone: { type: "string" } } }, strict: false }
]

const calls = (output: ReadonlyArray<{ readonly type: string }>) =>
  output.filter((item): item is ResponseFunctionToolCall => item.type === "function_call")


beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({
    models: { "gpt-4o-mini": reply(), "tool-caller": toolCalls(parallelToolCalls), "rate-limited": openAiFailWith(429) }
  })
  anthUp = await startFakeAnthropicUpstream({
    apiKey: KEY_ANTH,
    models: {
      "claude-sonnet-4-5": anthropicReply(),
      "claude-thinker": thinkThenReply("The user wants a greeting. Keep it short.", "Hello!"),
      "claude-tools": toolUse(parallelToolUses)
    }
  })
  respUp = await startFakeResponsesUpstream({
    apiKey: KEY_RESP,
    models: {
      "gpt-5-mini": responsesReply(),
      "reasoner": reasonThenReply("The user greets; answer in kind.", "Hello there!"),
      "oa-reasoner": reasonThenReply("The user greets; answer in kind.", "Hello there!", "openai"),
      "fn-caller": functionCalls(parallelFunctionCalls),
      "limited": failWith(429),
      "breaks": failMidStream
    }
  })
  slowUp = await startFakeResponsesUpstream({ models: { "stalls": stall } })
  sleepyUp = await startFakeOpenAiUpstream({ models: { "chat-stalls": openAiStall } })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), anthUp?.close(), respUp?.close(), slowUp?.close(), sleepyUp?.close()])
})

/** Both drivers of translation: the fast lane (`FastTranslate.ts`) and the Effect path (`Translate.ts`). */
describeEachLane("translation", (lane) => {
  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(oaUp, "oa", { name: "OpenAI-compatible" }),
          anthropicProviderEntry(anthUp, "anth", { name: "Anthropic" }),
          responsesProviderEntry(respUp, "resp", { name: "Responses", auth: "apiKey" }),
          responsesProviderEntry(slowUp, "slow", { name: "Slow", timeoutSeconds: 1 }),
          providerEntry(sleepyUp, "sleepy", { name: "Sleepy", timeoutSeconds: 1 })
        ]
      },
      env: { SWITCHBOARD_KEY_ANTH: KEY_ANTH, SWITCHBOARD_KEY_RESP: KEY_RESP, ...lane.env }
    })
    for (const id of ["oa", "anth", "resp", "slow", "sleepy"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
  })

  describe("Responses client → OpenAI Chat provider (translated)", () => {
    it("answers with a complete ResponseResource: instructions, max_output_tokens, usage", async () => {
      const response = await client.responses.create({
        model: "oa/gpt-4o-mini",
        instructions: "Be brief.",
        input: "Hello from the Responses API",
        max_output_tokens: 300,
        temperature: 0.2,
        store: false
      })
      for (const field of RESOURCE_FIELDS) expect(response).toHaveProperty(field)
      expect(response).toMatchObject({ object: "response", status: "completed", model: "gpt-4o-mini", error: null, incomplete_details: null, max_output_tokens: 300, temperature: 0.2 })
      expect(response.output_text).toBe("You said: Hello from the Responses API")
      expect(response.output).toEqual([
        expect.objectContaining({ type: "message", role: "assistant", status: "completed", content: [expect.objectContaining({ type: "output_text", text: "You said: Hello from the Responses API" })] })
      ])
      // The fake counts one token per word: 5 in, 7 out.
      expect(response.usage).toMatchObject({ input_tokens: 5, output_tokens: 7, total_tokens: 12 })

      const upstream = requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "Hello from the Responses API")
      expect(upstream.body).toMatchObject({
        model: "gpt-4o-mini",
        max_completion_tokens: 300,
        temperature: 0.2,
        messages: [{ role: "system", content: "Be brief." }, { role: "user" }]
      })
      expect(upstream.headers.authorization).toBeUndefined()
    })

    it("streams with stream: true: the spec's event sequence, which the SDK reads", async () => {
      const stream = await client.responses.create({ model: "oa/gpt-4o-mini", input: "stream these words back please", stream: true })
      const events: Array<ResponseStreamEvent> = []
      for await (const event of stream) events.push(event)
      const types = events.map((event) => event.type)
      expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"])
      expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"])
      expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i))
      const deltas = events.flatMap((event) => event.type === "response.output_text.delta" ? [event.delta] : [])
      expect(deltas.length).toBeGreaterThan(1)
      expect(deltas.join("")).toBe("You said: stream these words back please")
      const completed = events.at(-1)
      if (completed?.type !== "response.completed") throw new Error("no response.completed")
      for (const field of RESOURCE_FIELDS) expect(completed.response).toHaveProperty(field)
      expect(completed.response.usage).toMatchObject({ input_tokens: 5, output_tokens: 7 })
    })

    it("responses.stream() assembles the final response", async () => {
      const stream = client.responses.stream({ model: "oa/gpt-4o-mini", instructions: "Echo.", input: [{ role: "user", content: "helper stream test" }] })
      const deltas: Array<string> = []
      stream.on("response.output_text.delta", (event) => deltas.push(event.delta))
      const final = await stream.finalResponse()
      expect(final.status).toBe("completed")
      expect(final.output_text).toBe("You said: helper stream test")
      expect(deltas.join("")).toBe("You said: helper stream test")
    })

    it("round-trips parallel function calls: call ids kept, function_call_output back as tool messages", async () => {
      const question: ResponseInputItem = { role: "user", content: "weather and time in Paris (responses tools)" }
      const first = await client.responses.create({ model: "oa/tool-caller", input: [question], tools: functionTools, tool_choice: "auto" })
      expect(first.status).toBe("completed")
      const made = calls(first.output)
      expect(made.map((call) => [call.call_id, call.name, call.arguments])).toEqual(parallelToolCalls.map((c) => [c.id, c.name, c.arguments]))
      expect(new Set(made.map((call) => call.id)).size).toBe(2)
      expect(requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "(responses tools)").body).toMatchObject({
        tools: [
          { type: "function", function: { name: "get_weather", description: "Weather at a place", parameters: functionTools[0]!.type === "function" ? functionTools[0]!.parameters : {} } },
          { type: "function", function: { name: "get_time" } }
        ],
        tool_choice: "auto"
      })

      await client.responses.create({
        model: "oa/gpt-4o-mini",
        tools: functionTools,
        input: [
          question,
          ...made,
          { type: "function_call_output", call_id: made[0]!.call_id, output: "18 °C, sunny" },
          { type: "function_call_output", call_id: made[1]!.call_id, output: "14:05" },
          { role: "user", content: "summarise (responses round trip)" }
        ]
      })
      const messages = (requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "(responses round trip)").body as { messages: Array<Record<string, unknown>> }).messages
      expect(messages.find((m) => m.role === "assistant")?.tool_calls).toEqual(parallelToolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments }
      })))
      const results = messages.filter((m) => m.role === "tool")
      expect(results.map((m) => m.tool_call_id)).toEqual(parallelToolCalls.map((c) => c.id))
      expect(JSON.stringify(results)).toContain("18 °C, sunny")
    })

    it("streams parallel function calls with incremental arguments; finalResponse() holds both", async () => {
      const stream = client.responses.stream({ model: "oa/tool-caller", input: "weather and time (streamed responses tools)", tools: functionTools })
      const argumentDeltas: Array<string> = []
      stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta))
      const final = await stream.finalResponse()
      expect(calls(final.output).map((call) => [call.call_id, call.name, JSON.parse(call.arguments)])).toEqual(
        parallelToolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)])
      )
      expect(argumentDeltas.length).toBeGreaterThan(parallelToolCalls.length)
    })
  })

  describe("Responses client → Anthropic provider (translated)", () => {
    it("sends instructions as system and max_output_tokens as max_tokens, with the provider's key", async () => {
      const response = await client.responses.create({
        model: "anth/claude-sonnet-4-5",
        instructions: "You are terse.",
        input: "Hello Claude via Responses",
        max_output_tokens: 128
      })
      expect(response.output_text).toBe("You said: Hello Claude via Responses")
      expect(response.status).toBe("completed")
      expect(response.usage?.output_tokens).toBe(6)
      const upstream = requestWith(anthUp.requestsTo("POST", "/v1/messages"), "Hello Claude via Responses")
      expect(upstream.body).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 128, messages: [{ role: "user" }] })
      expect(JSON.stringify((upstream.body as { system: unknown }).system)).toContain("You are terse.")
      expect(upstream.headers["x-api-key"]).toBe(KEY_ANTH)
    })

    it("streams signed thinking as a reasoning item whose encrypted_content is the signature", async () => {
      const stream = client.responses.stream({ model: "anth/claude-thinker", input: "think, then greet (responses)", reasoning: { effort: "low" } })
      const final = await stream.finalResponse()
      expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message"])
      expect(final.output[0]).toMatchObject({
        type: "reasoning",
        content: [{ type: "reasoning_text", text: "The user wants a greeting. Keep it short." }],
        encrypted_content: THINKING_SIGNATURE
      })
      expect(final.output_text).toBe("Hello!")

      // Sent back in the next turn, the signed reasoning reaches Anthropic as a thinking block.
      await client.responses.create({
        model: "anth/claude-sonnet-4-5",
        input: [{ role: "user", content: "think, then greet (responses)" }, ...final.output, { role: "user", content: "again (signed thinking back)" }] as Array<ResponseInputItem>
      })
      const upstream = requestWith(anthUp.requestsTo("POST", "/v1/messages"), "(signed thinking back)")
      expect(JSON.stringify(upstream.body)).toContain(THINKING_SIGNATURE)
    })

    it("round-trips tool use: tool_use ids as call_ids, function_call_output as tool_result", async () => {
      const first = await client.responses.create({ model: "anth/claude-tools", input: "weather and time (anthropic via responses)", tools: functionTools })
      const made = calls(first.output)
      expect(made.map((call) => [call.call_id, call.name, JSON.parse(call.arguments)])).toEqual(parallelToolUses.map((u) => [u.id, u.name, u.input]))
      await client.responses.create({
        model: "anth/claude-sonnet-4-5",
        tools: functionTools,
        input: [
          { role: "user", content: "weather and time (anthropic via responses)" },
          ...first.output as Array<ResponseInputItem>,
          ...made.map((call): ResponseInputItem => ({ type: "function_call_output", call_id: call.call_id, output: `result of ${call.name}` })),
          { role: "user", content: "summarise (anthropic results)" }
        ]
      })
      const messages = (requestWith(anthUp.requestsTo("POST", "/v1/messages"), "(anthropic results)").body as { messages: Array<{ role: string; content: unknown }> }).messages
      const results = messages.flatMap((m) => Array.isArray(m.content) ? m.content.filter((b: { type: string }) => b.type === "tool_result") : [])
      expect(results.map((b: { tool_use_id: string }) => b.tool_use_id)).toEqual(parallelToolUses.map((u) => u.id))
    })
  })

  describe("a Codex CLI request (raw HTTP), translated", () => {
    // The shape the Codex CLI posts: typed message items with input_text parts, flat function tools
    // with `strict: false`, reasoning with a summary, `store: false`, encrypted reasoning asked for,
    // a prompt cache key, and always a stream.
    const codexBody = (model: string, marker: string) => ({
      model,
      instructions: "You are a coding agent running in the Codex CLI.",
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "<permissions>workspace-write</permissions>" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: marker }] }
      ],
      tools: [{ type: "function", name: "shell", description: "Runs a shell command", strict: false, parameters: { type: "object", properties: { command: { type: "array", items: { type: "string" } } }, required: ["command"] } }],
      tool_choice: "auto",
      parallel_tool_calls: false,
      reasoning: { effort: "medium", summary: "auto" },
      store: false,
      stream: true,
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    })

    it("streams a spec-framed answer from an Anthropic provider", async () => {
      const response = await postResponses(codexBody("anth/claude-thinker", "codex to anthropic"))
      expect(response.status).toBe(200)
      const events = expectSpecFraming(sseEvents(await response.text()))
      expect(events[0]?.type).toBe("response.created")
      expect(events.at(-1)?.type).toBe("response.completed")
      const done = events.filter((e) => e.type === "response.output_item.done") as unknown as Array<{ item: { type: string; encrypted_content?: string } }>
      expect(done.map((e) => e.item.type)).toEqual(["reasoning", "message"])
      expect(done[0]?.item.encrypted_content).toBe(THINKING_SIGNATURE)
      const upstream = requestWith(anthUp.requestsTo("POST", "/v1/messages"), "codex to anthropic")
      expect(upstream.body).toMatchObject({ stream: true, tools: [{ name: "shell" }], tool_choice: { type: "auto", disable_parallel_tool_use: true } })
      expect(JSON.stringify((upstream.body as { system: unknown }).system)).toContain("Codex CLI")
    })

    it("streams function calls from an OpenAI Chat provider, parallel_tool_calls: false passed on", async () => {
      const response = await postResponses(codexBody("oa/tool-caller", "codex to chat"))
      const events = expectSpecFraming(sseEvents(await response.text()))
      const added = events.filter((e) => e.type === "response.output_item.added") as unknown as Array<{ item: { type: string; call_id: string } }>
      expect(added.map((e) => e.item.call_id)).toEqual(parallelToolCalls.map((c) => c.id))
      expect(requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "codex to chat").body).toMatchObject({ parallel_tool_calls: false, stream: true })
    })
  })

  describe("Responses client → Responses provider (pass-through)", () => {
    it("sends the body untouched but the model (previous_response_id and unknown fields included), to POST {base}/responses", async () => {
      const params = {
        model: "resp/gpt-5-mini",
        input: [{ role: "user" as const, content: "pass me through" }],
        // An id Switchboard did not store goes on as it is (`store: true` would be Switchboard's: responses-stored.test.ts).
        previous_response_id: "resp_earlier_turn",
        x_future_param: { nested: [1, "two", null] }
      }
      const response = await client.responses.create(params as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      expect(response.output_text).toBe("You said: pass me through")
      expect(response.id).toMatch(/^resp_fake/)
      expect(response.previous_response_id).toBe("resp_earlier_turn")
      for (const field of RESOURCE_FIELDS) expect(response).toHaveProperty(field)
      const upstream = requestWith(respUp.requestsTo("POST", "/v1/responses"), "pass me through")
      expect(upstream.rawBody).toBe(JSON.stringify({ ...params, model: "gpt-5-mini" }))
      expect(upstream.headers.authorization).toBe(`Bearer ${KEY_RESP}`)
    })

    it("streams the upstream's events as they came: spec framing kept", async () => {
      const response = await postResponses({ model: "resp/reasoner", input: "raw pass-through stream", stream: true })
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
      const events = expectSpecFraming(sseEvents(await response.text()))
      expect(events[0]?.type).toBe("response.created")
      expect(events.at(-1)?.type).toBe("response.completed")
      // The spec's reasoning event names reach the caller unchanged.
      expect(events.map((e) => e.type)).toContain("response.reasoning.delta")
    })

    // Pass-through means the upstream's event names reach the SDK as sent: the `openai` 6.x
    // `responses.stream()` helper throws on the spec's `response.reasoning.delta`, so this upstream
    // uses OpenAI's `response.reasoning_text.delta` (what Switchboard itself writes when it translates).
    it("responses.stream() reads the upstream's reasoning and message through Switchboard", async () => {
      const final = await client.responses.stream({ model: "resp/oa-reasoner", input: "hi (pass-through helper)" }).finalResponse()
      expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message"])
      expect(final.output[0]).toMatchObject({ encrypted_content: ENCRYPTED_REASONING })
      expect(final.output_text).toBe("Hello there!")
      expect(final.usage).toMatchObject({ output_tokens: 8, output_tokens_details: { reasoning_tokens: 6 } })
    })

    it("passes max_output_tokens through: the upstream's incomplete response comes back as such", async () => {
      const response = await client.responses.create({ model: "resp/gpt-5-mini", input: "one two three four five six", max_output_tokens: 3 })
      expect(response.status).toBe("incomplete")
      expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" })
      expect(response.output_text).toBe("You said: one")
    })

    it("keeps the upstream's 429 (status, body, retry-after) and 401", async () => {
      const limited = await thrown(() => client.responses.create({ model: "resp/limited", input: "too fast" }))
      expect(limited).toBeInstanceOf(RateLimitError)
      expect((limited as RateLimitError).headers.get("retry-after")).toBe("20")
      expect((limited as RateLimitError).error).toMatchObject({ type: "too_many_requests", code: "rate_limit_exceeded" })

      respUp.setApiKey(`sk-rotated-${randomBytes(8).toString("hex")}`)
      try {
        const refused = await thrown(() => client.responses.create({ model: "resp/gpt-5-mini", input: "revoked key" }))
        expect(refused).toBeInstanceOf(AuthenticationError)
        expect((refused as AuthenticationError).status).toBe(401)
        expect((refused as AuthenticationError).code).toBe("invalid_api_key")
      } finally {
        respUp.setApiKey(KEY_RESP)
      }
    })

    it("an upstream error mid-stream reaches the SDK as an error", async () => {
      const error = await thrown(() => client.responses.stream({ model: "resp/breaks", input: "break (pass-through)" }).finalResponse())
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).message).toContain("The model failed mid-stream.")
    })

    it("a stalled stream ends with an error event and response.failed, continuing the upstream's sequence", async () => {
      const response = await postResponses({ model: "slow/stalls", input: "stall (pass-through)", stream: true })
      const events = expectSpecFraming(sseEvents(await response.text()))
      expect(events.map((e) => e.type)).toEqual(["response.created", "response.in_progress", "error", "response.failed"])
      const failed = events[3] as unknown as { response: { id: string; status: string; error: { code: string; message: string } } }
      expect(failed.response).toMatchObject({ id: expect.stringMatching(/^resp_fake/), status: "failed", error: { code: "timeout" } })
      expect(failed.response.error.message).toContain("within 1 s")
      for (const field of RESOURCE_FIELDS) expect(failed.response).toHaveProperty(field)

      const error = await thrown(() => client.responses.stream({ model: "slow/stalls", input: "stall (sdk)" }).finalResponse())
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).message).toContain("within 1 s")
    })
  })

  describe("errors in the Responses shape", () => {
    it("a translated stream that stalls past the timeout ends with error and response.failed, then [DONE]", async () => {
      const response = await postResponses({ model: "sleepy/chat-stalls", input: "stall (translated)", stream: true })
      const events = expectSpecFraming(sseEvents(await response.text()))
      expect(events.slice(-2).map((e) => e.type)).toEqual(["error", "response.failed"])
      expect(events[0]?.type).toBe("response.created")
      const failed = events.at(-1) as unknown as { response: Record<string, unknown> & { error: { code: string; message: string } } }
      for (const field of RESOURCE_FIELDS) expect(failed.response).toHaveProperty(field)
      expect(failed.response).toMatchObject({ status: "failed", error: { code: "timeout" } })
      expect(failed.response.error.message).toContain("within 1 s")

      const error = await thrown(() => client.responses.stream({ model: "sleepy/chat-stalls", input: "stall (translated sdk)" }).finalResponse())
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).message).toContain("within 1 s")
      await sleepyUp.waitFor((r) => r.rawBody.includes("stall (translated sdk)") && r.closedEarly, 15_000)
    })

    it("an unknown model is a 404 with type not_found, code model_not_found, param model", async () => {
      const error = await thrown(() => client.responses.create({ model: "nowhere/never", input: "hi" }))
      expect(error).toBeInstanceOf(NotFoundError)
      const e = error as NotFoundError
      expect(e.status).toBe(404)
      expect(e.error).toMatchObject({ type: "not_found", code: "model_not_found", param: "model" })
      expect(e.message).toContain("nowhere/never")
    })

    it("previous_response_id to a provider of another format is a 400 naming the field", async () => {
      for (const model of ["oa/gpt-4o-mini", "anth/claude-sonnet-4-5"]) {
        const error = await thrown(() => client.responses.create({ model, input: "continue (stateless)", previous_response_id: "resp_123" }))
        expect(error).toBeInstanceOf(BadRequestError)
        const e = error as BadRequestError
        expect(e.error).toMatchObject({ type: "invalid_request", param: "previous_response_id" })
        expect(e.message).toContain("previous_response_id")
      }
      expect(oaUp.requests.some((r) => r.rawBody.includes("continue (stateless)"))).toBe(false)
    })

    it("a hosted tool to a provider of another format is a 400 naming tools[0]", async () => {
      const error = await thrown(() => client.responses.create({ model: "oa/gpt-4o-mini", input: "search", tools: [{ type: "web_search" }] }))
      expect(error).toBeInstanceOf(BadRequestError)
      expect((error as BadRequestError).param).toBe("tools[0]")
    })

    it("a translated upstream 429 keeps its status and retry-after, streaming or not", async () => {
      for (const stream of [false, true]) {
        const error = await thrown(() => client.responses.create({ model: "oa/rate-limited", input: "too fast", stream }))
        expect(error).toBeInstanceOf(RateLimitError)
        const e = error as RateLimitError
        expect(e.error).toMatchObject({ type: "too_many_requests", code: "rate_limit_exceeded" })
        expect(e.headers.get("retry-after")).toBe("20")
      }
    })

    it("an unknown stored response and other Responses API paths are a 404 in the Responses shape; a GET of /v1/responses is a 405", async () => {
      for (const [method, path, code] of [
        ["GET", "/v1/responses/resp_123", "response_not_found"],
        ["DELETE", "/v1/responses/resp_123", "response_not_found"],
        ["GET", "/v1/responses/resp_123/input_items", "response_not_found"],
        ["POST", "/v1/responses/resp_123/cancel", "unknown_url"]
      ] as const) {
        const response = await fetch(`${switchboard.url}${path}`, { method })
        expect(response.status).toBe(404)
        expect(await response.json()).toMatchObject({ error: { type: "not_found", code } })
      }
      const get = await fetch(`${switchboard.url}/v1/responses`)
      expect(get.status).toBe(405)
      expect(get.headers.get("allow")).toBe("POST")
      expect(await get.json()).toMatchObject({ error: { type: "invalid_request", code: "method_not_allowed" } })
    })
  })
})
