/**
 * Streamed replies, one at a time: time to first byte (the first SSE event; the upstream sends
 * it at once, so this is the cost of the hops) and total time (dominated by the upstream's
 * chunk interval, so any difference is what the gateway adds per chunk or at the end).
 * Sequential on one keep-alive socket so that nothing but the path itself is measured.
 */
import { Agent, request } from "node:http"
import { performance } from "node:perf_hooks"

export interface StreamSpec {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly requests: number
  readonly warmup: number
  /** Data events expected before `[DONE]`: checked, so a truncated stream is an error, not a fast result. */
  readonly chunks: number
}

export interface StreamTimings {
  readonly ttfbMs: ReadonlyArray<number>
  readonly totalMs: ReadonlyArray<number>
}

const once = (agent: Agent, spec: StreamSpec): Promise<{ ttfb: number; total: number }> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    const req = request(spec.url, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", accept: "text/event-stream", ...spec.headers }
    }, (res) => {
      let ttfb = Number.NaN
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (part: string) => {
        if (Number.isNaN(ttfb)) ttfb = performance.now() - start
        text += part
      })
      res.on("error", reject)
      res.on("end", () => {
        const total = performance.now() - start
        const events = text.split("\n\n").filter((event) => event.startsWith("data: "))
        const done = events.at(-1) === "data: [DONE]"
        if (res.statusCode !== 200 || !done || events.length !== spec.chunks + 1) {
          return reject(new Error(`${spec.url}: bad stream (status ${res.statusCode}, ${events.length} events, [DONE] ${done}): ${text.slice(0, 300)}`))
        }
        resolve({ ttfb, total })
      })
    })
    req.on("error", reject)
    // A stream that stalls must fail the bench, not hang it (the upstream's whole reply takes ~100 ms).
    req.setTimeout(10_000, () => req.destroy(new Error(`${spec.url}: no data for 10 s`)))
    req.end(spec.body)
  })

export const measureStream = async (spec: StreamSpec): Promise<StreamTimings> => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < spec.warmup; i++) await once(agent, spec)
    const ttfbMs: Array<number> = []
    const totalMs: Array<number> = []
    for (let i = 0; i < spec.requests; i++) {
      const { ttfb, total } = await once(agent, spec)
      ttfbMs.push(ttfb)
      totalMs.push(total)
    }
    return { ttfbMs, totalMs }
  } finally {
    agent.destroy()
  }
}
