/**
 * The small pure pieces of the local models, as tables: model ids of GGUF files, stop reasons,
 * what a local model may be asked, how long its answer may be, text pieces as canonical events, events folded into a
 * response, and the MLX restart backoff in virtual time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { Request } from "../../src/formats/Canonical.ts"
import { collectResponse } from "../../src/local/CollectResponse.ts"
import { answerRoom, ggufModelId } from "../../src/local/LlamaCppEngine.ts"
import { type Piece, pieceEvents } from "../../src/local/LocalEngine.ts"
import { outputLimit, stopReasonOf, toTurns } from "../../src/local/LocalRequest.ts"
import { defaultRestartSchedule } from "../../src/local/MlxEngine.ts"
import { canonicalRequest } from "../support/CanonicalRequest.ts"

const base = canonicalRequest({ model: "m", messages: [], stream: false })

describe("outputLimit", () => {
  // [caller's limit, config's maxOutputTokens, context size] → the limit the engine is given
  const table: ReadonlyArray<readonly [number | undefined, number | undefined, number | undefined, number | undefined]> = [
    [undefined, undefined, 2048, 2048],
    [undefined, 256, 2048, 256],
    [undefined, 4096, 2048, 2048],
    [16, 256, 2048, 16],
    [1000, 256, 2048, 1000],
    [100_000, undefined, 2048, 2048],
    [undefined, undefined, undefined, undefined],
    [undefined, 256, undefined, 256],
    [100_000, 256, undefined, 100_000]
  ]
  for (const [requested, configured, context, limit] of table) {
    it(`asked ${requested}, configured ${configured}, context ${context} → ${limit}`, () =>
      assert.strictEqual(outputLimit({ requested, configured, context }), limit))
  }
})

describe("answerRoom (llama.cpp: the answer fits beside the prompt)", () => {
  // [limit, context size, prompt tokens] → the limit llama.cpp is given
  const table: ReadonlyArray<readonly [number | undefined, number, number, number | undefined]> = [
    [2048, 2048, 28, 2020],
    [12, 2048, 28, 12],
    [undefined, 2048, 28, 2020],
    [2048, 2048, 2048, 2048],
    [2048, 2048, 5000, 2048]
  ]
  for (const [limit, context, prompt, room] of table) {
    it(`limit ${limit}, context ${context}, prompt ${prompt} → ${room}`, () => assert.strictEqual(answerRoom(limit, context, prompt), room))
  }
})

describe("ggufModelId", () => {
  const table: ReadonlyArray<readonly [string, string | undefined]> = [
    ["stories260K.gguf", "stories260K"],
    ["Qwen3-0.6B-Q8_0.GGUF", "Qwen3-0.6B-Q8_0"],
    ["big-00001-of-00003.gguf", "big"],
    ["big-00002-of-00003.gguf", undefined],
    ["notes.txt", undefined],
    ["model.gguf.part", undefined]
  ]
  for (const [name, id] of table) it(`${name} → ${id}`, () => assert.strictEqual(ggufModelId(name), id))
})

describe("stopReasonOf", () => {
  const table = [
    ["eogToken", "end_turn"],
    ["stopGenerationTrigger", "end_turn"],
    ["customStopTrigger", "stop_sequence"],
    ["maxTokens", "max_tokens"],
    ["functionCalls", "tool_calls"],
    ["abort", "other"],
    ["something new", "other"]
  ] as const
  for (const [raw, reason] of table) it(`${raw} → ${reason}`, () => assert.strictEqual(stopReasonOf(raw), reason))
})

describe("toTurns", () => {
  it.effect("keeps a text conversation, drops earlier reasoning", () =>
    Effect.gen(function*() {
      const turns = yield* toTurns({
        ...base,
        messages: [
          { role: "system", kind: "developer", content: [{ _tag: "Text", text: "Be brief." }] },
          { role: "user", content: [{ _tag: "Text", text: "Hi " }, { _tag: "Text", text: "there" }] },
          { role: "assistant", content: [{ _tag: "Reasoning", text: "hmm", signature: undefined }, { _tag: "Text", text: "Hello" }] },
          { role: "user", content: [{ _tag: "Text", text: "Story?" }] }
        ]
      })
      assert.deepStrictEqual(turns, [
        { role: "system", text: "Be brief." },
        { role: "user", text: "Hi there" },
        { role: "assistant", text: "Hello" },
        { role: "user", text: "Story?" }
      ])
    }))

  const refused: ReadonlyArray<readonly [string, Request, string]> = [
    ["tools", { ...base, tools: [{ name: "f", description: undefined, parameters: {}, strict: undefined }] }, "tools"],
    ["structured output", { ...base, responseFormat: { _tag: "JsonSchema", name: undefined, description: undefined, schema: {}, strict: undefined } }, "response_format"],
    ["an image", { ...base, messages: [{ role: "user", content: [{ _tag: "Image", source: { _tag: "Url", url: "https://x/y.png" } }] }] }, "messages[0].content[0]"],
    ["a tool result", { ...base, messages: [{ role: "tool", toolCallId: "c", content: [], isError: undefined }] }, "messages[0]"]
  ]
  for (const [what, request, param] of refused) {
    it.effect(`refuses ${what} naming ${param}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(toTurns(request))
        assert.strictEqual(error.param, param)
        assert.include(error.message, "local models take text only")
      }))
  }
})

describe("pieceEvents and collectResponse", () => {
  const usage = { inputTokens: 3, outputTokens: 2, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
  const end: Piece = { _tag: "End", finish: { reason: "max_tokens", raw: "maxTokens", stopSequence: undefined }, usage }

  it.effect("text pieces become one text block between Start and Finish, and fold back into a response", () =>
    Effect.gen(function*() {
      const events = pieceEvents({ id: "local-1", model: "m", created: 5 })(
        Stream.make<ReadonlyArray<Piece>>({ _tag: "Text", text: "" }, { _tag: "Text", text: "Once" }, { _tag: "Text", text: " upon" }, end)
      )
      const tags = yield* Stream.runCollect(Stream.map(events, (e) => e._tag))
      assert.deepStrictEqual(tags, ["Start", "BlockStart", "BlockDelta", "BlockDelta", "BlockStop", "Finish"])
      const response = yield* collectResponse(events)
      assert.deepStrictEqual(response, {
        id: "local-1",
        model: "m",
        created: 5,
        content: [{ _tag: "Text", text: "Once upon" }],
        finish: end.finish,
        usage
      })
    }))

  it.effect("no text at all is a response without content; a stream without Finish is an error", () =>
    Effect.gen(function*() {
      const empty = yield* collectResponse(pieceEvents({ id: "i", model: "m", created: 0 })(Stream.make<ReadonlyArray<Piece>>(end)))
      assert.deepStrictEqual(empty.content, [])
      const cut = yield* Effect.flip(collectResponse(pieceEvents({ id: "i", model: "m", created: 0 })(Stream.make<ReadonlyArray<Piece>>({ _tag: "Text", text: "x" }))))
      assert.strictEqual(cut.kind, "server")
    }))
})

describe("MLX restart backoff", () => {
  it.effect("grows from about a second and is capped at 30 s", () =>
    Effect.gen(function*() {
      let attempts = 0
      const fiber = yield* Effect.forkChild(Effect.retry(Effect.suspend(() => (attempts++, Effect.fail("crashed"))), defaultRestartSchedule))
      yield* Effect.yieldNow
      assert.strictEqual(attempts, 1)
      // Jitter keeps each delay within ±20 %: 1 s, 2 s, 4 s … then never more than 30 s.
      yield* TestClock.adjust(Duration.millis(1_200))
      assert.strictEqual(attempts, 2)
      yield* TestClock.adjust(Duration.millis(500))
      assert.strictEqual(attempts, 2)
      yield* TestClock.adjust(Duration.minutes(5))
      const afterFiveMinutes = attempts
      yield* TestClock.adjust(Duration.seconds(36))
      assert.isAtLeast(attempts, afterFiveMinutes + 1)
      yield* Fiber.interrupt(fiber)
    }))
})
