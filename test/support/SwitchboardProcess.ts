/**
 * Starts the real `switchboard serve` as a child process, the way a user runs it, with its own
 * home directory and secrets from environment variables (`SWITCHBOARD_SECRETS=env`), and stops it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface SwitchboardProcess {
  readonly url: string
  readonly port: number
  readonly home: string
  /** Everything the process printed, stdout and stderr interleaved. */
  readonly output: () => string
  /** Stops the process and removes the home directory if `startSwitchboard` created it. */
  readonly stop: () => Promise<void>
}

const ROOT = new URL("../../", import.meta.url).pathname

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const writeRemoteConfig = (home: string, config: unknown): void => {
  mkdirSync(join(home, "providers"), { recursive: true })
  writeFileSync(join(home, "providers", "remote.json"), JSON.stringify(config, null, 2))
}

export const startSwitchboard = async (options: {
  readonly config?: unknown
  readonly env?: Record<string, string>
  readonly home?: string
} = {}): Promise<SwitchboardProcess> => {
  const home = options.home ?? mkdtempSync(join(tmpdir(), "switchboard-test-"))
  if (options.config !== undefined) writeRemoteConfig(home, options.config)
  const port = await freePort()
  let output = ""
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "bin/switchboard.js"), "serve", "--port", String(port)], {
    cwd: ROOT,
    env: { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  child.stdout?.on("data", (chunk) => (output += String(chunk)))
  child.stderr?.on("data", (chunk) => (output += String(chunk)))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  // A start that fails removes the home it made, as `stop` would.
  const giveUp = async (message: string): Promise<never> => {
    if (child.exitCode === null) child.kill("SIGKILL")
    await exited
    if (options.home === undefined) rmSync(home, { recursive: true, force: true })
    throw new Error(message)
  }
  for (;;) {
    if (child.exitCode !== null) return giveUp(`switchboard exited (${child.exitCode}):\n${output}`)
    try {
      // Bounded, so a request that is accepted but never answered (as once happened to requests
      // arriving while the gateway was still being built) is retried instead of hanging the test.
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) break
    } catch {
      // not listening (or not serving) yet
    }
    if (Date.now() > deadline) return giveUp(`switchboard did not start within 30 s:\n${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url,
    port,
    home,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM")
      // A gateway that does not shut down must not hang the test run.
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(kill)
      // A home made here is removed with the process; one passed in belongs to the caller.
      if (options.home === undefined) rmSync(home, { recursive: true, force: true })
    }
  }
}

/** A provider as `GET /v1/providers` shows it (`/health` leaves out `models`). */
export interface ProviderStatusJson {
  readonly id: string
  readonly name: string
  readonly format: string
  readonly base_url: string
  readonly state: string
  readonly error: string | null
  readonly retrying: boolean | null
  readonly model_count: number
  readonly models?: ReadonlyArray<string>
  readonly since: string | null
}

/** Polls the status endpoint until a provider reaches a state (or fails after a while). */
export const waitForProvider = async (url: string, id: string, state: string, timeoutMs = 10_000): Promise<ProviderStatusJson> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    const list = await (await fetch(`${url}/v1/providers`)).json() as { data: Array<ProviderStatusJson> }
    const provider = list.data.find((p) => p.id === id)
    last = provider
    if (provider?.state === state) return provider
    if (Date.now() > deadline) throw new Error(`provider ${id} did not reach ${state}; last: ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * Polls `check` until it returns something other than `undefined` (or fails, naming `what`, after
 * a generous deadline). For states the server reaches in its own time: tests assert that they
 * happen, never how long they take.
 */
export const waitUntil = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs = 15_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** `GET <url><path>` as JSON. */
export const getJson = async <A>(url: string, path: string): Promise<A> => (await fetch(`${url}${path}`)).json() as Promise<A>
