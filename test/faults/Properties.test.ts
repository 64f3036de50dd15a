/**
 * Property-based tests (fast-check) for what every request and stream goes through:
 *
 * - the SSE parser (`src/formats/Sse.ts`): any event list, written in any of the three line-ending
 *   styles, gives the same events however its text or bytes are cut into chunks (UTF-8 sequences
 *   split too), and what `Sse.encode` writes reads back as written;
 * - the pass-through framer (`src/http/SseFraming.ts`): whatever the chunks, the bytes come out
 *   unchanged and only ever in whole events;
 * - the request translators (`src/formats/<format>/Request.ts`): a random request made of what
 *   all three formats express, encoded to a format and decoded back, is the request it was, and
 *   so is one that crosses from any format to any other;
 * - the stream translators: a random streamed answer (text blocks, tool calls with arguments cut
 *   anywhere, usage) written in a format and read back from random chunks gives the same events
 *   as read whole, and the same blocks, end and usage as written; a complete response written and
 *   read back in each format says the same too.
 *
 * Runs are bounded (200 cases each) and seeded by fast-check; a failure prints its seed and the
 * shrunk counterexample, so it can be replayed with `{ seed, path }`.
 */
import { Effect, Stream } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { FunctionTool, Message, Request, Response, StreamEvent, ToolChoice } from "../../src/formats/Canonical.ts"
import * as Sse from "../../src/formats/Sse.ts"
import * as AnthropicRequest from "../../src/formats/anthropic-messages/Request.ts"
import * as ResponsesRequest from "../../src/formats/open-responses/Request.ts"
import * as OpenAiRequest from "../../src/formats/openai-chat/Request.ts"
import { anthropicMessages, type HttpFormat, openAiChat, openResponses } from "../../src/http/Formats.ts"
import { makeEventFramer } from "../support/EventFramer.ts"
import { canonicalRequest } from "../support/CanonicalRequest.ts"

const RUNS = { numRuns: 200 }

// ---------------------------------------------------------------------------------------------
// SSE
// ---------------------------------------------------------------------------------------------

/** A value on one SSE line: no CR or LF. */
const lineText = fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, " "))

interface SseEvent {
  /** `undefined`: no `event:` line (the parser reports `message`). */
  readonly event: string | undefined
  readonly dataLines: ReadonlyArray<string>
  /** A comment line before the event (a keep-alive). */
  readonly comment: string | undefined
}

const sseEvent: fc.Arbitrary<SseEvent> = fc.record({
  // A name made of a space or a colon only would read differently; names are tokens in practice.
  event: fc.option(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,15}$/), { nil: undefined }),
  dataLines: fc.array(lineText, { minLength: 1, maxLength: 3 }),
  comment: fc.option(lineText, { nil: undefined })
})

const lineEnding = fc.constantFrom("\n", "\r\n", "\r")

/** The event stream as text, and the offsets just past each event's blank line. */
const writeStream = (events: ReadonlyArray<SseEvent>, eol: string) => {
  let text = ""
  const ends: Array<number> = []
  for (const e of events) {
    if (e.comment !== undefined) text += `:${e.comment}${eol}`
    if (e.event !== undefined) text += `event: ${e.event}${eol}`
    for (const line of e.dataLines) text += `data: ${line}${eol}`
    text += eol
    ends.push(text.length)
  }
  return { text, ends }
}

const expected = (events: ReadonlyArray<SseEvent>): Array<Sse.InboundEvent> =>
  events.map((e) => ({ event: e.event ?? "message", data: e.dataLines.join("\n") }))

/** Cuts `length` units at sorted random offsets. */
const cutPoints = (length: number) => fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 12 }).map((points) => points.filter((p) => p < length).sort((a, b) => a - b))

const cut = <A extends { slice: (start: number, end?: number) => A }>(whole: A, length: number, points: ReadonlyArray<number>): Array<A> => {
  const out: Array<A> = []
  let start = 0
  for (const point of points) {
    out.push(whole.slice(start, point))
    start = point
  }
  out.push(whole.slice(start, length))
  return out
}

