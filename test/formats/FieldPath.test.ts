/**
 * Errors found after the inbound translation (a provider's encoder, the local engine) name the
 * caller's own fields: the canonical path is rendered with the origin the inbound decoder recorded.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as AnthropicRequest from "../../src/formats/anthropic-messages/Request.ts"
import { inCallerTerms, inRequestTerms } from "../../src/formats/FieldPath.ts"
import * as ResponsesRequest from "../../src/formats/open-responses/Request.ts"
import * as OpenAiRequest from "../../src/formats/openai-chat/Request.ts"
import { toTurns } from "../../src/local/LocalRequest.ts"

describe("inCallerTerms", () => {
  const origin = { "messages[1]": "input[0]", "messages[1].content[1]": "input[0].content[1]", "response_format": "text.format" }
  it.each([
    ["a recorded part", "messages[1].content[1]", "input[0].content[1]"],
    ["a recorded prefix, the rest kept", "messages[1].content[1].source", "input[0].content[1].source"],
    ["the message when the part is not recorded", "messages[1].content[0]", "input[0].content[0]"],
    ["whole segments only", "messages[12]", "messages[12]"],
    ["a top-level field", "response_format", "text.format"],
    ["a field named alike", "temperature", "temperature"]
  ])("%s: %s → %s", (_, param, caller) => {
    expect(inCallerTerms(param, origin)).toBe(caller)
  })

  it("without an origin (a Chat Completions caller) the path is the caller's already", () => {
    expect(inCallerTerms("messages[1].content[0]", undefined)).toBe("messages[1].content[0]")
  })
})

/** A Responses request whose canonical messages do not line up with its items. */
const body = {
  model: "m",
  instructions: "Be brief.",
  input: [
    { role: "user", content: [{ type: "input_text", text: "Look:" }, { type: "input_image", image_url: "https://example.com/a.png" }] },
    { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }], encrypted_content: "sig" },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Calling." }] },
    { type: "function_call", call_id: "call_1", name: "f", arguments: "[1, 2]" },
    { type: "function_call_output", call_id: "call_1", output: [{ type: "input_text", text: "ok" }, { type: "input_image", image_url: "https://example.com/b.png" }] },
    { role: "user", content: [{ type: "input_file", file_url: "https://example.com/c.pdf" }] }
  ]
}

describe("a Responses request's origin", () => {
  const request = Result.getOrThrow(ResponsesRequest.toCanonicalResult(body))

  it.each([
    ["instructions", "messages[0]", "instructions"],
    ["instructions' text", "messages[0].content[0]", "instructions"],
    ["a user message", "messages[1]", "input[0]"],
    ["its second part", "messages[1].content[1]", "input[0].content[1]"],
    ["an assistant turn: its first item", "messages[2]", "input[1]"],
    ["its reasoning", "messages[2].content[0]", "input[1]"],
    ["its text", "messages[2].content[1]", "input[2].content[0]"],
    ["its tool call", "messages[2].content[2]", "input[3]"],
    ["a tool result's part", "messages[3].content[1]", "input[4].output[1]"],
    ["a later user part", "messages[4].content[0]", "input[5].content[0]"],
    ["structured output", "response_format", "text.format"],
    ["the output limit", "max_tokens", "max_output_tokens"]
  ])("%s: %s → %s", (_, param, caller) => {
    expect(inRequestTerms(param, request)).toBe(caller)
  })

  it("a string input and instructions", () => {
    const simple = Result.getOrThrow(ResponsesRequest.toCanonicalResult({ model: "m", input: "hi" }))
    expect(inRequestTerms("messages[0].content[0]", simple)).toBe("input")
  })
})

describe("errors found after the translation name the caller's fields", () => {
  const request = Result.getOrThrow(ResponsesRequest.toCanonicalResult(body))

  it.effect("the local engine: an image", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(toTurns(request))
      expect(inRequestTerms(error.param, request)).toBe("input[0].content[1]")
      expect(error.message).not.toContain("messages[")
    }))

  it.effect("the local engine: structured output", () =>
    Effect.gen(function*() {
      const structured = Result.getOrThrow(ResponsesRequest.toCanonicalResult({
        model: "m",
        input: "hi",
        text: { format: { type: "json_schema", name: "r", schema: { type: "object" } } }
      }))
      const error = yield* Effect.flip(toTurns(structured))
      expect(inRequestTerms(error.param, structured)).toBe("text.format")
    }))

  it("Anthropic's encoder: tool arguments that are not an object", () => {
    const result = AnthropicRequest.fromCanonicalResult(request)
    expect(Result.isFailure(result) && inRequestTerms(result.failure.param, request)).toBe("input[3]")
  })

  it("OpenAI Chat's encoder: an image in a tool result, a document by URL", () => {
    const result = OpenAiRequest.fromCanonicalResult(request)
    expect(Result.isFailure(result) && inRequestTerms(result.failure.param, request)).toBe("input[4].output[1]")
    const document = Result.getOrThrow(ResponsesRequest.toCanonicalResult({ model: "m", input: [body.input[5]!] }))
    const failed = OpenAiRequest.fromCanonicalResult(document)
    expect(Result.isFailure(failed) && inRequestTerms(failed.failure.param, document)).toBe("input[0].content[0]")
  })
})
