import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Sse from "../../src/formats/Sse.ts"

const decodeChunks = (chunks: ReadonlyArray<string>) =>
  Effect.runSync(Stream.runCollect(Sse.decodeText(Stream.fromIterable(chunks))))

const decodeByteChunks = (chunks: ReadonlyArray<Uint8Array>) =>
  Effect.runSync(Stream.runCollect(Sse.decodeBytes(Stream.fromIterable(chunks))))

describe("Sse.decodeText", () => {
  it.each([
    ["LF", ["data: {\"a\":1}\n\n"]],
    ["CRLF", ["data: {\"a\":1}\r\n\r\n"]],
    ["CR", ["data: {\"a\":1}\r\r"]],
    ["data: without a space", ["data:{\"a\":1}\n\n"]],
    ["comments and keep-alives", [": keep-alive\n\n", ": ping\ndata: {\"a\":1}\n\n", ":\n\n"]],
    ["a CRLF split between chunks", ["data: {\"a\":1}\r", "\n\r", "\n"]],
    ["a line split between chunks", ["da", "ta: {\"a\"", ":1}\n", "\n"]],
    ["no blank line after the last event", ["data: {\"a\":1}"]],
    ["a retry directive (ignored)", ["retry: 3000\n\n", "data: {\"a\":1}\n\n"]],
    ["a byte order mark", ["\uFEFFdata: {\"a\":1}\n\n"]]
  ])("%s", (_, chunks) => {
    expect(decodeChunks(chunks)).toEqual([{ event: "message", data: "{\"a\":1}" }])
  })

  it("joins multi-line data with newlines and keeps event names", () => {
    expect(decodeChunks(["event: message_start\ndata: {\"a\":\ndata: 1}\n\n", "event: ping\ndata: {}\n\n"])).toEqual([
      { event: "message_start", data: "{\"a\":\n1}" },
      { event: "ping", data: "{}" }
    ])
  })

  it("delivers a final [DONE] that lacks its blank line, and a stream without [DONE]", () => {
    expect(decodeChunks(["data: {}\n\ndata: [DONE]\n"])).toEqual([
      { event: "message", data: "{}" },
      { event: "message", data: "[DONE]" }
    ])
    expect(decodeChunks(["data: {}\n\n"])).toEqual([{ event: "message", data: "{}" }])
  })
})

describe("Sse.decodeBytes", () => {
  it("joins a UTF-8 character split across chunks", () => {
    const bytes = new TextEncoder().encode("data: {\"text\":\"héllo 👋\"}\n\n")
    // Split inside the two-byte "é" and inside the four-byte emoji.
    const e = bytes.indexOf(0xc3) + 1
    const wave = bytes.indexOf(0xf0) + 2
    const chunks = [bytes.slice(0, e), bytes.slice(e, wave), bytes.slice(wave)]
    expect(decodeByteChunks(chunks)).toEqual([{ event: "message", data: "{\"text\":\"héllo 👋\"}" }])
  })

  it("reads one byte at a time", () => {
    const bytes = new TextEncoder().encode("event: x\r\ndata: ü\r\n\r\n")
    expect(decodeByteChunks(Array.from(bytes, (byte) => Uint8Array.of(byte)))).toEqual([{ event: "x", data: "ü" }])
  })
})

describe("Sse.encode", () => {
  it("writes named JSON events, unnamed JSON events and [DONE], one string each", () => {
    expect(Sse.encode(Sse.json({ type: "ping" }, "ping"))).toBe("event: ping\ndata: {\"type\":\"ping\"}\n\n")
    expect(Sse.encode(Sse.json({ a: 1 }))).toBe("data: {\"a\":1}\n\n")
    expect(Sse.encode(Sse.done)).toBe("data: [DONE]\n\n")
  })

  it("keeps data on a single line, whatever the text holds", () => {
    const text = Sse.encode(Sse.json({ text: "line 1\nline 2\r\n\u2028end" }, "content_block_delta"))
    expect(text.split("\n").filter((line) => line.startsWith("data:"))).toHaveLength(1)
    expect(decodeChunks([text])).toEqual([{ event: "content_block_delta", data: JSON.stringify({ text: "line 1\nline 2\r\n\u2028end" }) }])
  })

  it("encodeBytes gives one chunk per event", () => {
    const chunks = Effect.runSync(Stream.runCollect(Sse.encodeBytes(Stream.make(Sse.json({ a: 1 }), Sse.done))))
    expect(chunks.map((chunk) => new TextDecoder().decode(chunk))).toEqual(["data: {\"a\":1}\n\n", "data: [DONE]\n\n"])
  })
})
