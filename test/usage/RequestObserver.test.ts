/**
 * The tap on a real node server: what it keeps of an answer (the first chunk as it is; a stream's
 * head copied into one buffer up to `KEEP`; the last `KEEP` bytes as the tail), the request id in
 * the head, and an observation that ends once, when the caller goes away too.
 */
import { afterEach, describe, expect, it } from "vitest"
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { KEEP, ObservedMessage, type ObservedRequest, observing, REQUEST_ID_HEADER, TappedResponse } from "../../src/usage/RequestObserver.ts"

const text = (chunks: ReadonlyArray<string | Uint8Array> | undefined) =>
  chunks === undefined ? undefined : chunks.map((chunk) => typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")).join("")

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => server === undefined ? resolve() : server.close(() => resolve())))

/** A server whose every POST to /v1/chat/completions is observed, answered by `answer`. */
const serve = async (answer: (response: ServerResponse) => void) => {
  const observed: Array<ObservedRequest> = []
  const front = observing((path) => path === "/v1/chat/completions" ? "openai" : undefined, (one) => void observed.push(one), undefined)
  server = createServer({ IncomingMessage: ObservedMessage as typeof IncomingMessage, ServerResponse: TappedResponse as typeof ServerResponse }, (req, res) =>
    front(req, res, (_, response) => answer(response)))
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve))
  return { port: (server.address() as AddressInfo).port, observed }
}

const post = (port: number, onResponse: (headers: Record<string, unknown>, body: string) => void = () => {}) =>
  new Promise<void>((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", path: "/v1/chat/completions", method: "POST", headers: { "user-agent": "tap-test" } }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (part: string) => void (body += part))
      res.on("end", () => {
        onResponse(res.headers, body)
        resolve()
      })
    })
    req.on("error", reject)
    req.end("{}")
  })

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe("the tap", () => {
  it("keeps a one-chunk answer whole, puts the request id in the head, and ends the observation once", async () => {
    const { observed, port } = await serve((response) => {
      response.writeHead(200, { "content-type": "application/json", "x-switchboard-provider": "up", "x-switchboard-model": "up/m", "x-switchboard-attempts": "2" })
      response.end("{\"usage\":{\"prompt_tokens\":1}}")
    })
    let id: unknown
    await post(port, (headers) => void (id = headers[REQUEST_ID_HEADER]))
    await until(() => observed.length > 0)
    expect(observed).toHaveLength(1)
    const [one] = observed
    expect(one!.observation.id).toBe(id)
    expect(one!.observation.client).toBe("tap-test")
    expect({ status: one!.status, finished: one!.finished, provider: one!.routedProvider, model: one!.routedModel, attempts: one!.attempts })
      .toEqual({ status: 200, finished: true, provider: "up", model: "up/m", attempts: 2 })
    expect(text(one!.head)).toBe("{\"usage\":{\"prompt_tokens\":1}}")
    expect(one!.tail).toBeUndefined()
  })

  it("keeps a long stream's first and last KEEP bytes, in order, from strings and buffers alike", async () => {
    const chunk = (index: number) => `data: {"n":${String(index).padStart(6, "0")},"pad":"${"é".repeat(40)}"}\n\n`
    const count = 3000
    const { observed, port } = await serve((response) => {
      response.writeHead(200, { "content-type": "text/event-stream" })
      for (let index = 0; index < count; index++) response.write(index % 2 === 0 ? chunk(index) : Buffer.from(chunk(index)))
      response.end("data: [DONE]\n\n")
    })
    let whole = ""
    await post(port, (_, body) => void (whole = body))
    await until(() => observed.length > 0)
    const head = text(observed[0]!.head)!
    const tail = text(observed[0]!.tail)!
    expect(whole.startsWith(head)).toBe(true)
    expect(whole.endsWith(tail)).toBe(true)
    expect(Buffer.byteLength(head)).toBeGreaterThanOrEqual(KEEP)
    expect(Buffer.byteLength(tail)).toBeGreaterThanOrEqual(KEEP)
    expect(tail.endsWith("data: [DONE]\n\n")).toBe(true)
  })

  it("observes a caller that goes away before the answer: 499, not finished", async () => {
    const { observed, port } = await serve(() => {
      // Never answers.
    })
    await new Promise<void>((resolve) => {
      const req = request({ port, host: "127.0.0.1", path: "/v1/chat/completions", method: "POST" })
      req.on("error", () => resolve())
      req.end("{}", () => setTimeout(() => {
        req.destroy()
        resolve()
      }, 50))
    })
    await until(() => observed.length > 0)
    expect(observed).toHaveLength(1)
    expect({ status: observed[0]!.status, answered: observed[0]!.answered, finished: observed[0]!.finished }).toEqual({ status: 499, answered: false, finished: false })
  })
})
