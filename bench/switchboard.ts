/**
 * Switchboard as the user runs it: `node src/bin.ts serve`, in its own process, with a temporary
 * SWITCHBOARD_HOME whose remote.json points at the fake upstream, and env secrets (no keychain
 * prompt or D-Bus on a headless box). Ready once the provider reports `connected`.
 */
import type { ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { hasExited, removeOnExit, spawnProcess } from "./children.ts"
import { PROVIDER_ID } from "./protocol.ts"

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url))

export interface RunningSwitchboard {
  readonly process: ChildProcess
  readonly port: number
  /** The last lines Switchboard printed, for error messages. */
  readonly output: () => string
}

/** A port that was free a moment ago. Switchboard takes a port number, not 0, so one is picked here. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")))
    })
  })

const writeHome = (upstreamPort: number): string => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-bench-"))
  removeOnExit(home)
  mkdirSync(join(home, "providers"))
  const config = {
    version: 1,
    providers: [{ id: PROVIDER_ID, name: "Bench upstream", protocol: "http", host: "127.0.0.1", port: upstreamPort, auth: "none" }]
  }
  writeFileSync(join(home, "providers", "remote.json"), JSON.stringify(config, null, 2))
  return home
}

export const startSwitchboard = async (upstreamPort: number): Promise<RunningSwitchboard> => {
  const port = await freePort()
  const home = writeHome(upstreamPort)
  const child = spawnProcess(process.execPath, ["src/bin.ts", "serve", "--host", "127.0.0.1", "--port", String(port)], {
    cwd: REPO_ROOT,
    env: { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env" },
    // Piped, not inherited: its logs would interleave with the table; kept for failure reports.
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  const keep = (data: Buffer) => {
    lines.push(...data.toString("utf8").split("\n").filter((line) => line !== ""))
    lines.splice(0, Math.max(0, lines.length - 40))
  }
  child.stdout?.on("data", keep)
  child.stderr?.on("data", keep)
  return { process: child, port, output: () => lines.join("\n") }
}

interface ProviderJson {
  readonly id: string
  readonly state: string
  readonly error: string | null
}

export interface Readiness {
  readonly ms: number
  /** Polls that connected but got no answer within 1 s (see below); 0 when start-up is clean. */
  readonly unansweredPolls: number
}

/** Polls `GET /v1/providers` until the bench provider is `connected`. */
export const waitUntilConnected = async (switchboard: RunningSwitchboard, timeoutMs: number): Promise<Readiness> => {
  const start = performance.now()
  let last = "no answer yet"
  let unansweredPolls = 0
  while (performance.now() - start < timeoutMs) {
    if (hasExited(switchboard.process)) {
      throw new Error(`Switchboard exited during start-up:\n${switchboard.output()}`)
    }
    try {
      // Bounded per poll: a request that reaches Switchboard just as it starts listening can go
      // unanswered (its request handler is attached after the port opens), and undici would
      // otherwise wait 300 s for the headers.
      const response = await fetch(`http://127.0.0.1:${switchboard.port}/v1/providers`, { signal: AbortSignal.timeout(1000) })
      const { data } = (await response.json()) as { data: ReadonlyArray<ProviderJson> }
      const provider = data.find((p) => p.id === PROVIDER_ID)
      if (provider?.state === "connected") return { ms: performance.now() - start, unansweredPolls }
      last = provider ? `${provider.state}${provider.error ? `: ${provider.error}` : ""}` : "provider not listed"
    } catch (error) {
      if (error instanceof DOMException && error.name === "TimeoutError") unansweredPolls++
      last = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}` : String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`provider "${PROVIDER_ID}" not connected after ${timeoutMs} ms (${last})\n${switchboard.output()}`)
}