const decodeText = (chunks: ReadonlyArray<string>) => Effect.runSync(Stream.runCollect(Sse.decodeText(Stream.fromIterable(chunks))))
const decodeBytes = (chunks: ReadonlyArray<Uint8Array>) => Effect.runSync(Stream.runCollect(Sse.decodeBytes(Stream.fromIterable(chunks))))

/** An event stream, its line-ending style, and where to cut its text. */
const streamAndCuts = fc.tuple(fc.array(sseEvent, { minLength: 1, maxLength: 6 }), lineEnding).chain(([events, eol]) => {
  const written = writeStream(events, eol)
  return fc.tuple(fc.constant(events), fc.constant(eol), fc.constant(written), cutPoints(written.text.length))
})

describe("SSE parser", () => {
  it("any event list, in any line-ending style, parses to its events whatever the text chunks", () => {
    fc.assert(
      fc.property(streamAndCuts, ([events, , written, points]) => {
        expect(decodeText(cut(written.text, written.text.length, points))).toEqual(expected(events))
      }),
      RUNS
    )
  })

  it("the same from bytes cut anywhere, inside UTF-8 sequences too", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.array(sseEvent, { minLength: 1, maxLength: 6 }), lineEnding).chain(([events, eol]) => {
          const bytes = new TextEncoder().encode(writeStream(events, eol).text)
          return fc.tuple(fc.constant(events), fc.constant(bytes), cutPoints(bytes.length))
        }),
        ([events, bytes, points]) => {
          expect(decodeBytes(cut(bytes, bytes.length, points))).toEqual(expected(events))
        }
      ),
      RUNS
    )
  })

  it("what Sse.encode writes reads back as written, whatever the chunks", () => {
    const outbound = fc.array(
      fc.oneof(
        fc.record({ data: fc.dictionary(fc.string(), fc.jsonValue()), event: fc.option(fc.stringMatching(/^[a-z_]{1,20}$/), { nil: undefined }) })
          .map(({ data, event }) => Sse.json(data, event)),
        fc.constant(Sse.done)
      ),
      { minLength: 1, maxLength: 5 }
    )
    fc.assert(
      fc.property(outbound.chain((events) => {
        const text = events.map(Sse.encode).join("")
        return fc.tuple(fc.constant(events), fc.constant(text), cutPoints(text.length))
      }), ([events, text, points]) => {
        expect(decodeText(cut(text, text.length, points))).toEqual(events.map((e) =>
          e._tag === "Done" ? { event: "message", data: "[DONE]" } : { event: e.event ?? "message", data: JSON.stringify(e.data) }
        ))
      }),
      RUNS
    )
  })
})

describe("pass-through SSE framing", () => {
  it("forwards the bytes unchanged, only ever in whole events, whatever the chunks", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.array(sseEvent, { minLength: 1, maxLength: 6 }), lineEnding, fc.boolean()).chain(([events, eol, unfinished]) => {
          const written = writeStream(events, eol)
          // Sometimes the upstream stops in the middle of a last event.
          const text = unfinished ? `${written.text}data: half` : written.text
          const bytes = new TextEncoder().encode(text)
          const ends = written.ends.map((end) => new TextEncoder().encode(written.text.slice(0, end)).length)
          return fc.tuple(fc.constant(bytes), fc.constant(ends), cutPoints(bytes.length))
        }),
        ([bytes, ends, points]) => {
          const framer = makeEventFramer()
          const out: Array<number> = []
          let emitted = 0
          for (const chunk of cut(bytes, bytes.length, points)) {
            const whole = framer.push(chunk)
            if (whole === undefined) continue
            emitted += whole.length
            out.push(...whole)
            // Every write ends exactly where an event ends.
            expect(ends).toContain(emitted)
          }
          const rest = framer.rest()
          if (rest !== undefined) out.push(...rest)
          expect(Uint8Array.from(out)).toEqual(bytes)
          // Only the unfinished tail (if any) was held back to the end.
          expect(emitted).toBe(ends[ends.length - 1])
        }
      ),
      RUNS
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Request translators
// ---------------------------------------------------------------------------------------------

/** Text the three formats carry as is: non-empty, not only white space (Anthropic refuses that). */
const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== "")
const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/)
const callId = fc.stringMatching(/^call_[A-Za-z0-9]{4,12}$/)
const argumentsJson = fc.dictionary(identifier, fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }).map((args) => JSON.stringify(args))

