/**
 * Every process the bench starts is registered here, so that it is stopped whatever way the
 * bench ends: normal end, thrown error, Ctrl-C / SIGTERM. (Only SIGKILL of the bench itself
 * escapes this; the forked children also exit when their IPC channel closes.)
 */
import { type ChildProcess, fork, spawn, type SpawnOptions } from "node:child_process"
import { rmSync } from "node:fs"

const running = new Set<ChildProcess>()
const tempDirs = new Set<string>()

const track = (child: ChildProcess): ChildProcess => {
  running.add(child)
  child.once("exit", () => running.delete(child))
  return child
}

/** Synchronous on purpose: it also runs from the `exit` event, where nothing async gets to run. */
const cleanUpNow = () => {
  for (const child of running) child.kill("SIGKILL")
  running.clear()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

let installed = false
export const installCleanup = () => {
  if (installed) return
  installed = true
  process.on("exit", cleanUpNow)
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the bench's processes`)
      process.exit(code) // runs cleanUpNow via `exit`
    })
  }
}

/** A folder removed when the bench ends, even on failure. */
export const removeOnExit = (dir: string) => {
  tempDirs.add(dir)
}

/** A bench script (TypeScript, run by this same node) with an IPC channel to send results back. */
export const forkScript = (script: URL, args: ReadonlyArray<string>, execArgv: ReadonlyArray<string> = []): ChildProcess =>
  track(fork(script, [...args], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [...process.execArgv, ...execArgv] }))

export const spawnProcess = (command: string, args: ReadonlyArray<string>, options: SpawnOptions): ChildProcess =>
  track(spawn(command, [...args], options))

/** The first IPC message accepted by `guard`; fails if the child exits first or `timeoutMs` passes. */
export const nextMessage = <T>(
  child: ChildProcess,
  guard: (message: unknown) => message is T,
  what: string,
  timeoutMs: number
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child.off("message", onMessage)
      child.off("exit", onExit)
    }
    const onMessage = (message: unknown) => {
      if (!guard(message)) return
      done()
      resolve(message)
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done()
      reject(new Error(`${what}: process exited (${signal ?? `code ${code}`}) before answering`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on("message", onMessage)
    child.on("exit", onExit)
  })

export const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export const stopProcess = (child: ChildProcess, graceMs = 2000): Promise<void> =>
  new Promise<void>((resolve) => {
    if (hasExited(child)) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  })

export const stopAll = async (): Promise<void> => {
  await Promise.all([...running].map((child) => stopProcess(child)))
  cleanUpNow()
}

/** The last 40 lines a child wrote (stdout and stderr), for failure reports. */
export const collectOutput = (child: ChildProcess): (() => string) => {
  const lines: Array<string> = []
  const keep = (data: Buffer) => {
    lines.push(...data.toString("utf8").split("\n").filter((line) => line !== ""))
    lines.splice(0, Math.max(0, lines.length - 40))
  }
  child.stdout?.on("data", keep)
  child.stderr?.on("data", keep)
  return () => lines.join("\n")
}
