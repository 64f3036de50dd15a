/**
 * The official SDKs' own stream parsers and accumulators must accept what the encoders write.
 * No network: each client gets a `fetch` that answers with the encoded events.
 */
import Anthropic from "@anthropic-ai/sdk"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import OpenAI from "openai"
import * as AnthropicResponse from "../../src/formats/anthropic-messages/Response.ts"
import * as AnthropicStream from "../../src/formats/anthropic-messages/Stream.ts"
import * as OpenAiResponse from "../../src/formats/openai-chat/Response.ts"
import * as OpenAiStream from "../../src/formats/openai-chat/Stream.ts"
import * as Sse from "../../src/formats/Sse.ts"
import { fixture } from "./Fixtures.ts"

const sseBody = (events: ReadonlyArray<Sse.OutboundEvent>) =>
  new Response(events.map(Sse.encode).join(""), { headers: { "content-type": "text/event-stream" } })

const jsonBody = (body: object) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } })

const translate = <A>(path: string, pipeline: (events: Stream.Stream<Sse.InboundEvent, Sse.SseError>) => Stream.Stream<A, Sse.SseError>) =>
  Effect.runSync(Stream.runCollect(pipeline(Sse.decodeBytes(Stream.make(new TextEncoder().encode(fixture(path)))))))

const toAnthropic = (path: string) =>
  translate(path, (events) => events.pipe(OpenAiStream.decodeStream, AnthropicStream.encodeStream))

const toOpenAi = (path: string) =>
  translate(path, (events) => events.pipe(AnthropicStream.decodeStream, OpenAiStream.encodeStream({ includeUsage: true, created: 1735689600 })))

const anthropicClient = (answer: () => Response) =>
  new Anthropic({ apiKey: "test", baseURL: "http://127.0.0.1:9", maxRetries: 0, fetch: async () => answer() })

const openAiClient = (answer: () => Response) =>
  new OpenAI({ apiKey: "test", baseURL: "http://127.0.0.1:9/v1", maxRetries: 0, fetch: async () => answer() })

const params = { model: "m", max_tokens: 100, messages: [{ role: "user" as const, content: "hi" }] }

describe("@anthropic-ai/sdk reads what the Anthropic encoder writes", () => {
  it("messages.stream().finalMessage(): parallel tool calls from an OpenAI upstream", async () => {
    const events = toAnthropic("openai-chat/parallel-tool-calls.sse")
    const message = await anthropicClient(() => sseBody(events)).messages.stream(params).finalMessage()
    expect(message.content).toEqual([
      { type: "tool_use", id: "call_weather_paris", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_weather_tokyo", name: "get_weather", input: { city: "Tokyo" } }
    ])
    expect(message.stop_reason).toBe("tool_use")
    expect(message.usage).toMatchObject({ input_tokens: 56, cache_read_input_tokens: 64, output_tokens: 40 })
  })

  it("messages.stream(): thinking with its signature, then text", async () => {
    const events = toAnthropic("openai-chat/reasoning-details.sse")
    const texts: Array<string> = []
    const stream = anthropicClient(() => sseBody(events)).messages.stream(params).on("text", (text) => texts.push(text))
    const message = await stream.finalMessage()
    expect(message.content).toEqual([
      { type: "thinking", thinking: "Let me think briefly.", signature: "EqQBCkYIBxgCKkBzaWduYXR1cmUtZml4dHVyZQ==" },
      { type: "text", text: "Done." }
    ])
    expect(texts).toEqual(["Done."])
  })

  it("an upstream error mid-stream rejects with the error message", async () => {
    const events = toAnthropic("openai-chat/error-mid-stream.sse")
    await expect(anthropicClient(() => sseBody(events)).messages.stream(params).finalMessage()).rejects.toThrow(
      /The server had an error/
    )
  })

  it("messages.create(): a translated complete response", async () => {
    const canonical = await Effect.runPromise(OpenAiResponse.toCanonical({
      id: "chatcmpl-1",
      model: "gpt-4o",
      choices: [{ message: { content: "Hi!" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 2 }
    }))
    const message = await anthropicClient(() => jsonBody(AnthropicResponse.fromCanonical(canonical))).messages.create(params)
    expect(message).toMatchObject({ content: [{ type: "text", text: "Hi!" }], stop_reason: "end_turn", usage: { input_tokens: 3, output_tokens: 2 } })
  })
})

describe("openai reads what the OpenAI encoder writes", () => {
  it("chat.completions.stream().finalChatCompletion(): text and a tool call from an Anthropic upstream", async () => {
    const events = toOpenAi("anthropic-messages/parallel-tool-calls.sse")
    const completion = await openAiClient(() => sseBody(events)).chat.completions.stream({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stream_options: { include_usage: true }
    }).finalChatCompletion()
    const [choice] = completion.choices
    expect(choice?.message.content).toBe("Checking both cities.")
    expect(choice?.message.tool_calls?.map((call) => call.type === "function" && [call.id, call.function.name, call.function.arguments])).toEqual([
      ["toolu_01Paris", "get_weather", "{\"city\": \"Paris\"}"],
      ["toolu_02Tokyo", "get_weather", "{\"city\": \"Tokyo\"}"]
    ])
    expect(choice?.finish_reason).toBe("tool_calls")
    expect(completion.usage).toMatchObject({ prompt_tokens: 1250, completion_tokens: 71, prompt_tokens_details: { cached_tokens: 1000 } })
  })

  it("raw chunks: an upstream error mid-stream throws the error message", async () => {
    const events = toOpenAi("anthropic-messages/error-mid-stream.sse")
    const consume = async () => {
      const stream = await openAiClient(() => sseBody(events)).chat.completions.create({ model: "m", messages: [], stream: true })
      const contents: Array<string> = []
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content ?? "")
      return contents
    }
    await expect(consume()).rejects.toThrow(/Overloaded/)
  })

  it("chat.completions.create(): a translated complete response", async () => {
    const canonical = await Effect.runPromise(AnthropicResponse.toCanonical({
      id: "msg_1",
      model: "claude",
      content: [{ type: "text", text: "Hi!" }, { type: "tool_use", id: "toolu_1", name: "f", input: { a: 1 } }],
      stop_reason: "tool_use",
      usage: { input_tokens: 3, output_tokens: 2 }
    }))
    const completion = await openAiClient(() => jsonBody(OpenAiResponse.fromCanonical(canonical, { created: 0 }))).chat.completions.create({
      model: "m",
      messages: []
    })
    expect(completion.choices[0]).toMatchObject({
      message: { content: "Hi!", tool_calls: [{ id: "toolu_1", function: { name: "f", arguments: "{\"a\":1}" } }] },
      finish_reason: "tool_calls"
    })
  })
})
