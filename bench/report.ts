/** The bench's figures: their shape, the printed tables, and the JSON file in bench/results/. */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { LoadFigures } from "./protocol.ts"
import { round } from "./stats.ts"

export interface LoadComparison {
  readonly connections: number
  readonly direct: LoadFigures
  readonly switchboard: LoadFigures
}

export interface StreamFigures {
  readonly ttfbP50: number
  readonly ttfbP90: number
  readonly totalP50: number
  readonly totalP90: number
}

export interface BenchResults {
  readonly startedAt: string
  readonly environment: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string }
  readonly settings: {
    readonly warmupSeconds: number
    readonly durationSeconds: number
    readonly connections: ReadonlyArray<number>
    readonly streamRequests: number
    readonly streamWarmup: number
    readonly chunks: number
    readonly chunkIntervalMs: number
  }
  readonly switchboardReadyMs: number
  readonly startupUnansweredRequests: number
  readonly load: ReadonlyArray<LoadComparison & { readonly ratio: { readonly rps: number; readonly p50: number; readonly p99: number } }>
  readonly stream: { readonly direct: StreamFigures; readonly switchboard: StreamFigures }
  readonly wallSeconds: number
}

export const environment = (): BenchResults["environment"] => ({
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? "unknown"
})

export const ratio = (switchboard: number, direct: number): number => round(switchboard / direct, 2)

type Align = "left" | "right"

/** A plain-text table; first row is the header. */
const table = (rows: ReadonlyArray<ReadonlyArray<string>>, align: ReadonlyArray<Align>): string => {
  const widths = align.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length)))
  const line = (row: ReadonlyArray<string>) =>
    row.map((cell, col) => align[col] === "right" ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0)).join(" │ ")
  const rule = widths.map((width) => "─".repeat(width)).join("─┼─")
  const [header, ...body] = rows
  return ["  " + line(header ?? []), "  " + rule, ...body.map((row) => "  " + line(row))].join("\n")
}

const ms = (value: number) => value.toFixed(3)
const times = (value: number) => `${value.toFixed(2)}×`
const count = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })

export const formatResults = (results: BenchResults): string => {
  const { environment: env, settings: s } = results
  const loadRows: Array<Array<string>> = [["conns", "path", "req/s", "p50 ms", "p99 ms", "requests", "errors/non-2xx"]]
  for (const row of results.load) {
    for (const [name, r] of [["direct", row.direct], ["switchboard", row.switchboard]] as const) {
      loadRows.push([String(row.connections), name, count(r.rps), ms(r.p50), ms(r.p99), String(r.requests), `${r.errors + r.timeouts}/${r.non2xx}`])
    }
    loadRows.push(["", "ratio sb/direct", times(row.ratio.rps), times(row.ratio.p50), times(row.ratio.p99), "", ""])
  }
  const d = results.stream.direct
  const sb = results.stream.switchboard
  const streamRows = [
    ["path", "TTFB p50 ms", "TTFB p90 ms", "total p50 ms", "total p90 ms"],
    ["direct", ms(d.ttfbP50), ms(d.ttfbP90), ms(d.totalP50), ms(d.totalP90)],
    ["switchboard", ms(sb.ttfbP50), ms(sb.ttfbP90), ms(sb.totalP50), ms(sb.totalP90)],
    ["ratio sb/direct", times(ratio(sb.ttfbP50, d.ttfbP50)), times(ratio(sb.ttfbP90, d.ttfbP90)), times(ratio(sb.totalP50, d.totalP50)), times(ratio(sb.totalP90, d.totalP90))],
    ["added by sb (ms)", ms(sb.ttfbP50 - d.ttfbP50), ms(sb.ttfbP90 - d.ttfbP90), ms(sb.totalP50 - d.totalP50), ms(sb.totalP90 - d.totalP90)]
  ]
  return [
    `Switchboard bench · node ${env.node} · ${env.platform} · ${env.cpus} CPU(s) (${env.cpuModel})`,
    `Load generator, fake upstream and Switchboard share these CPUs: compare the ratio, not the absolute figures.`,
    "",
    `Non-streamed chat completion (autocannon, ${s.warmupSeconds} s warm-up, then ${s.durationSeconds} s measured):`,
    table(loadRows, ["right", "left", "right", "right", "right", "right", "right"]),
    "",
    `Streamed reply (${s.streamRequests} sequential requests after ${s.streamWarmup} warm-up; ${s.chunks} chunks, ${s.chunkIntervalMs} ms apart):`,
    table(streamRows, ["left", "right", "right", "right", "right"]),
    "",
    `Switchboard start → provider connected: ${Math.round(results.switchboardReadyMs)} ms · whole run ${results.wallSeconds.toFixed(1)} s`,
    ...(results.startupUnansweredRequests > 0
      ? [`Note: ${results.startupUnansweredRequests} start-up request(s) to Switchboard connected but were never answered (abandoned after 1 s).`]
      : [])
  ].join("\n")
}

/** bench/results/<timestamp>.json (git-ignored); returns the path. */
export const writeResults = (results: BenchResults): string => {
  const dir = fileURLToPath(new URL("./results/", import.meta.url))
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${results.startedAt.replace(/[:.]/g, "-")}.json`)
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n")
  return file
}
