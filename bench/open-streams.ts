/**
 * Many streams open at once: STREAMS streamed requests started together, each on its own
 * connection, each read to its `[DONE]` and checked. The upstream makes them long (the slow
 * model), so that all of them are open at the same time; the parent samples the target's memory
 * meanwhile. In its own process, like every load generator of the bench.
 *
 * Forked by run.ts with an `OpenStreamsSpec` as argv[2]; sends `StreamsOpen` once every stream
 * has its response headers, then `StreamsDone`.
 */
import { Agent, request } from "node:http"
import { type OpenStreamsSpec, type StreamsDone, type StreamsOpen } from "./protocol.ts"

const spec = JSON.parse(process.argv[2] ?? "") as OpenStreamsSpec
// One connection per stream, none reused: that is what many concurrent callers look like.
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })
const start = performance.now()
let open = 0

const one = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = request(spec.url, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", accept: "text/event-stream", ...spec.headers }
    }, (res) => {
      if (++open === spec.streams) {
        const message: StreamsOpen = { type: "open", ms: Math.round(performance.now() - start) }
        process.send?.(message)
      }
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (part: string) => void (text += part))
      res.on("error", reject)
      res.on("end", () => {
        const events = text.split("\n\n").filter((event) => event.startsWith("data: "))
        if (res.statusCode !== 200 || events.at(-1) !== "data: [DONE]" || events.length !== spec.chunks + 1) {
          return reject(new Error(`bad stream (status ${res.statusCode}, ${events.length} events): ${text.slice(0, 200)}`))
        }
        resolve()
      })
    })
    req.on("error", reject)
    req.setTimeout(60_000, () => req.destroy(new Error("no data for 60 s")))
    req.end(spec.body)
  })

const results = await Promise.allSettled(Array.from({ length: spec.streams }, one))
const failures = results.filter((result): result is PromiseRejectedResult => result.status === "rejected")
const done: StreamsDone = {
  type: "done",
  completed: results.length - failures.length,
  failed: failures.length,
  firstError: failures[0] ? String(failures[0].reason instanceof Error ? failures[0].reason.message : failures[0].reason) : null,
  ms: Math.round(performance.now() - start)
}
process.send?.(done, () => process.disconnect())
