/**
 * The floor any Node gateway can reach: a pass-through proxy on node:http + undici that does
 * nothing but forward. No routing, no body parsing (the request body is streamed through as it
 * arrives, the response body likewise), pooled keep-alive connections to the one upstream, and a
 * caller that goes away aborts the upstream request. (Collecting the small body first and sending
 * it as one buffer measured the same CPU per request as streaming it, within the noise.) Any gateway written in Node pays at least
 * this; the bench reports Switchboard's added cost relative to it.
 *
 * Usage (forked by run.ts, which gets the port over IPC): bare-proxy.ts <upstream origin>
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import { Agent } from "undici"
import type { ProxyReady } from "./protocol.ts"

const origin = process.argv[2] ?? ""
if (!origin.startsWith("http://")) throw new Error(`bare-proxy: expected an upstream origin, got ${JSON.stringify(origin)}`)

const agent = new Agent({ keepAliveTimeout: 30_000 })

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `host` belong to one connection, not to the request. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host"])

const forwardable = (headers: IncomingHttpHeaders): Record<string, string | Array<string>> => {
  const out: Record<string, string | Array<string>> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
  }
  return out
}

const forward = (req: IncomingMessage, res: ServerResponse, body: IncomingMessage | null) => {
  const controller = new AbortController()
  res.once("close", () => {
    if (!res.writableFinished) controller.abort()
  })
  agent.request({
    origin,
    path: req.url ?? "/",
    method: req.method as "POST",
    headers: forwardable(req.headers),
    body,
    signal: controller.signal
  }).then((upstream) => {
    res.writeHead(upstream.statusCode, forwardable(upstream.headers))
    const stream = upstream.body
    stream.on("data", (chunk: Buffer) => {
      if (!res.write(chunk)) {
        stream.pause()
        res.once("drain", () => stream.resume())
      }
    })
    stream.on("end", () => res.end())
    stream.on("error", () => res.destroy())
  }, () => {
    if (!res.headersSent) res.writeHead(502).end()
    else res.destroy()
  })
}

const server = createServer((req, res) => forward(req, res, req.method === "GET" || req.method === "HEAD" ? null : req))

server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("bare-proxy: no TCP address")
  const ready: ProxyReady = { type: "ready", port: address.port }
  process.send?.(ready)
})

process.on("disconnect", () => process.exit(0))
// A normal exit, so that `--cpu-prof` (bench --profile) gets to write its profile.
process.on("SIGTERM", () => process.exit(0))
