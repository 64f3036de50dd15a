/**
 * A fake OpenAI-compatible upstream on 127.0.0.1 that misbehaves on purpose, one way per model id
 * (and, for model discovery, one way at a time): the faults real providers and the networks in
 * front of them show. Built on `test/support/FakeServer.ts`, so every request is recorded, with
 * whether the caller (Switchboard) closed it early.
 *
 * Requests must carry the test key and secret header (`TestSecrets.ts`); the error bodies quote
 * both back, as careless upstreams do, so tests can check that Switchboard scrubs them.
 *
 * Faults that are not this server's behaviour but its absence (a refused connection, a name that
 * does not resolve, TLS spoken to a plain-HTTP port) come from `providerEntry` pointing elsewhere.
 *
 * @see ../../../../shared/specs/openai/openapi.yaml `createChatCompletion`, `ErrorResponse`
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { closeServer, createRecordingServer, listenOnLoopback, type RecordedRequest, sendJson, upstreamEntry } from "../../support/FakeServer.ts"
import { TestSecrets } from "./TestSecrets.ts"

/** What the fake does with a chat completion for a given model (streaming or not, unless said). */
export type Fault =
  /** A normal answer: `content`, or a stream of its words. */
  | "ok"
  /** Headers only after `slowMs`: longer than the provider's timeout. */
  | "slow-headers"
  /** Stream: headers and the role chunk, then silence (never ends). Non-streaming: never answers. */
  | "stall"
  /** Headers and a first chunk (a stream) or half the JSON body, then a TCP reset. */
  | "reset"
  /** Headers and a first chunk, or half the declared JSON body, then the connection closes cleanly (FIN): a truncated answer. */
  | "truncated"
  /** 502 with an HTML page, as a load balancer in front of a dead upstream sends. */
  | "html"
  /** 429 with `retry-after: 7`. */
  | "rate-limited"
  | "error-500"
  | "error-502"
  | "error-503"
  /** 200 with `text/plain` (a misconfigured base path hitting a plain page, say). */
  | "wrong-content-type"
  /** A stream that sends a chunk every few ms for as long as the caller reads. */
  | "endless"
  /** A stream of `bigBytes` bytes written as fast as the caller takes them (backpressure respected). */
  | "big"

/** What `GET /v1/models` does. */
export type DiscoveryFault = "ok" | "error-503" | "reset" | "html"

export interface MisbehavingUpstream {
  readonly host: "127.0.0.1"
  readonly port: number
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Chat completion requests for one model, oldest first. */
  readonly requestsFor: (model: string) => ReadonlyArray<RecordedRequest>
  readonly waitFor: (predicate: (request: RecordedRequest) => boolean, timeoutMs?: number) => Promise<RecordedRequest>
  readonly setDiscovery: (fault: DiscoveryFault) => void
  /** Changes what a model does from the next request on (a new model is listed from now on). */
  readonly setFault: (model: string, fault: Fault) => void
  /** Bytes of `big` streams handed to the socket so far (what the caller, Switchboard, accepted). */
  readonly bigBytesWritten: () => number
  readonly close: () => Promise<void>
}

export interface MisbehavingUpstreamOptions {
  /** Model ids and their faults; every model is listed by `GET /v1/models`. Default: every fault, as its own model id. */
  readonly models?: Readonly<Record<string, Fault>>
  /** How long `slow-headers` waits. */
  readonly slowMs?: number
  /** The size of a `big` stream. */
  readonly bigBytes?: number
}

/** Every fault, as a model of the same name. */
export const ALL_FAULTS: ReadonlyArray<Fault> = [
  "ok", "slow-headers", "stall", "reset", "truncated", "html", "rate-limited", "error-500", "error-502", "error-503",
  "wrong-content-type", "endless", "big"
]

/** The text every `ok` answer carries. */
export const OK_CONTENT = "all is well with the misbehaving upstream"

/** Switchboard's `remote.json` entry for a provider served by this fake (or by `host`/`port`/`protocol` overrides). */
export const providerEntry = (upstream: { readonly host: string; readonly port: number }, id: string, extra: Readonly<Record<string, unknown>> = {}) =>
  upstreamEntry(upstream, id, { name: `Faulty ${id}`, format: "openai" }, extra)

const json = sendJson

/** An error body that quotes the credentials it was sent, as no upstream should. */
const carelessError = (req: IncomingMessage, message: string, type: string) => ({
  error: {
    message: `${message} (request had ${req.headers.authorization ?? "no authorization"}, x-fault-token ${String(req.headers["x-fault-token"])})`,
    type,
    param: null,
    code: null
  }
})

