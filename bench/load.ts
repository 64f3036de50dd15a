/**
 * Load generator: one autocannon scenario, in its own process so that generating load does not
 * compete with the orchestrator's event loop. Forked by run.ts with a `LoadSpec` as argv[2];
 * sends `LoadMeasuring` when the warm-up is over (the parent samples the target's CPU time then)
 * and one `LoadResult` at the end.
 *
 * Latencies are collected from autocannon's `response` events (float ms from hrtime) rather than
 * its histogram, which records whole milliseconds — too coarse when a request takes ~1 ms.
 */
import autocannon from "autocannon"
import { performance } from "node:perf_hooks"
import { type LoadMeasuring, type LoadResult, type LoadSpec } from "./protocol.ts"
import { percentile, round } from "./stats.ts"

const spec = JSON.parse(process.argv[2] ?? "") as LoadSpec

const run = (durationSeconds: number, onLatency?: (ms: number) => void) => {
  const instance = autocannon({
    url: spec.url,
    method: "POST",
    headers: { "content-type": "application/json", ...spec.headers },
    body: spec.body,
    connections: spec.connections,
    duration: durationSeconds,
    timeout: 10
  })
  if (onLatency) {
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) onLatency(ms)
    })
  }
  return instance
}

// Warm-up: JIT, connection pools and keep-alive sockets settle before anything is counted.
await run(spec.warmupSeconds)
const measuring: LoadMeasuring = { type: "measuring" }
process.send?.(measuring)

const latencies: Array<number> = []
const start = performance.now()
const result = await run(spec.durationSeconds, (ms) => latencies.push(ms))
const elapsedSeconds = (performance.now() - start) / 1000

const message: LoadResult = {
  type: "result",
  requests: latencies.length,
  elapsedSeconds: round(elapsedSeconds),
  rps: round(latencies.length / elapsedSeconds, 1),
  p50: round(percentile(latencies, 50)),
  p99: round(percentile(latencies, 99)),
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx
}
process.send?.(message, () => process.disconnect())
