/**
 * A node:http server whose first requests wait for their handler, optionally behind a front
 * handler that sees every request first.
 *
 * `NodeHttpServer` opens the port while its layer is built and attaches the request handler only
 * when `HttpRouter.serve` runs a moment later; node drops a request that arrives in between (no
 * `request` listener: the client waits forever). Here such requests are held and handed to the
 * first real handler as soon as it is attached.
 *
 * The front handler (the pass-through fast lane, `FastLane.ts`) gets each request before the
 * Effect app and passes on those it does not serve; the app's own listener is taken off the
 * emitter and called from here, so the order never depends on listener registration.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

/** A node `request` listener. */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void

/** Sees a request first; calls `next` (the app, or the hold queue before it exists) for those it does not answer. */
export type FrontHandler = (request: IncomingMessage, response: ServerResponse, next: RequestListener) => void

/** The name of `NodeHttpServer`'s own stand-in `request` listener (see `createServerHoldingEarlyRequests`). */
const PLATFORM_PLACEHOLDER = "unavailable"

/** `track` sees every response first (`ServerLoad` counts the open ones). */
export const createServerHoldingEarlyRequests = (
  front?: FrontHandler,
  track?: (response: ServerResponse) => void,
  /** The classes of the server's requests and responses (`RequestObserver`'s, when requests are recorded). */
  classes?: { readonly IncomingMessage: typeof IncomingMessage; readonly ServerResponse: typeof ServerResponse }
): Server => {
  const server = classes === undefined ? createServer() : createServer({ IncomingMessage: classes.IncomingMessage, ServerResponse: classes.ServerResponse })
  const held: Array<readonly [IncomingMessage, ServerResponse]> = []
  let app: RequestListener | undefined
  const toApp: RequestListener = (request, response) => {
    if (app === undefined) held.push([request, response])
    else app.call(server, request, response)
  }
  const served: RequestListener = front === undefined ? toApp : (request, response) => front(request, response, toApp)
  const dispatch: RequestListener = track === undefined ? served : (request, response) => {
    track(response)
    served(request, response)
  }
  server.on("request", dispatch)
  server.on("newListener", function onListener(event: string | symbol, listener: unknown) {
    if (event !== "request" || listener === dispatch || typeof listener !== "function") return
    // `NodeHttpServer` (4.1.5) adds a listener of its own while the app is not attached yet, which
    // answers 503 when it is the only `request` listener besides none: left on the emitter beside
    // `dispatch` it stays silent (requests are held here instead), and is not the app.
    if (listener.name === PLATFORM_PLACEHOLDER) return
    server.off("newListener", onListener)
    // After the listener is registered (newListener fires just before): from then on it is
    // reached through `dispatch` only, and the held requests go first, in order.
    queueMicrotask(() => {
      server.off("request", listener as RequestListener)
      app = listener as RequestListener
      for (const [request, response] of held.splice(0)) app.call(server, request, response)
    })
  })
  return server
}