const chunk = (model: string, delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-faulty", object: "chat.completion.chunk", created: 1_723_031_665, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`

const completion = (model: string) => ({
  id: "chatcmpl-faulty",
  object: "chat.completion",
  created: 1_723_031_665,
  model,
  choices: [{ index: 0, message: { role: "assistant", content: OK_CONTENT, refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 }
})

export const startMisbehavingUpstream = async (options: MisbehavingUpstreamOptions = {}): Promise<MisbehavingUpstream> => {
  const faults = new Map<string, Fault>(Object.entries(options.models ?? Object.fromEntries(ALL_FAULTS.map((f) => [f, f]))))
  const slowMs = options.slowMs ?? 3_000
  const bigBytes = options.bigBytes ?? 256 * 1024 * 1024
  let discovery: DiscoveryFault = "ok"
  let bigWritten = 0
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, f: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      f()
    }, ms)
    timers.add(timer)
  }

  const authorized = (req: IncomingMessage) =>
    req.headers.authorization === `Bearer ${TestSecrets.upstreamKey}` && req.headers["x-fault-token"] === TestSecrets.secretHeader

  const models = (req: IncomingMessage, res: ServerResponse) => {
    switch (discovery) {
      case "ok":
        return json(res, 200, { object: "list", data: Array.from(faults.keys(), (id) => ({ id, object: "model", created: 1_723_031_665, owned_by: "faulty" })) })
      case "error-503":
        return json(res, 503, carelessError(req, "discovery is down for maintenance", "server_error"))
      case "html":
        res.writeHead(502, { "content-type": "text/html" })
        return res.end(`<html><body><h1>502 Bad Gateway</h1><p>upstream said: ${req.headers.authorization}</p></body></html>`)
      case "reset":
        return void req.socket.resetAndDestroy()
    }
  }

  const chat = (record: RecordedRequest, req: IncomingMessage, res: ServerResponse) => {
    const body = (record.body ?? {}) as { model?: unknown; stream?: unknown }
    const model = typeof body.model === "string" ? body.model : ""
    const stream = body.stream === true
    const fault = faults.get(model)
    if (fault === undefined) return json(res, 404, { error: { message: `The model \`${model}\` does not exist`, type: "invalid_request_error", param: null, code: "model_not_found" } })
    const sseHead = () => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" })
      res.write(chunk(model, { role: "assistant", content: "" }))
    }
    switch (fault) {
      case "ok":
        if (!stream) return json(res, 200, completion(model))
        sseHead()
        for (const word of OK_CONTENT.split(" ")) res.write(chunk(model, { content: `${word} ` }))
        res.write(chunk(model, {}, "stop"))
        return res.end("data: [DONE]\n\n")
      case "slow-headers":
        return later(slowMs, () => {
          if (!res.destroyed) json(res, 200, completion(model))
        })
      case "stall":
        if (stream) sseHead()
        return
      case "reset":
      case "truncated": {
        const cut = () => fault === "reset" ? req.socket.resetAndDestroy() : req.socket.end()
        if (stream) {
          sseHead()
          res.write(chunk(model, { content: "the beginning of an answer " }))
        } else {
          const text = JSON.stringify(completion(model))
          res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) })
          res.write(text.slice(0, Math.floor(text.length / 2)))
        }
        // After the bytes are out, so the caller has seen the beginning.
        return later(50, cut)
      }
      case "html":
        res.writeHead(502, { "content-type": "text/html; charset=utf-8" })
        return res.end(
          `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>` +
            `<p>The proxy could not reach the model server.</p><!-- ${req.headers.authorization} --></body></html>`
        )
      case "rate-limited":
        return json(res, 429, carelessError(req, "Rate limit reached for faulty requests", "requests"), { "retry-after": "7" })
      case "error-500":
        return json(res, 500, carelessError(req, "The faulty server had an error", "server_error"))
      case "error-502":
        return json(res, 502, carelessError(req, "The faulty gateway lost its backend", "server_error"))
      case "error-503":
        return json(res, 503, carelessError(req, "The faulty engine is overloaded", "server_error"))
      case "wrong-content-type":
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" })
        return res.end("It works! This is not the API you are looking for.")
      case "endless": {
        sseHead()
        let n = 0
        const timer = setInterval(() => res.write(chunk(model, { content: `tick ${++n} ` })), 5)
        return void res.once("close", () => clearInterval(timer))
      }
      case "big": {
        sseHead()
        const piece = chunk(model, { content: "x".repeat(16 * 1024) })
        let sent = 0
        const pump = () => {
          while (sent < bigBytes && !res.destroyed) {
            sent += piece.length
            bigWritten += piece.length
            if (!res.write(piece)) return void res.once("drain", pump)
          }
          if (!res.destroyed) {
            res.write(chunk(model, {}, "stop"))
            res.end("data: [DONE]\n\n")
          }
        }
        return pump()
      }
    }
  }

  const { server, requests, waitFor } = createRecordingServer((record, req, res) => {
    if (!authorized(req)) {
      return json(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code: "invalid_api_key" } })
    }
    if (req.method === "GET" && record.path === "/v1/models") return models(req, res)
    if (req.method === "POST" && record.path === "/v1/chat/completions") return chat(record, req, res)
    json(res, 404, { error: { message: `Invalid URL (${req.method} ${record.path})`, type: "invalid_request_error", param: null, code: null } })
  })
  const port = await listenOnLoopback(server)
  return {
    host: "127.0.0.1",
    port,
    requests,
    requestsFor: (model) =>
      requests.filter((r) => r.path === "/v1/chat/completions" && (r.body as { model?: unknown } | undefined)?.model === model),
    waitFor,
    setDiscovery: (fault) => void (discovery = fault),
    setFault: (model, fault) => void faults.set(model, fault),
    bigBytesWritten: () => bigWritten,
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      await closeServer(server)
    }
  }
}
