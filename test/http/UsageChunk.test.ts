import { describe, expect, it } from "vitest"
import { asksForUsage, withholdUsageChunk, withUsageAsked } from "../../src/http/UsageChunk.ts"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const chunk = (json: string) => `data: ${json}\n\n`

describe("asking for a Chat Completions stream's usage on the caller's behalf", () => {
  it.each([
    [{ model: "m", stream: true }, true],
    [{ model: "m", stream: false }, false],
    [{ model: "m" }, false],
    [{ model: "m", stream: true, stream_options: { include_usage: false } }, false],
    [{ model: "m", stream: true, stream_options: { include_usage: true } }, false],
    [{ model: "m", stream: true, stream_options: {} }, false],
    ["text", false],
    [null, false]
  ])("%j → %s", (body, expected) => expect(asksForUsage(body)).toBe(expected))

  it("adds stream_options first and keeps every byte of the caller's body", () => {
    const body = ` {"model":"m","stream":true,"temperature":1.0}`
    const asked = withUsageAsked(body)
    expect(asked).toBe(` {"stream_options":{"include_usage":true},"model":"m","stream":true,"temperature":1.0}`)
    expect(JSON.parse(asked)).toEqual({ stream_options: { include_usage: true }, model: "m", stream: true, temperature: 1 })
  })
})

describe("withholdUsageChunk", () => {
  const delta = chunk(`{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}`)
  const plain = chunk(`{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`)
  const usage = chunk(`{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`)
  const done = "data: [DONE]\n\n"

  it("passes events without usage as they are (the same bytes)", () => {
    const events = bytes(plain + plain)
    expect(withholdUsageChunk(events).events).toBe(events)
  })

  it("takes `\"usage\":null` off every chunk, wherever the member is", () => {
    expect(text(withholdUsageChunk(bytes(delta)).events)).toBe(plain)
    const first = chunk(`{"usage":null,"id":"c","choices":[]}`)
    expect(text(withholdUsageChunk(bytes(first)).events)).toBe(chunk(`{"id":"c","choices":[]}`))
    const spaced = chunk(`{"id": "c", "choices": [], "usage": null}`)
    expect(text(withholdUsageChunk(bytes(spaced)).events)).toBe(chunk(`{"id": "c", "choices": []}`))
  })

  it("withholds the usage-only chunk, alone or among others, and returns it", () => {
    const alone = withholdUsageChunk(bytes(usage))
    expect(text(alone.events)).toBe("")
    expect(alone.withheld).toBe(usage)
    const among = withholdUsageChunk(bytes(delta + usage + done))
    expect(text(among.events)).toBe(plain + done)
    expect(among.withheld).toBe(usage)
  })

  it("never touches a usage object a chunk with choices carries, nor text that only mentions usage", () => {
    const both = chunk(`{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`)
    const kept = withholdUsageChunk(bytes(both))
    expect(text(kept.events)).toBe(both)
    expect(kept.withheld).toBeUndefined()
    const mention = chunk(`{"id":"c","choices":[{"index":0,"delta":{"content":"\\"usage\\":null, ok"}}]}`)
    expect(text(withholdUsageChunk(bytes(mention)).events)).toBe(mention)
  })
})