const textParts = fc.array(text.map((t) => ({ _tag: "Text" as const, text: t })), { minLength: 1, maxLength: 2 })

/**
 * One exchange: a user turn, then the assistant's answer (with tool calls and their results).
 * Only the last exchange may lack an answer: two user turns in a row are one turn to Anthropic,
 * which merges them.
 */
/** The assistant's answer: some text, tool calls, or both. */
const answerTurn = fc.record({
  text: fc.option(text, { nil: undefined }),
  calls: fc.uniqueArray(fc.record({ id: callId, name: identifier, arguments: argumentsJson }), { maxLength: 2, selector: (c) => c.id })
}).filter((a) => a.text !== undefined || a.calls.length > 0)

const exchange = (last: boolean): fc.Arbitrary<ReadonlyArray<Message>> => fc.record({
  user: textParts,
  assistant: last ? fc.option(answerTurn, { nil: undefined }) : answerTurn.map((a): typeof a | undefined => a),
  results: fc.array(text, { minLength: 2, maxLength: 2 })
}).map(({ user, assistant, results }): ReadonlyArray<Message> => [
  { role: "user", content: user },
  ...(assistant === undefined ? [] : [
    {
      role: "assistant" as const,
      content: [
        ...(assistant.text === undefined ? [] : [{ _tag: "Text" as const, text: assistant.text }]),
        ...assistant.calls.map((call) => ({ _tag: "ToolCall" as const, ...call }))
      ]
    },
    ...assistant.calls.map((call, i) => ({
      role: "tool" as const,
      toolCallId: call.id,
      content: [{ _tag: "Text" as const, text: results[i]! }],
      isError: undefined
    }))
  ])
])

const tool: fc.Arbitrary<FunctionTool> = fc.record({
  name: identifier,
  description: fc.option(text, { nil: undefined }),
  parameters: fc.dictionary(identifier, fc.constantFrom({ type: "string" }, { type: "number" }, { type: "boolean" }), { maxKeys: 3 })
    .map((properties) => ({ type: "object", properties })),
  strict: fc.constant(undefined)
})

