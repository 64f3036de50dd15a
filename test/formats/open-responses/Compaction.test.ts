/**
 * Compaction by Switchboard (`Compaction.ts`) and its sealed summary (`CompactionContent.ts`),
 * offline: the summary request sent to the model, the compacted window returned (checked against
 * the spec's `CompactResource`), and a compaction item read back as the model's context.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { Response } from "../../../src/formats/Canonical.ts"
import * as Compaction from "../../../src/formats/open-responses/Compaction.ts"
import * as CompactionContent from "../../../src/formats/open-responses/CompactionContent.ts"
import * as ResponsesRequest from "../../../src/formats/open-responses/Request.ts"
import { missingRequired, schemas } from "./OpenApi.ts"

const answer = (fields: Partial<Response> = {}): Response => ({
  id: "chatcmpl-42",
  model: "m",
  created: undefined,
  content: [{ _tag: "Text", text: "The user is Alice; she asked for a landing page." }],
  finish: { reason: "end_turn", raw: "stop", stopSequence: undefined },
  usage: { inputTokens: 120, outputTokens: 15, cachedInputTokens: 20, cacheWriteInputTokens: undefined, reasoningTokens: undefined },
  ...fields
})

const decode = (body: unknown) => Result.getOrThrow(Compaction.decodeRequest(body))

describe("CompactionContent", () => {
  it.each([
    ["plain text", "Alice wants a landing page."],
    ["empty", ""],
    ["non-ASCII, newlines", "Élodie — 東京\n\n- step 1 ✓\n- step 2"],
    ["base64-looking text", "gAAAAB+/=="]
  ])("seals and opens %s unchanged", (_, summary) => {
    const sealed = CompactionContent.seal(summary)
    expect(sealed.startsWith(CompactionContent.SEALED_PREFIX)).toBe(true)
    expect(sealed.slice(CompactionContent.SEALED_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]*$/)
    expect(CompactionContent.open(sealed)).toBe(summary)
  })

  it.each([
    ["a provider's ciphertext", "gAAAAABpM0Yj-fake="],
    ["another scheme's version", "switchboard.compaction.v2.QWxpY2U"],
    ["not base64url after the prefix", `${CompactionContent.SEALED_PREFIX}not base64!`],
    ["empty", ""]
  ])("does not open %s", (_, content) => {
    expect(CompactionContent.open(content)).toBeUndefined()
  })
})

describe("unsealedForProvider", () => {
  const sealed = CompactionContent.seal("Alice wants a page.")
  it.each([
    ["no Switchboard item: the same text, unparsed", `{"model":"m", "input": "hi"}`, undefined],
    ["a provider's item only", `{"model":"m","input":[{"type":"compaction","encrypted_content":"gAAAAB-x"}]}`, undefined],
    ["the prefix in a message, not an item", `{"model":"m","input":[{"role":"user","content":"${sealed}"}]}`, undefined],
    ["not JSON", `{"model": ${sealed}`, undefined],
    [
      "a Switchboard item among others",
      JSON.stringify({ model: "m", store: false, input: [{ role: "user", content: "a" }, { type: "compaction", id: "cmp_1", encrypted_content: sealed }, { type: "compaction", encrypted_content: "gAAAAB-x" }] }),
      {
        model: "m",
        store: false,
        input: [
          { role: "user", content: "a" },
          { type: "message", role: "user", content: CompactionContent.contextText("Alice wants a page.") },
          { type: "compaction", encrypted_content: "gAAAAB-x" }
        ]
      }
    ]
  ])("%s", (_, text, expected) => {
    const out = CompactionContent.unsealedForProvider(text)
    if (expected === undefined) expect(out).toBe(text)
    else expect(JSON.parse(out)).toEqual(expected)
  })
})

describe("summaryRequest", () => {
  it("sends the conversation, instructions first, then the request to summarise", () => {
    const compact = decode({
      model: "oa/gpt-4o-mini",
      instructions: "Be brief.",
      input: [
        { role: "user", content: "My name is Alice." },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello Alice!" }] },
        { role: "user", content: "Build me a landing page." }
      ],
      prompt_cache_key: "k1",
      extra_field: true
    })
    const request = Result.getOrThrow(Compaction.summaryRequest(compact, "gpt-4o-mini"))
    expect(request.model).toBe("gpt-4o-mini")
    expect(request.stream).toBe(false)
    expect(request.tools).toBeUndefined()
    expect(request.ignoredFields).toEqual(["extra_field"])
    expect(request.messages).toEqual([
      { role: "system", kind: "system", content: [{ _tag: "Text", text: "Be brief." }] },
      { role: "user", content: [{ _tag: "Text", text: "My name is Alice." }] },
      { role: "assistant", content: [{ _tag: "Text", text: "Hello Alice!" }] },
      { role: "user", content: [{ _tag: "Text", text: "Build me a landing page." }] },
      { role: "user", content: [{ _tag: "Text", text: Compaction.SUMMARY_PROMPT }] }
    ])
  })

  it("gives the model an earlier Switchboard compaction as its summary", () => {
    const compact = decode({
      model: "m",
      input: [{ type: "compaction", id: "cmp_1", encrypted_content: CompactionContent.seal("Alice wants a page.") }, { role: "user", content: "Go on." }]
    })
    const request = Result.getOrThrow(Compaction.summaryRequest(compact, "m"))
    expect(request.messages[0]).toEqual({ role: "user", content: [{ _tag: "Text", text: CompactionContent.contextText("Alice wants a page.") }] })
  })

  it.each([
    ["previous_response_id", { model: "m", input: "hi", previous_response_id: "resp_1" }, "previous_response_id"],
    ["no input", { model: "m" }, "input"],
    ["instructions only", { model: "m", instructions: "Be brief.", input: [] }, "input"],
    ["a provider's compaction item", { model: "m", input: [{ type: "compaction", encrypted_content: "gAAAAB-provider" }] }, "input[0].encrypted_content"],
    ["an item_reference", { model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, "input[0]"]
  ])("refuses %s, naming the field", (_, body, param) => {
    const result = Compaction.summaryRequest(decode(body), "m")
    expect(Result.isFailure(result) && result.failure.param).toBe(param)
  })

  it.each([
    ["no model", { input: "hi" }, "model"],
    // The union's members each report; the param names the item (which member's field is the schema error's choice).
    ["a compaction item without encrypted_content", { model: "m", input: [{ type: "compaction" }] }, "input[0]"]
  ])("does not decode a body with %s", (_, body, param) => {
    const result = Compaction.decodeRequest(body)
    expect(Result.isFailure(result) && result.failure.param?.startsWith(param)).toBe(true)
  })
})

describe("compactedOf", () => {
  const rawInput = [
    { role: "user", content: "Create a simple landing page for a dog petting cafe." },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Here it is." }] },
    { type: "message", id: "msg_mine", role: "user", content: [{ type: "input_text", text: "Make it blue." }, { type: "input_image", image_url: "https://example.com/a.png", detail: "low" }] },
    { type: "function_call_output", call_id: "c1", output: "ok" },
    { type: "compaction", encrypted_content: CompactionContent.seal("older summary") }
  ]

  it("keeps the user messages as given, then one compaction item sealing the summary: a CompactResource", () => {
    const compact = decode({ model: "oa/gpt-4o-mini", input: rawInput })
    const resource = Result.getOrThrow(Compaction.compactedOf(compact, rawInput, answer(), 1_764_967_971))
    expect(resource).toEqual({
      id: "chatcmpl-42",
      object: "response.compaction",
      created_at: 1_764_967_971,
      output: [
        { type: "message", id: "msg_chatcmpl42_0", status: "completed", role: "user", content: [{ type: "input_text", text: "Create a simple landing page for a dog petting cafe." }] },
        {
          type: "message",
          id: "msg_mine",
          status: "completed",
          role: "user",
          content: [{ type: "input_text", text: "Make it blue." }, { type: "input_image", image_url: "https://example.com/a.png", detail: "low" }]
        },
        { type: "compaction", id: "cmp_chatcmpl42_2", encrypted_content: CompactionContent.seal("The user is Alice; she asked for a landing page.") }
      ],
      usage: { input_tokens: 120, output_tokens: 15, total_tokens: 135, input_tokens_details: { cached_tokens: 20 }, output_tokens_details: { reasoning_tokens: 0 } }
    })
    expect(missingRequired(schemas["CompactResource"]!, resource)).toEqual([])
  })

  it("keeps a string input as one user message", () => {
    const resource = Result.getOrThrow(Compaction.compactedOf(decode({ model: "m", input: "Hi there" }), "Hi there", answer({ id: "r1" }), 1))
    expect(resource.output[0]).toEqual({ type: "message", id: "msg_r1_0", status: "completed", role: "user", content: [{ type: "input_text", text: "Hi there" }] })
    expect(resource.output).toHaveLength(2)
  })

  it("writes usage of zeros when the upstream reported none (the spec requires it)", () => {
    const resource = Result.getOrThrow(Compaction.compactedOf(decode({ model: "m", input: "Hi" }), "Hi", answer({ usage: undefined }), 1))
    expect(resource.usage).toEqual({ input_tokens: 0, output_tokens: 0, total_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } })
  })

  it.each([
    ["a tool call", [{ _tag: "ToolCall", id: "c", name: "f", arguments: "{}" }]],
    ["only reasoning", [{ _tag: "Reasoning", text: "thinking", signature: undefined }]],
    ["blank text", [{ _tag: "Text", text: "  \n" }]]
  ] as const)("fails on an answer with %s: no summary, never an empty compaction", (_, content) => {
    const result = Compaction.compactedOf(decode({ model: "m", input: "Hi" }), "Hi", answer({ content }), 1)
    expect(Result.isFailure(result) && result.failure._tag).toBe("InvalidUpstreamBody")
  })
})

describe("a compacted window as the next /v1/responses input (translated)", () => {
  it("gives the model the summary in the compaction item's place", () => {
    const resource = Result.getOrThrow(Compaction.compactedOf(decode({ model: "m", input: rawInputOf() }), rawInputOf(), answer(), 1))
    const request = Result.getOrThrow(ResponsesRequest.toCanonicalResult({ model: "m", input: [...resource.output, { role: "user", content: "Next?" }] }))
    expect(request.messages).toEqual([
      { role: "user", content: [{ _tag: "Text", text: "Hello" }] },
      { role: "user", content: [{ _tag: "Text", text: CompactionContent.contextText("The user is Alice; she asked for a landing page.") }] },
      { role: "user", content: [{ _tag: "Text", text: "Next?" }] }
    ])
  })

  it("refuses a provider's compaction item, naming it", () => {
    const result = ResponsesRequest.toCanonicalResult({ model: "m", input: [{ role: "user", content: "Hi" }, { type: "compaction", id: "cmp_1", encrypted_content: "gAAAAB-provider" }] })
    expect(Result.isFailure(result) && result.failure.param).toBe("input[1].encrypted_content")
  })
})

function rawInputOf() {
  return [{ role: "user", content: "Hello" }, { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi!" }] }]
}
