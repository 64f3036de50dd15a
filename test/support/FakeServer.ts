/**
 * What every fake upstream shares: a log of the requests it received that tests can wait on,
 * and listening on / closing a loopback port.
 */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"

export interface LoggedRequest {
  readonly method: string
  readonly path: string
}

/** The requests a fake received; `notify` after a request changes (finished, closed early). */
export const makeRequestLog = <R extends LoggedRequest>() => {
  const requests: Array<R> = []
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of Array.from(listeners)) listener()
  }
  /** The first request matching `predicate`, now or when one arrives (fails after `timeoutMs`). */
  const waitFor = (predicate: (request: R) => boolean, timeoutMs = 10_000): Promise<R> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = requests.find(predicate)
        if (found) {
          listeners.delete(check)
          clearTimeout(timer)
          resolve(found)
        }
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`no upstream request matched within ${timeoutMs} ms; saw ${requests.map((r) => `${r.method} ${r.path}`).join(", ")}`))
      }, timeoutMs)
      listeners.add(check)
      check()
    })
  return { requests, notify, waitFor }
}

/** Listens on a free port of 127.0.0.1 and returns it. */
export const listenOnLoopback = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  })

/** Closes the server, cutting open (e.g. endless streaming) connections. */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
