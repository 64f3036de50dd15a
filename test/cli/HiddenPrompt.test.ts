/**
 * The API key typed at a terminal: `providers add` asks with a hidden prompt and the key never
 * shows. The binary runs under a pseudo-terminal from util-linux `script` (skipped, with the reason
 * printed, where it is not installed); the key is typed only once the prompt is up, as a user would.
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "vitest"

const ROOT = new URL("../../", import.meta.url).pathname
const hasScript = process.platform === "linux" && spawnSync("sh", ["-c", "command -v script"], { stdio: "ignore" }).status === 0
const skip = hasScript ? undefined : "util-linux `script` (a pseudo-terminal) is not installed"
if (skip) console.warn(`[switchboard] SKIPPED hidden prompt test: ${skip}`)

describe.skipIf(skip !== undefined)("the hidden API key prompt", () => {
  it("asks on a terminal and never echoes the key", async () => {
    const home = mkdtempSync(join(tmpdir(), "switchboard-tty-"))
    const command = `'${process.execPath}' '${join(ROOT, "bin/switchboard.js")}' providers add xai`
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: ROOT,
      // The file store, in the test's own home (the env store cannot keep a key, so it is not asked for).
      env: { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "file", SWITCHBOARD_PORT: "1" },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let output = ""
    let typed = false
    child.stdout.on("data", (chunk) => {
      output += String(chunk)
      if (!typed && output.includes("API key for xAI")) {
        typed = true
        child.stdin.write("sk-typed-at-the-terminal\r")
      }
    })
    // A prompt that never comes must fail the test, not leave the process behind.
    const guard = setTimeout(() => child.kill("SIGKILL"), 15_000)
    const status = await new Promise<number | null>((resolve) => child.once("close", resolve))
    clearTimeout(guard)
    let stored = ""
    try {
      stored = readFileSync(join(home, "secrets.json"), "utf8")
    } catch {
      // no file: the assertion below says so
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
    assert.isTrue(typed, output)
    assert.notInclude(output, "sk-typed-at-the-terminal")
    assert.include(stored, "sk-typed-at-the-terminal")
    assert.strictEqual(status, 0, output)
  })
})