/** A request made of what every format expresses. */
const request: fc.Arbitrary<Request> = fc.record({
  system: fc.option(text, { nil: undefined }),
  exchanges: fc.tuple(fc.array(exchange(false), { maxLength: 2 }), exchange(true)).map(([first, last]) => [...first, last]),
  tools: fc.option(fc.uniqueArray(tool, { minLength: 1, maxLength: 3, selector: (t) => t.name }), { nil: undefined }),
  choice: fc.constantFrom<"auto" | "none" | "required" | "named" | undefined>("auto", "none", "required", "named", undefined),
  maxTokens: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
  temperature: fc.option(fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
  topP: fc.option(fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
  stopSequences: fc.option(fc.array(text, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  stream: fc.boolean()
}).map((r): Request => {
  const toolChoice: ToolChoice | undefined = r.tools === undefined || r.choice === undefined
    ? undefined
    : r.choice === "named"
    ? { _tag: "Named", name: r.tools[0]!.name }
    : { _tag: r.choice === "auto" ? "Auto" : r.choice === "none" ? "None" : "Required" }
  return canonicalRequest({
    messages: [...(r.system === undefined ? [] : [{ role: "system" as const, kind: "system" as const, content: [{ _tag: "Text" as const, text: r.system }] }]), ...r.exchanges.flat()],
    tools: r.tools,
    toolChoice,
    maxTokens: r.maxTokens,
    temperature: r.temperature,
    topP: r.topP,
    stopSequences: r.stopSequences,
    stream: r.stream
  })
})

interface Translator {
  readonly name: string
  readonly fromCanonical: (request: Request) => Effect.Effect<object, unknown>
  readonly toCanonical: (body: unknown) => Effect.Effect<Request, unknown>
  /** What a request reads as after a trip through the format: its defaults added, what it cannot say dropped. */
  readonly expressible: (request: Request) => Request
  /** Whether the format has stop sequences (Open Responses has none, and refuses them rather than drop them). */
  readonly stopSequences: boolean
}

/** The request without what one of `translators` refuses outright. */
const acceptedBy = (request: Request, ...translators: ReadonlyArray<Translator>): Request =>
  translators.every((t) => t.stopSequences) ? request : { ...request, stopSequences: undefined }

/** Drops `undefined` fields, so `{ a: undefined }` and `{}` compare equal. */
const normalised = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

/** Tool-call arguments compared as JSON values (Anthropic carries an object and writes it back). */
const withParsedArguments = (request: Request): unknown =>
  normalised({
    ...request,
    messages: request.messages.map((m) =>
      m.role === "assistant"
        ? { ...m, content: m.content.map((part) => part._tag === "ToolCall" ? { ...part, arguments: JSON.parse(part.arguments) as unknown } : part) }
        : m
    )
  })

const translators: ReadonlyArray<Translator> = [
  {
    name: "openai-chat",
    fromCanonical: (r) => OpenAiRequest.fromCanonical(r),
    toCanonical: OpenAiRequest.toCanonical,
    // A streamed request always asks for usage (callers of other formats expect it).
    expressible: (r) => ({ ...r, includeUsage: r.stream ? true : undefined }),
    stopSequences: true
  },
  {
    name: "anthropic-messages",
    fromCanonical: (r) => AnthropicRequest.fromCanonical(r),
    toCanonical: AnthropicRequest.toCanonical,
    // `max_tokens` is required: the default fills in for a request without one.
    expressible: (r) => ({ ...r, maxTokens: r.maxTokens ?? AnthropicRequest.DEFAULT_MAX_TOKENS, includeUsage: undefined }),
    stopSequences: true
  },
  {
    name: "open-responses",
    fromCanonical: ResponsesRequest.fromCanonical,
    // `origin` says where each field came from, for naming it in errors (FieldPath.ts): not content.
    toCanonical: (body) => Effect.map(ResponsesRequest.toCanonical(body), ({ origin: _origin, ...request }) => request),
    // Usage always comes with a response; there is nothing to ask for. `strict` defaults to true
    // in Open Responses, so a tool that does not say is written as non-strict, as elsewhere.
    expressible: (r) => ({ ...r, includeUsage: undefined, tools: r.tools?.map((t) => ({ ...t, strict: t.strict ?? false })) }),
    stopSequences: false
  }
]

describe("request translators", () => {
  for (const translator of translators) {
    it(`canonical → ${translator.name} → canonical keeps every field the format expresses`, () => {
      fc.assert(
        fc.property(request.map((r) => acceptedBy(r, translator)), (original) => {
          const wire = Effect.runSync(translator.fromCanonical(original))
          // Through JSON text, as it travels.
          const back = Effect.runSync(translator.toCanonical(JSON.parse(JSON.stringify(wire))))
          expect(withParsedArguments({ ...back, model: original.model })).toEqual(withParsedArguments(translator.expressible(original)))
        }),
        RUNS
      )
    })
  }

  for (const from of translators) {
    for (const to of translators) {
      if (from === to) continue
      it(`${from.name} → canonical → ${to.name} → canonical keeps what both express`, () => {
        fc.assert(
          fc.property(request.map((r) => acceptedBy(r, from, to)), (original) => {
            const inbound = Effect.runSync(from.toCanonical(JSON.parse(JSON.stringify(Effect.runSync(from.fromCanonical(original))))))
            const outbound = Effect.runSync(to.toCanonical(JSON.parse(JSON.stringify(Effect.runSync(to.fromCanonical(inbound))))))
            expect(withParsedArguments(outbound)).toEqual(withParsedArguments(to.expressible(from.expressible(original))))
          }),
          RUNS
        )
      })
    }
  }
})

// ---------------------------------------------------------------------------------------------
// Stream translators
// ---------------------------------------------------------------------------------------------

type Block = { readonly _tag: "Text"; readonly parts: ReadonlyArray<string> } | {
  readonly _tag: "ToolCall"
  readonly id: string
  readonly name: string
  readonly args: string
  /** Where the argument text is cut into deltas. */
  readonly cuts: ReadonlyArray<number>
}

/** A streamed answer: text blocks and tool calls one after the other, then the end with usage. */
const answer = fc.record({
  blocks: fc.array(
    fc.oneof(
      fc.array(text, { minLength: 1, maxLength: 3 }).map((parts): Block => ({ _tag: "Text", parts })),
      fc.record({ id: callId, name: identifier, args: argumentsJson }).chain((call) =>
        cutPoints(call.args.length).map((cuts): Block => ({ _tag: "ToolCall", ...call, cuts }))
      )
    ),
    { minLength: 1, maxLength: 4 }
  ).filter((blocks) => new Set(blocks.flatMap((b) => b._tag === "ToolCall" ? [b.id] : [])).size === blocks.filter((b) => b._tag === "ToolCall").length),
  inputTokens: fc.integer({ min: 1, max: 10_000 }),
  outputTokens: fc.integer({ min: 1, max: 10_000 })
})

const streamEvents = (a: typeof answer extends fc.Arbitrary<infer A> ? A : never): Array<StreamEvent> => {
  const events: Array<StreamEvent> = [{ _tag: "Start", id: "resp_fault01", model: "m", created: 1_700_000_000, usage: undefined }]
  a.blocks.forEach((block, index) => {
    if (block._tag === "Text") {
      events.push({ _tag: "BlockStart", index, block: { _tag: "Text" } })
      for (const part of block.parts) events.push({ _tag: "BlockDelta", index, delta: { _tag: "Text", text: part } })
    } else {
      events.push({ _tag: "BlockStart", index, block: { _tag: "ToolCall", id: block.id, name: block.name } })
      for (const json of cut(block.args, block.args.length, block.cuts)) events.push({ _tag: "BlockDelta", index, delta: { _tag: "ToolArguments", json } })
    }
    events.push({ _tag: "BlockStop", index })
  })
  const usage = { inputTokens: a.inputTokens, outputTokens: a.outputTokens, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
  const reason = a.blocks.some((b) => b._tag === "ToolCall") ? "tool_calls" : "end_turn"
  events.push({ _tag: "Finish", finish: { reason, raw: undefined, stopSequence: undefined }, usage })
  return events
}

/** What a caller gets out of a stream, however its deltas are cut: each block whole, the end, the usage. */
const outcome = (events: ReadonlyArray<StreamEvent>) => {
  const blocks = new Map<number, { kind: string; id?: string; name?: string; text: string }>()
  let finish: string | undefined
  let usage: readonly [number, number] | undefined
  let error: string | undefined
  for (const event of events) {
    switch (event._tag) {
      case "BlockStart":
        blocks.set(event.index, event.block._tag === "ToolCall"
          ? { kind: "tool", id: event.block.id, name: event.block.name, text: "" }
          : { kind: event.block._tag, text: "" })
        break
      case "BlockDelta": {
        const block = blocks.get(event.index)!
        if (event.delta._tag === "Text" || event.delta._tag === "ToolArguments") block.text += event.delta._tag === "Text" ? event.delta.text : event.delta.json
        break
      }
      case "Finish":
        finish = event.finish.reason
        if (event.usage !== undefined) usage = [event.usage.inputTokens, event.usage.outputTokens]
        break
      case "Error":
        error = event.error.kind
        break
      default:
    }
  }
  return {
    blocks: Array.from(blocks.values()).map((b) => b.kind === "tool" ? { ...b, text: JSON.parse(b.text) as unknown } : b),
    finish,
    usage,
    error
  }
}

const streamFormats: ReadonlyArray<HttpFormat> = [openAiChat, anthropicMessages, openResponses]

/**
 * The outcome as `format` can say it: a Chat Completions message has one `content` string, so
 * its text blocks are one text (in order), beside the tool calls.
 */
const answerOf = (format: HttpFormat, events: ReadonlyArray<StreamEvent>) => {
  const o = outcome(events)
  if (format !== openAiChat) return o
  const texts = o.blocks.filter((b) => b.kind === "Text")
  return {
    ...o,
    blocks: [...(texts.length === 0 ? [] : [{ kind: "Text", text: texts.map((b) => b.text).join("") }]), ...o.blocks.filter((b) => b.kind !== "Text")]
  }
}

/** The caller's request behind a stream (some encoders need its options). */
const streamRequest = canonicalRequest({ model: "m", messages: [{ role: "user", content: [{ _tag: "Text", text: "hi" }] }], stream: true, includeUsage: true })

describe("stream translators", () => {
  for (const format of streamFormats) {
    it(`a stream written as ${format.wire} and read back in random chunks gives the same answer`, () => {
      fc.assert(
        fc.property(
          answer.chain((a) => {
            const events = streamEvents(a)
            const written = Effect.runSync(Stream.runCollect(format.encodeStream(streamRequest)(Stream.fromIterable(events)).pipe(Sse.encodeStream))).join("")
            return fc.tuple(fc.constant(events), fc.constant(written), cutPoints(written.length))
          }),
          ([events, written, points]) => {
            const read = (chunks: ReadonlyArray<string>) =>
              Effect.runSync(Stream.runCollect(format.decodeStream(Sse.decodeText(Stream.fromIterable(chunks)))))
            const whole = read([written])
            expect(read(cut(written, written.length, points))).toEqual(whole)
            expect(answerOf(format, whole)).toEqual(answerOf(format, events))
          }
        ),
        RUNS
      )
    })
  }
})

describe("response translators", () => {
  /** A complete answer with the same shape as the streamed ones. */
  const response = answer.map((a): Response => ({
    id: "resp_fault01",
    model: "m",
    created: 1_700_000_000,
    content: a.blocks.map((block) =>
      block._tag === "Text" ? { _tag: "Text" as const, text: block.parts.join("") } : { _tag: "ToolCall" as const, id: block.id, name: block.name, arguments: block.args }
    ),
    finish: { reason: a.blocks.some((b) => b._tag === "ToolCall") ? "tool_calls" : "end_turn", raw: undefined, stopSequence: undefined },
    usage: { inputTokens: a.inputTokens, outputTokens: a.outputTokens, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
  }))

  /** A response as the events of a stream that says the same, so both are compared alike. */
  const asEvents = (r: Response): Array<StreamEvent> => [
    { _tag: "Start", id: r.id, model: r.model, created: r.created, usage: undefined },
    ...r.content.flatMap((part, index): Array<StreamEvent> =>
      part._tag === "Text"
        ? [{ _tag: "BlockStart", index, block: { _tag: "Text" } }, { _tag: "BlockDelta", index, delta: { _tag: "Text", text: part.text } }]
        : part._tag === "ToolCall"
        ? [{ _tag: "BlockStart", index, block: { _tag: "ToolCall", id: part.id, name: part.name } }, { _tag: "BlockDelta", index, delta: { _tag: "ToolArguments", json: part.arguments } }]
        : []
    ),
    { _tag: "Finish", finish: r.finish, usage: r.usage }
  ]

  for (const format of streamFormats) {
    it(`a response written as ${format.wire} and read back says the same`, () => {
      fc.assert(
        fc.property(response, (original) => {
          const back = Effect.runSync(format.decodeResponse(JSON.parse(JSON.stringify(format.encodeResponse(original, { ...streamRequest, stream: false })))))
          expect(answerOf(format, asEvents(back))).toEqual(answerOf(format, asEvents(original)))
          expect(back.id).toBe(original.id)
        }),
        RUNS
      )
    })
  }
})
