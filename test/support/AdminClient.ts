/**
 * Calls the admin API of a running Switchboard over plain `node:http`, so a test can send any
 * `Host` and `Origin` (fetch would fix Host itself). Every body received is kept, so a test can
 * check afterwards that no response ever contained a secret.
 */
import { request } from "node:http"
import type { ErrorBody } from "../../src/admin/AdminApi.ts"

export interface AdminResponse<A = unknown> {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly text: string
  readonly json: A
}

/** The shape of an admin error body (the definition's). */
export type AdminErrorBody = ErrorBody

export interface AdminClient {
  readonly call: <A = unknown>(
    method: string,
    path: string,
    options?: { readonly body?: unknown; readonly headers?: Record<string, string> }
  ) => Promise<AdminResponse<A>>
  /** Every response body so far (admin calls and event streams read through `events`). */
  readonly seen: Array<string>
  /** Opens `GET /admin/events`; `next(name)` waits for the next event of that name whose data satisfies `where`. */
  readonly events: () => Promise<AdminEvents>
}

export interface AdminEvents {
  readonly status: number
  readonly next: <A>(name: string, where?: (data: A) => boolean, timeoutMs?: number) => Promise<A>
  readonly close: () => void
}

export const adminClient = (port: number): AdminClient => {
  const seen: Array<string> = []
  const call = <A>(method: string, path: string, options: { readonly body?: unknown; readonly headers?: Record<string, string> } = {}) =>
    new Promise<AdminResponse<A>>((resolve, reject) => {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body)
      const req = request({
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: {
          host: `127.0.0.1:${port}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers
        }
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          seen.push(text)
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: json as A })
        })
      })
      req.on("error", reject)
      req.end(body)
    })

  const events = () =>
    new Promise<AdminEvents>((resolve, reject) => {
      const received: Array<{ name: string; data: unknown }> = []
      const waiters = new Set<() => void>()
      let buffer = ""
      const req = request({ host: "127.0.0.1", port, method: "GET", path: "/admin/events", headers: { host: `127.0.0.1:${port}` } }, (res) => {
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          seen.push(chunk)
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf("\n\n")) !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const name = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (name !== undefined && data !== undefined) received.push({ name, data: JSON.parse(data) })
          }
          for (const waiter of Array.from(waiters)) waiter()
        })
        res.on("error", () => undefined)
        resolve({
          status: res.statusCode ?? 0,
          next: <A>(name: string, where: (data: A) => boolean = () => true, timeoutMs = 15_000) =>
            new Promise<A>((resolveEvent, rejectEvent) => {
              const check = () => {
                const index = received.findIndex((e) => e.name === name && where(e.data as A))
                if (index === -1) return
                const [event] = received.splice(0, index + 1).slice(-1)
                waiters.delete(check)
                clearTimeout(timer)
                resolveEvent(event!.data as A)
              }
              const timer = setTimeout(() => {
                waiters.delete(check)
                rejectEvent(new Error(`no ${name} event within ${timeoutMs} ms; received ${JSON.stringify(received)}`))
              }, timeoutMs)
              waiters.add(check)
              check()
            }),
          close: () => req.destroy()
        })
      })
      req.on("error", (error) => {
        if (!req.destroyed) reject(error)
      })
      req.end()
    })

  return { call, seen, events }
}
