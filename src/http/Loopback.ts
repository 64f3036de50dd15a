/**
 * A request the gateway sends to itself, over loopback to the address the client reached: how the
 * stateful layers over the stateless API (the WebSocket transport, `ResponsesSocket.ts`; stored
 * responses, `StatefulResponses.ts`) have a turn answered. Routing, both lanes, translation,
 * gateway keys and budgets (the client's own `Authorization` / `x-api-key` are sent on) and the
 * usage ledger see it as the request it is, with no second implementation of any of them.
 */
import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import type { IncomingMessage } from "node:http"

/** The client's headers a loopback request carries on: its key (gateway keys, budgets, the ledger) and who it is. */
const FORWARDED = ["authorization", "x-api-key", "user-agent"] as const

/** Where this gateway is, as the client reached it (`host:port` for a URL); undefined when the socket does not say. */
export const selfAddress = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const socket = (request.source as IncomingMessage).socket
  const address = socket?.localAddress
  const port = socket?.localPort
  if (address === undefined || port === undefined) return undefined
  // An IPv4 client of a dual-stack socket is seen as `::ffff:a.b.c.d`.
  const plain = address.startsWith("::ffff:") ? address.slice(7) : address
  return plain.includes(":") ? `[${plain}]:${port}` : `${plain}:${port}`
}

/** The headers of a JSON request to this gateway on the client's behalf, asking for `accept`. */
export const headersFor = (request: HttpServerRequest.HttpServerRequest, accept: string): Record<string, string> => {
  const headers: Record<string, string> = { "content-type": "application/json", accept }
  for (const name of FORWARDED) {
    const value = request.headers[name]
    if (value !== undefined) headers[name] = value
  }
  return headers
}

/** `POST` of `body` (JSON) to `path` of this gateway at `address`; fails with what `fetch` threw. */
export const post = (address: string, path: string, headers: Readonly<Record<string, string>>, body: unknown): Effect.Effect<Response, unknown> =>
  Effect.tryPromise({
    try: (signal) => fetch(`http://${address}${path}`, { method: "POST", headers, body: JSON.stringify(body), signal }),
    catch: (cause) => cause
  })
