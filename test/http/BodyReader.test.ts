import { createServer, request as httpRequest, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type BodyRead, decodeUtf8, readBody, refusalOf } from "../../src/http/BodyReader.ts"

describe("decodeUtf8", () => {
  it.each([
    ["ascii", Buffer.from('{"a":1}'), '{"a":1}'],
    ["multi-byte", Buffer.from("ünïcødé ✓ 🚀"), "ünïcødé ✓ 🚀"],
    ["a lone continuation byte", Buffer.from([0x7b, 0x80, 0x7d]), undefined],
    ["an overlong encoding", Buffer.from([0xc0, 0xaf]), undefined],
    ["a truncated sequence", Buffer.from([0xe2, 0x82]), undefined],
    ["a UTF-16 surrogate", Buffer.from([0xed, 0xa0, 0x80]), undefined]
  ])("%s", (_name, bytes, text) => {
    expect(decodeUtf8(bytes)).toBe(text)
  })
})

describe("refusalOf", () => {
  it.each([
    [{ _tag: "TooLarge", limit: 10 }, 413, /larger than the limit of 10 bytes/],
    [{ _tag: "NotUtf8" }, 400, /not valid UTF-8/],
    [{ _tag: "Failed" }, 400, /could not read/]
  ] as const)("%j → %i", (read, status, message) => {
    const refusal = refusalOf(read)
    expect(refusal.status).toBe(status)
    expect(refusal.message).toMatch(message)
  })
})

describe("readBody over a real node request", () => {
  const LIMIT = 64
  let port = 0
  const reads: Array<BodyRead> = []
  const server = createServer((request: IncomingMessage, response) => {
    readBody(request, LIMIT, (read) => {
      reads.push(read)
      response.end(read._tag)
    })
  })
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => {
    port = (server.address() as AddressInfo).port
    resolve()
  })))
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  /** Sends `chunks` one write each, with or without a content-length, and returns the answer. */
  const send = (chunks: ReadonlyArray<Buffer>, declareLength: boolean) =>
    new Promise<string>((resolve, reject) => {
      const total = chunks.reduce((n, c) => n + c.length, 0)
      const request = httpRequest({ host: "127.0.0.1", port, method: "POST", headers: declareLength ? { "content-length": total } : {} }, (response) => {
        let text = ""
        response.on("data", (chunk: Buffer) => (text += chunk.toString()))
        response.on("end", () => resolve(text))
      })
      request.on("error", reject)
      for (const chunk of chunks) request.write(chunk)
      request.end()
    })

  it.each([
    ["a body within the limit", [Buffer.from('{"model":"m"}')], true, "Read"],
    ["a body exactly at the limit", [Buffer.alloc(LIMIT, 0x61)], true, "Read"],
    ["a declared length over the limit", [Buffer.alloc(LIMIT + 1, 0x61)], true, "TooLarge"],
    ["a chunked body growing over the limit", [Buffer.alloc(40, 0x61), Buffer.alloc(40, 0x61)], false, "TooLarge"],
    ["invalid UTF-8", [Buffer.from([0x7b, 0xff, 0x7d])], true, "NotUtf8"],
    ["UTF-8 split across chunks", [Buffer.from([0xe2, 0x9c]), Buffer.from([0x93])], false, "Read"]
  ])("%s → %s", async (_name, chunks, declareLength, tag) => {
    expect(await send(chunks, declareLength)).toBe(tag)
  })
})
