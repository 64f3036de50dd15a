/**
 * `npm run bench`: the cost of going through Switchboard, measured side by side with calling the
 * upstream directly, a bare node:http + undici proxy (the floor of any Node gateway) and Portkey's
 * open-source gateway (the peer), all on 127.0.0.1, all in front of the same fake upstream.
 *
 *   1. the fake upstream (upstream.ts) and every target (targets.ts), each its own process; the
 *      time from spawning a target to its first served request is its start-up figure
 *   2. scenarios, each run against every target back to back so the ratios hold on a noisy machine:
 *      - load: small non-streamed chat completions at each connection count (autocannon in its own
 *        process, load.ts): req/s, p50/p99, latency added over direct, CPU s per 1,000 requests
 *        and peak RSS of the target process (procstats.ts)
 *      - stream: sequential streamed replies (stream.ts): time to first chunk and total time
 *      - translate: OpenAI requests answered by an Anthropic-format upstream (targets that translate)
 *      - chain: the same request to a virtual model whose first target is the direct call's model,
 *        alternated with the direct call on the same Switchboard process, round after round: CPU
 *        per request of each and their ratio (issue 14: at most 1.10)
 *      - ledger: the same request to `switchboard` (usage ledger on) and to a Switchboard with the
 *        ledger off (`switchboard-no-ledger`, started for it when not a target), alternated round
 *        after round: the median of the rounds' throughput ratios is the ledger's cost (issue 15:
 *        at most 5 %), with CPU per request of each
 *      - streams: many streams held open at once (open-streams.ts): peak RSS of the target
 *   3. a table on stdout and the figures in bench/results/<timestamp>.json
 *
 * Options: --targets direct,bare,switchboard,portkey (add switchboard-effect for the Effect path
 * without the fast lane, switchboard-keys for a non-loopback listener with a gateway key) · --scenarios load,stream,translate,streams · --duration S (5) ·
 * --warmup S (1) · --connections 1,10,50,200 · --translate-connections 10 · --chain-connections 10 ·
 * --chain-rounds N (3; 2 with --quick) · --ledger-connections 10 · --ledger-rounds N (6; 3 with --quick) ·
 * --stream-requests N (20) ·
 * --chunks N (100) · --interval MS (2) · --open-streams N (1000) · --slow-chunks N (100) ·
 * --slow-interval MS (100) · --quick (short runs, fewer connections and streams) · --profile (V8
 * CPU profiles of the bare proxy and the Switchboard targets into bench/results/profiles/, see profile-summary.ts).
 * Every child process is stopped at the end, on error and on Ctrl-C (children.ts).
 */
import type { ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { forkScript, hasExited, installCleanup, nextMessage, stopAll, stopProcess } from "./children.ts"
import { cpuSeconds, peakRssMiB, resetPeakRss, rssMiB } from "./procstats.ts"
import { ensurePortkey } from "./portkey.ts"
import {
  isMessage,
  type LoadMeasuring,
  type LoadResult,
  type LoadSpec,
  type OpenStreamsSpec,
  type RequestSpec,
  SLOW_MODEL,
  type StreamsDone,
  type StreamsOpen,
  UPSTREAM_MODEL,
  type UpstreamReady
} from "./protocol.ts"
import { type BenchResults, type ChainRow, environment, formatResults, type LedgerRow, type LoadRow, type OpenStreamsRow, type StreamRow, writeResults } from "./report.ts"
import { median, percentile, round } from "./stats.ts"
import { measureStream } from "./stream.ts"
import { startTarget, type Target, TARGET_NAMES, type TargetName, type Upstream } from "./targets.ts"

const SCENARIOS = ["load", "stream", "translate", "chain", "ledger", "streams"] as const
type Scenario = (typeof SCENARIOS)[number]

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    targets: { type: "string", default: "direct,bare,switchboard,portkey" },
    scenarios: { type: "string", default: SCENARIOS.join(",") },
    duration: { type: "string" },
    warmup: { type: "string" },
    connections: { type: "string" },
    "translate-connections": { type: "string" },
    "chain-connections": { type: "string" },
    "chain-rounds": { type: "string" },
    "ledger-connections": { type: "string" },
    "ledger-rounds": { type: "string" },
    "stream-requests": { type: "string" },
    chunks: { type: "string", default: "100" },
    interval: { type: "string", default: "2" },
    "open-streams": { type: "string" },
    "slow-chunks": { type: "string", default: "100" },
    "slow-interval": { type: "string" }
  }
})

