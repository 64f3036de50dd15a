/**
 * `npm run bench`: the cost of going through Switchboard, measured against calling the upstream
 * directly, all on 127.0.0.1.
 *
 *   1. a fake OpenAI-compatible upstream (upstream.ts, own process)
 *   2. Switchboard (`node src/bin.ts serve`, own process) configured with it, waited on until connected
 *   3. for each connection count: autocannon (load.ts, own process) direct, then through Switchboard
 *   4. streamed replies, sequentially: time to first byte and total time, direct vs through Switchboard
 *   5. a table on stdout and the figures in bench/results/<timestamp>.json
 *
 * Options: --duration S (measured seconds per load run, 5), --warmup S (1), --connections 10,1,
 * --stream-requests N (20), --chunks N (20), --interval MS (5).
 * Every child process is stopped at the end, on error and on Ctrl-C (children.ts).
 */
import { parseArgs } from "node:util"
import { forkScript, hasExited, installCleanup, nextMessage, stopAll, stopProcess } from "./children.ts"
import { chatBody, isMessage, type LoadFigures, type LoadResult, type LoadSpec, PROVIDER_ID, UPSTREAM_MODEL, type UpstreamReady } from "./protocol.ts"
import { environment, formatResults, ratio, type BenchResults, type StreamFigures, writeResults } from "./report.ts"
import { percentile, round } from "./stats.ts"
import { measureStream, type StreamTimings } from "./stream.ts"
import { startSwitchboard, waitUntilConnected } from "./switchboard.ts"

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "10,1" },
    "stream-requests": { type: "string", default: "20" },
    chunks: { type: "string", default: "20" },
    interval: { type: "string", default: "5" }
  }
})

const positive = (name: string, text: string): number => {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}`)
  return value
}

const settings = {
  durationSeconds: positive("duration", args.duration),
  warmupSeconds: positive("warmup", args.warmup),
  connections: args.connections.split(",").map((c) => Math.round(positive("connections", c))),
  streamRequests: Math.round(positive("stream-requests", args["stream-requests"])),
  streamWarmup: 3,
  chunks: Math.round(positive("chunks", args.chunks)),
  chunkIntervalMs: positive("interval", args.interval)
}

interface Target {
  readonly name: "direct" | "switchboard"
  readonly url: string
  readonly model: string
}

const startUpstream = async () => {
  const child = forkScript(new URL("./upstream.ts", import.meta.url), [String(settings.chunks), String(settings.chunkIntervalMs)])
  const ready = await nextMessage(child, isMessage<UpstreamReady>("ready"), "fake upstream", 10_000)
  return { process: child, port: ready.port }
}

/** One non-streamed request, checked: a benchmark of 404s or errors would be fast and meaningless. */
const checkTarget = async (target: Target): Promise<void> => {
  const response = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: chatBody(target.model),
    signal: AbortSignal.timeout(5000)
  })
  const text = await response.text()
  let content: unknown
  try {
    content = (JSON.parse(text) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content
  } catch {
    content = undefined
  }
  if (response.status !== 200 || content !== "Hi!") {
    throw new Error(`${target.name} (${target.url}) answered ${response.status} ${text.slice(0, 300)}`)
  }
}

const runLoad = async (target: Target, connections: number): Promise<LoadFigures> => {
  const spec: LoadSpec = {
    url: target.url,
    body: chatBody(target.model),
    connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds
  }
  process.stderr.write(`  load: ${target.name}, ${connections} connection(s)…\n`)
  const child = forkScript(new URL("./load.ts", import.meta.url), [JSON.stringify(spec)])
  const budgetMs = (settings.warmupSeconds + settings.durationSeconds) * 1000 + 15_000
  try {
    const result = await nextMessage(child, isMessage<LoadResult>("result"), `autocannon (${target.name}, c=${connections})`, budgetMs)
    if (result.errors + result.timeouts + result.non2xx > 0) {
      process.stderr.write(`  warning: ${target.name} c=${connections}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx\n`)
    }
    const { type: _type, ...figures } = result
    return figures
  } finally {
    await stopProcess(child)
  }
}

const streamFigures = (timings: StreamTimings): StreamFigures => ({
  ttfbP50: round(percentile(timings.ttfbMs, 50)),
  ttfbP90: round(percentile(timings.ttfbMs, 90)),
  totalP50: round(percentile(timings.totalMs, 50)),
  totalP90: round(percentile(timings.totalMs, 90))
})

const runStream = async (target: Target): Promise<StreamFigures> => {
  process.stderr.write(`  stream: ${target.name}, ${settings.streamRequests} requests…\n`)
  return streamFigures(await measureStream({
    url: target.url,
    body: chatBody(target.model, true),
    requests: settings.streamRequests,
    warmup: settings.streamWarmup,
    chunks: settings.chunks
  }))
}

const main = async (): Promise<void> => {
  installCleanup()
  const startedAt = new Date().toISOString()
  const wallStart = performance.now()

  process.stderr.write("starting the fake upstream and Switchboard…\n")
  const upstream = await startUpstream()
  const switchboard = await startSwitchboard(upstream.port)
  const readiness = await waitUntilConnected(switchboard, 20_000)
  // Checked after every step: figures measured against a dead server are errors, not results.
  const ensureAlive = () => {
    if (hasExited(upstream.process)) throw new Error("the fake upstream exited during the run")
    if (hasExited(switchboard.process)) throw new Error(`Switchboard exited during the run:\n${switchboard.output()}`)
  }

  const direct: Target = { name: "direct", url: `http://127.0.0.1:${upstream.port}/v1/chat/completions`, model: UPSTREAM_MODEL }
  const viaSwitchboard: Target = {
    name: "switchboard",
    url: `http://127.0.0.1:${switchboard.port}/v1/chat/completions`,
    model: `${PROVIDER_ID}/${UPSTREAM_MODEL}`
  }
  await checkTarget(direct)
  await checkTarget(viaSwitchboard)

  const load: Array<BenchResults["load"][number]> = []
  for (const connections of settings.connections) {
    // Direct first, then through Switchboard, back to back: the pair sees the same machine state.
    const d = await runLoad(direct, connections)
    ensureAlive()
    const sb = await runLoad(viaSwitchboard, connections)
    ensureAlive()
    load.push({ connections, direct: d, switchboard: sb, ratio: { rps: ratio(sb.rps, d.rps), p50: ratio(sb.p50, d.p50), p99: ratio(sb.p99, d.p99) } })
  }

  const stream = { direct: await runStream(direct), switchboard: await runStream(viaSwitchboard) }

  const results: BenchResults = {
    startedAt,
    environment: environment(),
    settings,
    switchboardReadyMs: Math.round(readiness.ms),
    startupUnansweredRequests: readiness.unansweredPolls,
    load,
    stream,
    wallSeconds: round((performance.now() - wallStart) / 1000, 1)
  }
  const file = writeResults(results)
  console.log(`\n${formatResults(results)}\nResults: ${file}`)
}

try {
  await main()
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await stopAll()
}
