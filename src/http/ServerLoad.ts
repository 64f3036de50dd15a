/**
 * The HTTP exchanges the gateway's own server has open right now: each request from its arrival
 * to the end of its answer (or the caller leaving), whichever lane serves it. It is the leak check
 * for request fibers and fast-lane forwards: once traffic stops it falls back to the requests
 * being asked (the `/health` call itself), so one that never finishes shows (the fault suite's
 * soak reads it). Counted at node's level — one increment and one `close` listener per request —
 * because fast-lane requests have no fiber to count.
 */
import { Context, Layer } from "effect"
import type { ServerResponse } from "node:http"

export class ServerLoad extends Context.Service<ServerLoad, {
  /** Requests received whose answer is not finished yet. */
  readonly openRequests: () => number
  /** Counts `response`'s exchange until it closes. */
  readonly track: (response: ServerResponse) => void
}>()("switchboard/ServerLoad") {
  static readonly layer = Layer.sync(ServerLoad, () => make())
}

export const make = (): ServerLoad["Service"] => {
  let open = 0
  const closed = () => {
    open--
  }
  return {
    openRequests: () => open,
    track: (response) => {
      open++
      response.once("close", closed)
    }
  }
}
