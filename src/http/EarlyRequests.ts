/**
 * A node:http server whose first requests wait for their handler.
 *
 * `NodeHttpServer` opens the port while its layer is built and attaches the request handler only
 * when `HttpRouter.serve` runs a moment later; node drops a request that arrives in between (no
 * `request` listener: the client waits forever). Here such requests are held and handed to the
 * first real handler as soon as it is attached.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

export const createServerHoldingEarlyRequests = (): Server => {
  const server = createServer()
  const held: Array<readonly [IncomingMessage, ServerResponse]> = []
  const hold = (request: IncomingMessage, response: ServerResponse) => void held.push([request, response])
  server.on("request", hold)
  server.on("newListener", function onListener(event: string | symbol, listener: unknown) {
    if (event !== "request" || listener === hold || typeof listener !== "function") return
    server.off("newListener", onListener)
    server.off("request", hold)
    // After the listener is registered (newListener fires just before), so it sees them in order.
    queueMicrotask(() => {
      for (const [request, response] of held.splice(0)) listener.call(server, request, response)
    })
  })
  return server
}
