/**
 * Pass-through streams are forwarded in whole events, so a stall mid-event ends with a clean
 * error event instead of one glued onto half a line.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import OpenAI, { APIError } from "openai"
import { endOfLastEvent } from "../../src/http/SseFraming.ts"
import { makeEventFramer } from "../support/EventFramer.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider } from "../support/SwitchboardProcess.ts"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))

describe("endOfLastEvent", () => {
  it.each([
    ["", 0],
    ["data: a", 0],
    ["data: a\n", 0],
    ["data: a\n\n", 9],
    ["data: a\n\ndata: b", 9],
    ["data: a\n\ndata: b\n\n", 18],
    ["data: a\r\n\r\n", 11],
    ["data: a\r\n\r\ndata: b\r\n", 11],
    ["data: a\r\rdata", 9],
    [": keep-alive\n\n", 14]
  ] as const)("%j → %i", (input, end) => {
    assert.strictEqual(endOfLastEvent(bytes(input)), end)
  })
})

describe("makeEventFramer", () => {
  it("holds an unfinished event until its blank line, across chunks", () => {
    const framer = makeEventFramer()
    assert.strictEqual(text(framer.push(bytes("data: {\"a\""))), undefined)
    assert.strictEqual(text(framer.push(bytes(":1}\n\ndata: {\"b\""))), "data: {\"a\":1}\n\n")
    assert.strictEqual(text(framer.push(bytes(":2}\n"))), undefined)
    assert.strictEqual(text(framer.push(bytes("\n"))), "data: {\"b\":2}\n\n")
    assert.strictEqual(text(framer.rest()), undefined)
  })

  it("gives back an unterminated tail at a normal end", () => {
    const framer = makeEventFramer()
    assert.strictEqual(text(framer.push(bytes("data: [DONE]"))), undefined)
    assert.strictEqual(text(framer.rest()), "data: [DONE]")
  })
})

describe("a pass-through stream that stalls mid-event", () => {
  let upstream: Server
  let switchboard: SwitchboardProcess

  beforeAll(async () => {
    // An OpenAI-compatible upstream that writes one whole chunk, then half of the next, then nothing.
    upstream = createServer((req, res) => {
      if (req.url === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json" })
        return res.end(JSON.stringify({ object: "list", data: [{ id: "half", object: "model", created: 0, owned_by: "t" }] }))
      }
      res.writeHead(200, { "content-type": "text/event-stream" })
      const chunk = { id: "c1", object: "chat.completion.chunk", created: 0, model: "half", choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }] }
      res.write(`data: ${JSON.stringify(chunk)}\n\n`)
      res.write(`data: {"id":"c1","object":"chat.completion.chu`)
    })
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
    const { port } = upstream.address() as AddressInfo
    switchboard = await startSwitchboard({
      config: { version: 1, providers: [{ id: "up", name: "Up", protocol: "http", host: "127.0.0.1", port, timeoutSeconds: 1 }] }
    })
    await waitForProvider(switchboard.url, "up", "connected")
  })

  afterAll(async () => {
    await switchboard?.stop()
    upstream?.closeAllConnections()
    await new Promise((r) => upstream?.close(r))
  })

  it("delivers the whole events, drops the half one, and ends with an error the SDK reads", async () => {
    const raw = await (await fetch(`${switchboard.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "up/half", stream: true, messages: [{ role: "user", content: "hi" }] })
    })).text()
    const events = raw.split("\n\n").filter((e) => e !== "")
    assert.strictEqual(events.length, 2, raw)
    assert.include(events[0], "\"content\":\"Hi\"")
    assert.match(events[1]!, /^data: \{"error":/)
    assert.notInclude(raw, "chat.completion.chu\"")

    const client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const stream = await client.chat.completions.create({ model: "up/half", stream: true, messages: [{ role: "user", content: "hi" }] })
    const contents: Array<string> = []
    let error: unknown
    try {
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content ?? "")
    } catch (e) {
      error = e
    }
    assert.deepStrictEqual(contents, ["Hi"])
    assert.instanceOf(error, APIError)
    assert.include((error as APIError).message, "no answer from up (127.0.0.1) within 1 s")
  })
})
