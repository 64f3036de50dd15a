/**
 * Runs the real `switchboard` binary as a user does, asynchronously: a test's fake upstream lives
 * in the test process and must keep answering while the command runs (spawnSync would block it).
 */
import { spawn } from "node:child_process"
import { join } from "node:path"

const ROOT = new URL("../../", import.meta.url).pathname

export interface CliResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

export const runCli = (
  args: ReadonlyArray<string>,
  options: { readonly input?: string; readonly env?: Record<string, string> } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/switchboard.js"), ...args], {
      cwd: ROOT,
      // No colour unless a test asks for it, whatever the test runner's own environment says.
      env: { ...process.env, FORCE_COLOR: "", NO_COLOR: "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.once("error", reject)
    child.once("close", (status) => resolve({ status, stdout, stderr }))
    child.stdin.end(options.input ?? "")
  })
