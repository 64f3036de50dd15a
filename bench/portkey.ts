/**
 * Portkey's open-source gateway (`@portkey-ai/gateway`, pinned in bench/peers/portkey/), the peer
 * Switchboard is measured against. It lives in its own package folder so that it never becomes a
 * dependency of Switchboard, and is installed on demand (`npm ci`, no install scripts) the first
 * time the bench needs it.
 *
 * It runs `--headless` (otherwise it serves a log page that streams every request, keys included),
 * bound to 127.0.0.1 by a preload (it has no host option), and reaches the fake upstream through
 * `x-portkey-custom-host`.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { spawnProcess } from "./children.ts"

const FOLDER = fileURLToPath(new URL("./peers/portkey/", import.meta.url))
const ENTRY = `${FOLDER}node_modules/@portkey-ai/gateway/build/start-server.js`

/** Installs Portkey if it is not yet; a reason when it cannot be, so the bench can go on without it. */
export const ensurePortkey = (): { readonly ok: true } | { readonly ok: false; readonly reason: string } => {
  if (existsSync(ENTRY)) return { ok: true }
  process.stderr.write("installing Portkey's gateway for the bench (npm ci in bench/peers/portkey)…\n")
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const result = spawnSync(npm, ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", FOLDER], {
    encoding: "utf8",
    timeout: 300_000
  })
  if (result.status === 0 && existsSync(ENTRY)) return { ok: true }
  const output = `${result.error?.message ?? ""}\n${result.stderr ?? ""}`.trim().split("\n").slice(-5).join("\n")
  return { ok: false, reason: `npm ci failed (${result.status ?? result.signal}): ${output}` }
}

/** Portkey on `port`, started with the same node as the bench. */
export const startPortkey = (port: number) =>
  spawnProcess(process.execPath, ["--import", `${FOLDER}loopback.ts`, ENTRY, "--headless", `--port=${port}`], {
    cwd: FOLDER,
    env: { ...process.env, NODE_ENV: "production" },
    // It logs a line per request on stdout: not wanted in the bench's output, nor worth a pipe.
    stdio: ["ignore", "ignore", "pipe"]
  })

/** The headers that route a Portkey request to the fake upstream, speaking `provider` (`openai`, `anthropic`). */
export const portkeyHeaders = (provider: string, upstreamPort: number): Record<string, string> => ({
  "x-portkey-provider": provider,
  "x-portkey-custom-host": `http://127.0.0.1:${upstreamPort}/v1`,
  authorization: "Bearer bench-key"
})
