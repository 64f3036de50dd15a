/**
 * What every fake upstream shares: a log of the requests it received that tests can wait on,
 * and listening on / closing a loopback port.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** One request a fake upstream received, and what became of its response. */
export interface RecordedRequest {
  readonly method: string
  /** The path, without the query string. */
  readonly path: string
  readonly query: string
  readonly headers: IncomingHttpHeaders
  readonly rawBody: string
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  readonly body: unknown
  /** The client closed the connection before the response was complete. */
  closedEarly: boolean
  /** The response was completely written. */
  finished: boolean
}

/** The requests a fake received; `notify` after a request changes (finished, closed early). */
const makeRequestLog = <R extends { readonly method: string; readonly path: string }>() => {
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

/**
 * A node:http server that reads each request's body, records it (and whether its response finished
 * or the client left early), then hands it to `route`.
 */
export const createRecordingServer = (route: (record: RecordedRequest, req: IncomingMessage, res: ServerResponse) => void) => {
  const { requests, notify, waitFor } = makeRequestLog<RecordedRequest>()
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8")
      let body: unknown
      try {
        body = rawBody === "" ? undefined : JSON.parse(rawBody)
      } catch {
        body = undefined
      }
      const [path = "", query = ""] = (req.url ?? "").split("?")
      const record: RecordedRequest = { method: req.method ?? "", path, query, headers: req.headers, rawBody, body, closedEarly: false, finished: false }
      requests.push(record)
      res.once("finish", () => {
        record.finished = true
        notify()
      })
      res.once("close", () => {
        if (!res.writableFinished) record.closedEarly = true
        notify()
      })
      notify()
      route(record, req, res)
    })
  })
  return { server, requests, waitFor }
}

/** What every spec-following fake upstream offers a test; `Behaviour` is its per-model script. */
export interface FakeUpstream<Behaviour, Key = string | undefined> {
  readonly host: "127.0.0.1"
  readonly port: number
  /** `http://127.0.0.1:<port>` (the API lives under `/v1`). */
  readonly url: string
  /** Every request so far, oldest first. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Requests for one method and path, e.g. `("GET", "/v1/models")`. */
  readonly requestsTo: (method: string, path: string) => ReadonlyArray<RecordedRequest>
  /** Adds or replaces a model and its behaviour (a new model is listed from now on). */
  readonly setBehaviour: (model: string, behaviour: Behaviour) => void
  /** Changes the key the fake accepts, e.g. to simulate a revoked key. */
  readonly setApiKey: (key: Key) => void
  /** Resolves once a recorded request satisfies `predicate` (checked on every request event). */
  readonly waitFor: (predicate: (request: RecordedRequest) => boolean, timeoutMs?: number) => Promise<RecordedRequest>
  readonly close: () => Promise<void>
}

/** Switchboard's `remote.json` entry for a provider served by a fake on `upstream`'s port. */
export const upstreamEntry = (
  upstream: { readonly host: string; readonly port: number },
  id: string,
  settings: { readonly name?: string; readonly format?: string; readonly auth?: string },
  extra: Readonly<Record<string, unknown>> = {}
): Record<string, unknown> => ({
  id,
  name: settings.name ?? `Fake ${id}`,
  ...(settings.format === undefined ? {} : { format: settings.format }),
  protocol: "http",
  host: upstream.host,
  port: upstream.port,
  ...(settings.auth === undefined ? {} : { auth: settings.auth }),
  ...extra
})

/** A JSON answer with its length, as the real APIs send it. */
export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

/** The `FakeUpstream` a fake returns, from its recording server, its models' behaviours and its key. */
export const fakeUpstream = <Behaviour, Key>(parts: {
  readonly recording: ReturnType<typeof createRecordingServer>
  readonly port: number
  readonly behaviours: Map<string, Behaviour>
  readonly setApiKey: (key: Key) => void
}): FakeUpstream<Behaviour, Key> => {
  const { server, requests, waitFor } = parts.recording
  return {
    host: "127.0.0.1",
    port: parts.port,
    url: `http://127.0.0.1:${parts.port}`,
    requests,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && r.path === path),
    setBehaviour: (model, behaviour) => void parts.behaviours.set(model, behaviour),
    setApiKey: parts.setApiKey,
    waitFor,
    close: () => closeServer(server)
  }
}

/**
 * Usage a fake reports instead of its own word counts, in the ledger's terms (`input` counts
 * every prompt token, cache reads and writes included; `reasoning` is part of `output`); each
 * fake says it in its format's words, and leaves out what its format cannot say.
 */
export interface FixedUsage {
  readonly input: number
  readonly output: number
  readonly cachedRead: number
  readonly cacheWrite: number
  readonly reasoning: number
}