const positive = (name: string, text: string): number => {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}`)
  return value
}
const list = <T extends string>(name: string, text: string, allowed: ReadonlyArray<T>): Array<T> =>
  text.split(",").filter((item) => item !== "").map((item) => {
    if (!(allowed as ReadonlyArray<string>).includes(item)) throw new Error(`--${name}: unknown ${JSON.stringify(item)} (one of ${allowed.join(", ")})`)
    return item as T
  })

const quick = args.quick
const settings = {
  quick,
  durationSeconds: positive("duration", args.duration ?? (quick ? "2" : "5")),
  warmupSeconds: positive("warmup", args.warmup ?? (quick ? "0.5" : "1")),
  connections: (args.connections ?? (quick ? "10" : "1,10,50,200")).split(",").map((c) => Math.round(positive("connections", c))),
  translateConnections: (args["translate-connections"] ?? "10").split(",").map((c) => Math.round(positive("translate-connections", c))),
  chainConnections: (args["chain-connections"] ?? "10").split(",").map((c) => Math.round(positive("chain-connections", c))),
  chainRounds: Math.round(positive("chain-rounds", args["chain-rounds"] ?? (quick ? "2" : "3"))),
  ledgerConnections: (args["ledger-connections"] ?? "10").split(",").map((c) => Math.round(positive("ledger-connections", c))),
  ledgerRounds: Math.round(positive("ledger-rounds", args["ledger-rounds"] ?? (quick ? "3" : "6"))),
  streamRequests: Math.round(positive("stream-requests", args["stream-requests"] ?? (quick ? "10" : "20"))),
  streamWarmup: 3,
  chunks: Math.round(positive("chunks", args.chunks)),
  intervalMs: positive("interval", args.interval),
  openStreams: Math.round(positive("open-streams", args["open-streams"] ?? (quick ? "200" : "1000"))),
  slowChunks: Math.round(positive("slow-chunks", args["slow-chunks"])),
  slowIntervalMs: positive("slow-interval", args["slow-interval"] ?? (quick ? "30" : "100"))
}
const wantedTargets = list("targets", args.targets, TARGET_NAMES)
const scenarios = new Set(list("scenarios", args.scenarios, SCENARIOS))
const has = (scenario: Scenario) => scenarios.has(scenario)

const startUpstream = async (): Promise<Upstream> => {
  const child = forkScript(new URL("./upstream.ts", import.meta.url), [
    String(settings.chunks),
    String(settings.intervalMs),
    String(settings.slowChunks),
    String(settings.slowIntervalMs)
  ])
  const ready = await nextMessage(child, isMessage<UpstreamReady>("ready"), "fake upstream", 10_000)
  return { process: child, port: ready.port }
}

const pidOf = (child: ChildProcess): number => {
  if (child.pid === undefined) throw new Error("a target has no pid")
  return child.pid
}

/** One autocannon run against `request`, with the target's CPU time and peak RSS over the measured part. */
const runLoad = async (target: Target, request: RequestSpec, connections: number, label: string = target.name) => {
  const spec: LoadSpec = { ...request, connections, warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds }
  process.stderr.write(`  ${label}, ${connections} connection(s)…\n`)
  const child = forkScript(new URL("./load.ts", import.meta.url), [JSON.stringify(spec)])
  const pid = pidOf(target.process)
  const what = `autocannon (${target.name}, c=${connections})`
  try {
    await nextMessage(child, isMessage<LoadMeasuring>("measuring"), what, settings.warmupSeconds * 1000 + 15_000)
    const cpuBefore = cpuSeconds(pid)
    resetPeakRss(pid)
    const result = await nextMessage(child, isMessage<LoadResult>("result"), what, settings.durationSeconds * 1000 + 15_000)
    const cpu = cpuSeconds(pid) - cpuBefore
    if (result.errors + result.timeouts + result.non2xx > 0) {
      process.stderr.write(`  warning: ${target.name} c=${connections}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx\n`)
    }
    const { type: _type, ...figures } = result
    return { figures, cpuSecondsPer1k: round((cpu / Math.max(1, figures.requests)) * 1000, 4), peakRssMiB: round(peakRssMiB(pid), 1) }
  } finally {
    await stopProcess(child)
  }
}

/** Rows with latency added over `direct` (the direct OpenAI call at the same concurrency). */
const withAdded = (
  runs: ReadonlyArray<{ readonly target: TargetName } & Awaited<ReturnType<typeof runLoad>>>,
  direct: { readonly p50: number; readonly p99: number } | undefined
): Array<LoadRow> =>
  runs.map(({ target, figures, cpuSecondsPer1k, peakRssMiB }) => ({
    target,
    ...figures,
    addedP50: direct === undefined || target === "direct" ? (target === "direct" ? 0 : undefined) : round(figures.p50 - direct.p50),
    addedP99: direct === undefined || target === "direct" ? (target === "direct" ? 0 : undefined) : round(figures.p99 - direct.p99),
    cpuSecondsPer1k,
    peakRssMiB
  }))

/**
 * The direct call and the virtual model on one Switchboard process, alternated for
 * `settings.chainRounds` rounds (so a change in the machine's load falls on both alike), summed:
 * CPU per request of each, and the chain's over the direct call's — summed, and round by round
 * (each round's two runs saw the same machine; their median shrugs off a round another job spoiled).
 */
const chainRow = async (target: Target, virtual: () => RequestSpec, connections: number): Promise<ChainRow> => {
  const sums = { direct: { cpu: 0, requests: 0, seconds: 0, p50: [] as Array<number> }, chain: { cpu: 0, requests: 0, seconds: 0, p50: [] as Array<number> } }
  let failures = 0
  const roundRatios: Array<number> = []
  for (let index = 0; index < settings.chainRounds; index++) {
    const cpuUs: Record<"direct" | "chain", number> = { direct: Number.NaN, chain: Number.NaN }
    // Which goes first alternates too: neither always runs on a warmer process.
    const order = index % 2 === 0 ? (["direct", "chain"] as const) : (["chain", "direct"] as const)
    for (const which of order) {
      const run = await runLoad(target, which === "direct" ? target.chat(UPSTREAM_MODEL) : virtual(), connections, `${target.name} (${which}, round ${index + 1})`)
      const sum = sums[which]
      sum.cpu += run.cpuSecondsPer1k * run.figures.requests / 1000
      sum.requests += run.figures.requests
      sum.seconds += run.figures.elapsedSeconds
      sum.p50.push(run.figures.p50)
      cpuUs[which] = run.cpuSecondsPer1k * 1000
      failures += run.figures.errors + run.figures.timeouts + run.figures.non2xx
      ensureTargetAlive(target)
    }
    roundRatios.push(round(cpuUs.chain / cpuUs.direct))
  }
  const perRequestUs = (sum: typeof sums.direct) => round((sum.cpu / Math.max(1, sum.requests)) * 1e6, 1)
  const directUs = perRequestUs(sums.direct)
  const chainUs = perRequestUs(sums.chain)
  return {
    target: target.name,
    connections,
    rounds: settings.chainRounds,
    directRps: round(sums.direct.requests / Math.max(1e-9, sums.direct.seconds), 1),
    chainRps: round(sums.chain.requests / Math.max(1e-9, sums.chain.seconds), 1),
    directP50: round(median(sums.direct.p50)),
    chainP50: round(median(sums.chain.p50)),
    directCpuUs: directUs,
    chainCpuUs: chainUs,
    cpuRatio: round(chainUs / directUs, 3),
    roundRatios,
    medianRatio: round(median(roundRatios)),
    failures
  }
}

/**
 * Switchboard with its usage ledger on (`on`) and off (`off`), two processes, alternated for
 * `settings.ledgerRounds` rounds like the chain's (which goes first alternates too): each round's
 * throughput and CPU ratios, and their medians — the judged figure, since a round's two runs saw
 * the same machine and this machine's figures move by tens of percent from one minute to the next.
 */
const ledgerRow = async (on: Target, off: Target, connections: number): Promise<LedgerRow> => {
  const rps = { on: [] as Array<number>, off: [] as Array<number> }
  const cpu = { on: [] as Array<number>, off: [] as Array<number> }
  const rpsRatios: Array<number> = []
  const cpuRatios: Array<number> = []
  let failures = 0
  for (let index = 0; index < settings.ledgerRounds; index++) {
    const order = index % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)
    const round_: Record<"on" | "off", { rps: number; cpuUs: number }> = { on: { rps: 0, cpuUs: 0 }, off: { rps: 0, cpuUs: 0 } }
    for (const which of order) {
      const target = which === "on" ? on : off
      const run = await runLoad(target, target.chat(UPSTREAM_MODEL), connections, `${target.name} (round ${index + 1})`)
      round_[which] = { rps: run.figures.requests / Math.max(1e-9, run.figures.elapsedSeconds), cpuUs: run.cpuSecondsPer1k * 1000 }
      rps[which].push(round_[which].rps)
      cpu[which].push(round_[which].cpuUs)
      failures += run.figures.errors + run.figures.timeouts + run.figures.non2xx
      ensureTargetAlive(target)
    }
    rpsRatios.push(round(round_.on.rps / round_.off.rps, 3))
    cpuRatios.push(round(round_.on.cpuUs / round_.off.cpuUs, 3))
  }
  return {
    connections,
    rounds: settings.ledgerRounds,
    onRps: round(median(rps.on), 1),
    offRps: round(median(rps.off), 1),
    onCpuUs: round(median(cpu.on), 1),
    offCpuUs: round(median(cpu.off), 1),
    rpsRatios,
    cpuRatios,
    medianRpsRatio: round(median(rpsRatios), 3),
    medianCpuRatio: round(median(cpuRatios), 3),
    failures
  }
}

const ensureTargetAlive = (target: Target) => {
  if (hasExited(target.process)) throw new Error(`${target.name} exited during the run:\n${target.output()}`)
}

const streamRow = async (target: Target): Promise<Omit<StreamRow, "addedTtfbP50" | "addedTotalP50">> => {
  process.stderr.write(`  ${target.name}, ${settings.streamRequests} streamed requests…\n`)
  const request = target.chat(UPSTREAM_MODEL, true)
  const timings = await measureStream({ ...request, requests: settings.streamRequests, warmup: settings.streamWarmup, chunks: settings.chunks })
  return {
    target: target.name,
    ttfbP50: round(percentile(timings.ttfbMs, 50)),
    ttfbP90: round(percentile(timings.ttfbMs, 90)),
    totalP50: round(percentile(timings.totalMs, 50)),
    totalP90: round(percentile(timings.totalMs, 90))
  }
}

const openStreams = async (target: Target): Promise<OpenStreamsRow> => {
  process.stderr.write(`  ${target.name}, ${settings.openStreams} streams at once…\n`)
  const pid = pidOf(target.process)
  const spec: OpenStreamsSpec = { ...target.chat(SLOW_MODEL, true), streams: settings.openStreams, chunks: settings.slowChunks }
  const rssBeforeMiB = round(rssMiB(pid), 1)
  resetPeakRss(pid)
  const child = forkScript(new URL("./open-streams.ts", import.meta.url), [JSON.stringify(spec)])
  const budget = settings.slowChunks * settings.slowIntervalMs + 120_000
  try {
    const opened = nextMessage(child, isMessage<StreamsOpen>("open"), `open streams (${target.name})`, budget).catch(() => undefined)
    const done = await nextMessage(child, isMessage<StreamsDone>("done"), `open streams (${target.name})`, budget)
    return {
      target: target.name,
      streams: settings.openStreams,
      completed: done.completed,
      failed: done.failed,
      firstError: done.firstError,
      allOpenMs: (await opened)?.ms ?? Number.NaN,
      allDoneMs: done.ms,
      rssBeforeMiB,
      peakRssMiB: round(peakRssMiB(pid), 1)
    }
  } finally {
    await stopProcess(child)
  }
}

const main = async (): Promise<void> => {
  installCleanup()
  const startedAt = new Date().toISOString()
  const wallStart = performance.now()
  const env = environment()

  const skipped: Array<{ target: TargetName; reason: string }> = []
  const names = wantedTargets.filter((name) => {
    if (name !== "portkey") return true
    const installed = ensurePortkey()
    if (!installed.ok) skipped.push({ target: name, reason: `Portkey's gateway could not be installed: ${installed.reason}` })
    return installed.ok
  })

  process.stderr.write(`starting the fake upstream and ${names.join(", ")}…\n`)
  const upstream = await startUpstream()
  const targets: Array<Target> = []
  // One after the other: start-up times are not measured against each other's start-up.
  const profileDir = args.profile ? fileURLToPath(new URL(`./results/profiles/${startedAt.replace(/[:.]/g, "-")}/`, import.meta.url)) : undefined
  for (const name of names) targets.push(await startTarget(name, upstream, { profileDir }))
  const ensureAlive = () => {
    if (hasExited(upstream.process)) throw new Error("the fake upstream exited during the run")
    for (const target of targets) {
      if (hasExited(target.process)) throw new Error(`${target.name} exited during the run:\n${target.output()}`)
    }
  }
  const startupMs: BenchResults["startupMs"] = {}
  for (const target of targets) if (target.startupMs !== undefined) startupMs[target.name] = Math.round(target.startupMs)

  const load: Array<BenchResults["load"][number]> = []
  if (has("load")) {
    for (const connections of settings.connections) {
      process.stderr.write(`load, ${connections} connection(s):\n`)
      const runs = []
      for (const target of targets) {
        runs.push({ target: target.name, ...await runLoad(target, target.chat(UPSTREAM_MODEL), connections) })
        ensureAlive()
      }
      const direct = runs.find((run) => run.target === "direct")?.figures
      load.push({ connections, rows: withAdded(runs, direct) })
    }
  }

  const stream: Array<StreamRow> = []
  if (has("stream")) {
    process.stderr.write("streamed replies:\n")
    const rows = []
    for (const target of targets) {
      rows.push(await streamRow(target))
      ensureAlive()
    }
    const direct = rows.find((row) => row.target === "direct")
    for (const row of rows) {
      stream.push({
        ...row,
        addedTtfbP50: direct === undefined ? undefined : round(row.ttfbP50 - direct.ttfbP50),
        addedTotalP50: direct === undefined ? undefined : round(row.totalP50 - direct.totalP50)
      })
    }
  }

  const translation: Array<BenchResults["translation"][number]> = []
  if (has("translate")) {
    for (const connections of settings.translateConnections) {
      process.stderr.write(`translation, ${connections} connection(s):\n`)
      const runs = []
      for (const target of targets) {
        if (target.translated === undefined) continue
        runs.push({ target: target.name, ...await runLoad(target, target.translated(), connections) })
        ensureAlive()
      }
      const direct = load.find((run) => run.connections === connections)?.rows.find((row) => row.target === "direct")
      translation.push({ connections, rows: withAdded(runs, direct) })
    }
  }

  const chain: Array<ChainRow> = []
  if (has("chain")) {
    for (const connections of settings.chainConnections) {
      process.stderr.write(`virtual model vs direct call, ${connections} connection(s), ${settings.chainRounds} round(s):\n`)
      for (const target of targets) {
        if (target.virtual === undefined) continue
        chain.push(await chainRow(target, target.virtual, connections))
        ensureAlive()
      }
    }
  }

  const ledger: Array<LedgerRow> = []
  if (has("ledger")) {
    const on = targets.find((target) => target.name === "switchboard")
    if (on === undefined) skipped.push({ target: "switchboard", reason: "the ledger scenario compares the switchboard target with the ledger off: add switchboard to --targets" })
    else {
      // The ledger-off process only for this scenario when it is not a target already.
      const listed = targets.find((target) => target.name === "switchboard-no-ledger")
      const off = listed ?? await startTarget("switchboard-no-ledger", upstream, { profileDir })
      try {
        for (const connections of settings.ledgerConnections) {
          process.stderr.write(`usage ledger on vs off, ${connections} connection(s), ${settings.ledgerRounds} round(s):\n`)
          ledger.push(await ledgerRow(on, off, connections))
          ensureAlive()
        }
      } finally {
        if (listed === undefined) await stopProcess(off.process, 10_000)
      }
    }
  }

  const held: Array<OpenStreamsRow> = []
  if (has("streams")) {
    process.stderr.write("streams held open:\n")
    for (const target of targets) {
      if (target.name === "direct") continue
      held.push(await openStreams(target))
      ensureAlive()
    }
  }

  const results: BenchResults = {
    startedAt,
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    environment: env,
    settings,
    targets: names,
    skipped,
    startupMs,
    load,
    stream,
    translation,
    chain,
    ledger,
    openStreams: held,
    wallSeconds: round((performance.now() - wallStart) / 1000, 1)
  }
  const file = writeResults(results)
  console.log(`\n${formatResults(results)}\nResults: ${file}`)
  if (profileDir !== undefined) {
    // The profiles are written as the processes exit.
    await Promise.all(targets.map((target) => stopProcess(target.process, 10_000)))
    console.log(`CPU profiles: ${profileDir} (summarise with: node bench/profile-summary.ts <file>)`)
  }
}

try {
  await main()
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await stopAll()
}
