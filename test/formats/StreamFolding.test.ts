/**
 * The stream folds run step by step, without Effect (`Sse.makeDecoder`, `StreamDecoding.run`,
 * `HttpFormat.streamDecoder`/`streamEncoder`), as the fast lane's translation exchange runs them:
 * they must give exactly what the `Stream` wrappers give, for every recorded stream, however the
 * bytes are cut.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Result, Stream } from "effect"
import type { StreamEvent } from "../../src/formats/Canonical.ts"
import * as Sse from "../../src/formats/Sse.ts"
import * as StreamDecoding from "../../src/formats/StreamDecoding.ts"
import { formats, type HttpFormat } from "../../src/http/Formats.ts"
import { fixture } from "./Fixtures.ts"

const bytes = (text: string) => new TextEncoder().encode(text)

/** Every event `makeDecoder` gives for `chunks`, then `end`. */
const decodeAll = (chunks: ReadonlyArray<string | Uint8Array>): ReadonlyArray<Sse.InboundEvent> => {
  const decoder = Sse.makeDecoder()
  const out: Array<Sse.InboundEvent> = []
  for (const chunk of chunks) out.push(...Result.getOrThrow(decoder.feed(chunk)))
  out.push(...Result.getOrThrow(decoder.end()))
  return out
}

describe("Sse.makeDecoder", () => {
  it.each([
    ["LF", ["data: {\"a\":1}\n\n"]],
    ["CRLF split between chunks", ["data: {\"a\":1}\r", "\n\r", "\n"]],
    ["a line split between chunks", ["da", "ta: {\"a\"", ":1}\n", "\n"]],
    ["no blank line after the last event (flushed by end)", ["data: {\"a\":1}"]],
    ["a retry directive (ignored)", ["retry: 3000\n\n", "data: {\"a\":1}\n\n"]],
    ["comments", [": keep-alive\n\n", "data: {\"a\":1}\n\n"]]
  ])("%s", (_, chunks) => {
    expect(decodeAll(chunks)).toEqual([{ event: "message", data: "{\"a\":1}" }])
  })

  it("gives each event as soon as its blank line arrives", () => {
    const decoder = Sse.makeDecoder()
    expect(Result.getOrThrow(decoder.feed("event: a\ndata: 1\n"))).toEqual([])
    expect(Result.getOrThrow(decoder.feed("\nevent: b\ndata: 2"))).toEqual([{ event: "a", data: "1" }])
    expect(Result.getOrThrow(decoder.end())).toEqual([{ event: "b", data: "2" }])
  })

  it("joins UTF-8 characters split across byte chunks", () => {
    const all = bytes("data: {\"text\":\"héllo 👋\"}\n\n")
    const chunks = Array.from(all, (byte) => Uint8Array.of(byte))
    expect(decodeAll(chunks)).toEqual([{ event: "message", data: "{\"text\":\"héllo 👋\"}" }])
  })

  it("fails on an event over the parser's limit", () => {
    const decoder = Sse.makeDecoder()
    const huge = `data: ${"x".repeat(11 * 1024 * 1024)}`
    expect(Result.isFailure(decoder.feed(huge))).toBe(true)
  })
})

describe("StreamDecoding.run", () => {
  /** A fold that numbers its inputs and says how many it saw at the end. */
  const counter: StreamDecoding.Fold<number, string, string> = {
    initial: 0,
    step: (n, input) => [n + 1, [`${n}:${input}`]],
    halt: (n) => [`seen ${n}`]
  }

  it.each([
    [[], ["seen 0"]],
    [["a"], ["0:a", "seen 1"]],
    [["a", "b", "c"], ["0:a", "1:b", "2:c", "seen 3"]]
  ])("%j", (inputs, expected) => {
    const folding = StreamDecoding.run(counter)
    expect([...inputs.flatMap(folding.push), ...folding.end()]).toEqual(expected)
  })

  it("each run starts from the initial state", () => {
    const a = StreamDecoding.run(counter)
    a.push("x")
    expect(StreamDecoding.run(counter).push("y")).toEqual(["0:y"])
  })
})

/** Fixture streams of each format, with every other format as the caller. */
const FIXTURES: ReadonlyArray<readonly [HttpFormat, string]> = [
  ...["text", "parallel-tool-calls", "reasoning-content", "reasoning-details", "refusal", "error-mid-stream"]
    .map((name) => [formats.openai, `openai-chat/${name}.sse`] as const),
  ...["text", "parallel-tool-calls", "redacted-thinking", "thinking-refusal", "tool-use", "error-mid-stream"]
    .map((name) => [formats.anthropic, `anthropic-messages/${name}.sse`] as const),
  ...["text", "parallel-tool-calls", "reasoning-summary", "reasoning-text", "incomplete", "error-mid-stream"]
    .map((name) => [formats.responses, `open-responses/${name}.sse`] as const)
]

const request = { model: "m", messages: [], stream: true, includeUsage: true } as never

/** With the clock fixed, both runs stamp the same `created`. */
const withFixedClock = <A>(f: () => A): A => {
  const now = Date.now
  Date.now = () => 1_735_689_600_000
  try {
    return f()
  } finally {
    Date.now = now
  }
}

describe("step-by-step translation = the Stream pipeline", () => {
  for (const [provider, path] of FIXTURES) {
    for (const inbound of Object.values(formats)) {
      it(`${path} → ${inbound.wire}`, () =>
        withFixedClock(() => {
          const text = fixture(path)
          const viaStream = Effect.runSync(Stream.runCollect(
            Stream.make(bytes(text)).pipe(Sse.decodeBytes, provider.decodeStream, inbound.encodeStream(request), Sse.encodeStream)
          ))

          // Cut in 7-byte pieces, through the step-by-step drivers.
          const sse = Sse.makeDecoder()
          const decoder = provider.streamDecoder()
          const encoder = inbound.streamEncoder(request)
          const out: Array<string> = []
          const encode = (events: ReadonlyArray<StreamEvent>) => {
            for (const event of events) for (const outbound of encoder.push(event)) out.push(Sse.encode(outbound))
          }
          const all = bytes(text)
          for (let i = 0; i < all.length; i += 7) {
            for (const event of Result.getOrThrow(sse.feed(all.subarray(i, i + 7)))) encode(decoder.push(event))
          }
          for (const event of Result.getOrThrow(sse.end())) encode(decoder.push(event))
          encode(decoder.end())
          for (const outbound of encoder.end()) out.push(Sse.encode(outbound))

          expect(out).toEqual(viaStream)
        }))
    }
  }
})
