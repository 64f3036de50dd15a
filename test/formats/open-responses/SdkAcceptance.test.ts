/**
 * The `openai` SDK's Responses stream parser and accumulator (`responses.stream()`,
 * `finalResponse()`) and `responses.create()` must accept what the Open Responses encoders write.
 * No network: the client gets a `fetch` that answers with the encoded events.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import OpenAI from "openai"
import * as AnthropicResponse from "../../../src/formats/anthropic-messages/Response.ts"
import * as AnthropicStream from "../../../src/formats/anthropic-messages/Stream.ts"
import type { StreamEvent } from "../../../src/formats/Canonical.ts"
import * as OpenAiStream from "../../../src/formats/openai-chat/Stream.ts"
import * as ResponsesResponse from "../../../src/formats/open-responses/Response.ts"
import * as ResponsesStream from "../../../src/formats/open-responses/Stream.ts"
import * as Sse from "../../../src/formats/Sse.ts"
import { fixture } from "../Fixtures.ts"

const sseBody = (events: ReadonlyArray<Sse.OutboundEvent>) =>
  new Response(events.map(Sse.encode).join(""), { headers: { "content-type": "text/event-stream" } })

const jsonBody = (body: object) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } })

/** A recorded upstream stream, decoded with `decode` and encoded as Open Responses, through the real SSE codec. */
const toResponses = (
  path: string,
  decode: (events: Stream.Stream<Sse.InboundEvent, Sse.SseError>) => Stream.Stream<StreamEvent, Sse.SseError>
) =>
  Effect.runSync(Stream.runCollect(
    Sse.decodeBytes(Stream.make(new TextEncoder().encode(fixture(path)))).pipe(decode, ResponsesStream.encodeStream({ created: 1735689600 }))
  ))

const client = (answer: () => Response) =>
  new OpenAI({ apiKey: "test", baseURL: "http://127.0.0.1:9/v1", maxRetries: 0, fetch: async () => answer() })

const params = { model: "m", input: "hi" }

describe("openai SDK reads what the Open Responses encoder writes", () => {
  it("responses.stream().finalResponse(): parallel tool calls from an OpenAI chat upstream", async () => {
    const events = toResponses("openai-chat/parallel-tool-calls.sse", OpenAiStream.decodeStream)
    const deltas: Array<string> = []
    const stream = client(() => sseBody(events)).responses.stream(params).on("response.function_call_arguments.delta", (event) => {
      deltas.push(event.delta)
    })
    const response = await stream.finalResponse()
    expect(response.output).toMatchObject([
      { type: "function_call", call_id: "call_weather_paris", name: "get_weather", arguments: "{\"city\": \"Paris\"}", status: "completed" },
      { type: "function_call", call_id: "call_weather_tokyo", name: "get_weather", arguments: "{\"city\": \"Tokyo\"}", status: "completed" }
    ])
    expect(deltas).toHaveLength(4)
    expect(response.usage).toMatchObject({ input_tokens: 120, input_tokens_details: { cached_tokens: 64 }, output_tokens: 40 })
    expect(response.status).toBe("completed")
  })

  it("responses.stream(): Anthropic thinking (signed), redacted thinking and text; output_text assembled", async () => {
    const events = toResponses("anthropic-messages/redacted-thinking.sse", AnthropicStream.decodeStream)
    const texts: Array<string> = []
    const stream = client(() => sseBody(events)).responses.stream(params).on("response.output_text.delta", (event) => {
      texts.push(event.delta)
    })
    const response = await stream.finalResponse()
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "reasoning", "message"])
    expect(response.output[0]).toMatchObject({ type: "reasoning", content: [{ type: "reasoning_text" }] })
    expect((response.output[0] as { encrypted_content?: string }).encrypted_content).toBeTruthy()
    expect(response.output_text).toBe(texts.join(""))
    expect(response.output_text.length).toBeGreaterThan(0)
  })

  it("an upstream error mid-stream rejects with the error message", async () => {
    const events = toResponses("anthropic-messages/error-mid-stream.sse", AnthropicStream.decodeStream)
    await expect(client(() => sseBody(events)).responses.stream(params).finalResponse()).rejects.toThrow(/Overloaded/i)
  })

  it("responses.create(): a translated complete response", async () => {
    const canonical = await Effect.runPromise(AnthropicResponse.toCanonical({
      id: "msg_1",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hi!" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 3, output_tokens: 2 }
    }))
    const response = await client(() => jsonBody(ResponsesResponse.fromCanonical(canonical, { created: 1735689600 }))).responses.create(params)
    expect(response.output_text).toBe("Hi!")
    expect(response).toMatchObject({ status: "completed", usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } })
  })
})
