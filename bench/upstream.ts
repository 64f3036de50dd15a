/**
 * The fake upstream: a minimal OpenAI-compatible server on 127.0.0.1, run as its own process so
 * that its CPU time is not charged to the process that measures. It does as little as possible,
 * so that what the bench sees is the cost of the hop, not of the model.
 *
 *   GET  /v1/models            → the bench's models (what Switchboard discovers on connect; the
 *                                same list answers the OpenAI and the Anthropic way of asking)
 *   POST /v1/chat/completions  → a fixed `chat.completion`; with `"stream": true`, an SSE reply
 *                                of CHUNKS `chat.completion.chunk` events INTERVAL ms apart, then
 *                                `[DONE]` — or, for the model SLOW_MODEL, SLOW_CHUNKS events
 *                                SLOW_INTERVAL ms apart (long-lived streams, to hold many open)
 *   POST /v1/messages          → a fixed Anthropic `message` (the translation scenario's upstream)
 *
 * Usage (forked by run.ts, which gets the port over IPC):
 *   upstream.ts <chunks> <intervalMs> <slowChunks> <slowIntervalMs>
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { completionJson, SLOW_MODEL, UPSTREAM_MODEL, type UpstreamReady } from "./protocol.ts"

const chunks = Number(process.argv[2] ?? 100)
const intervalMs = Number(process.argv[3] ?? 2)
const slowChunks = Number(process.argv[4] ?? 100)
const slowIntervalMs = Number(process.argv[5] ?? 100)
const created = Math.floor(Date.now() / 1000)

const modelsJson = JSON.stringify({
  object: "list",
  data: [UPSTREAM_MODEL, SLOW_MODEL].map((id) => ({
    id,
    object: "model",
    created,
    owned_by: "bench",
    type: "model",
    display_name: id,
    created_at: new Date(created * 1000).toISOString()
  })),
  has_more: false
})

const messageJson = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: UPSTREAM_MODEL,
  content: [{ type: "text", text: "Hi!" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 9, output_tokens: 2 }
})

const chunkEvent = (chunks: number, index: number): string => {
  const last = index === chunks - 1
  const chunk = {
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created,
    model: UPSTREAM_MODEL,
    choices: [{
      index: 0,
      delta: index === 0 ? { role: "assistant", content: "tok0 " } : last ? {} : { content: `tok${index} ` },
      logprobs: null,
      finish_reason: last ? "stop" : null
    }]
  }
  return `data: ${JSON.stringify(chunk)}\n\n`
}
const events = Array.from({ length: chunks }, (_, i) => chunkEvent(chunks, i))
const slowEvents = Array.from({ length: slowChunks }, (_, i) => chunkEvent(slowChunks, i))

const sendJson = (res: ServerResponse, status: number, json: string) => {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) })
  res.end(json)
}

/** The first event goes out at once, the rest INTERVAL ms apart: TTFB then measures only the hops. */
const sendStream = (res: ServerResponse, events: ReadonlyArray<string>, intervalMs: number) => {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
  let next = 0
  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    if (res.destroyed) return
    res.write(events[next++])
    if (next < events.length) timer = setTimeout(tick, intervalMs)
    else res.end("data: [DONE]\n\n")
  }
  res.on("close", () => clearTimeout(timer))
  // Synchronously, with the headers: `setTimeout(…, 0)` would add ≥ 1 ms to every TTFB.
  tick()
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  let body = ""
  req.setEncoding("utf8")
  for await (const part of req) body += part
  return body
}

const server = createServer(async (req, res) => {
  const path = (req.url ?? "/").split("?")[0]
  if (req.method === "GET" && path === "/v1/models") return sendJson(res, 200, modelsJson)
  if (req.method === "POST" && path === "/v1/chat/completions") {
    // Parsed for real, as any upstream would: the body is part of a request's cost.
    let body: { stream?: unknown; model?: unknown }
    try {
      body = JSON.parse(await readBody(req)) as typeof body
    } catch {
      return sendJson(res, 400, JSON.stringify({ error: { message: "invalid JSON", type: "invalid_request_error" } }))
    }
    if (body.stream !== true) return sendJson(res, 200, completionJson)
    return body.model === SLOW_MODEL ? sendStream(res, slowEvents, slowIntervalMs) : sendStream(res, events, intervalMs)
  }
  if (req.method === "POST" && path === "/v1/messages") {
    await readBody(req).then(JSON.parse)
    return sendJson(res, 200, messageJson)
  }
  sendJson(res, 404, JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } }))
})

// Switchboard's pooled connections sit idle between scenarios; the default 5 s keep-alive would
// close them under it and turn the next scenario's first requests into reconnects.
server.keepAliveTimeout = 60_000

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("upstream: no TCP address")
  const ready: UpstreamReady = { type: "ready", port: address.port }
  process.send?.(ready)
})

// The parent holds the IPC channel; if it dies, however it dies, this process must not outlive it.
process.on("disconnect", () => process.exit(0))
