/**
 * `npm test`: runs vitest. Keychain tests need a real Secret Service; when the binaries for one
 * are installed (gnome-keyring, dbus), this starts a private session bus and an unlocked keyring
 * for the run, so the tests never touch the user's own keychain. Without them the keychain tests
 * are skipped with the reason printed — except in CI, where they are required.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"

const has = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0
// Vitest's own summary is for people; a JSON report as well gives the plain closing line
// `N passed, N failed, N skipped` that tools reading the run (CI) understand.
const reportDir = mkdtempSync(join(tmpdir(), "switchboard-test-report-"))
const reportFile = join(reportDir, "vitest.json")
// `--faults` (`npm run test:faults`) runs the fault and abuse suite, which has its own config.
const faults = process.argv.includes("--faults")
const args = [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${reportFile}`,
  ...(faults ? ["--config", "vitest.faults.config.ts"] : []),
  ...process.argv.slice(2).filter((arg) => arg !== "--faults")
]
const canKeyring = process.platform === "linux" && has("dbus-run-session") && has("gnome-keyring-daemon")

let status: number | null
if (canKeyring) {
  // The keyring files go to a fresh folder: the daemon creates its "login" collection there with
  // our password, and never opens (or prompts for) the user's own keyrings.
  const keyringHome = mkdtempSync(join(tmpdir(), "switchboard-keyring-"))
  const inner = `echo -n switchboard-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec npx ${args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")}`
  // The private bus daemon complains on stderr about things that do not matter here (e.g. that it
  // may not raise its file limit): its lines are dropped, everything else on stderr is passed on.
  const child = spawn("dbus-run-session", ["--", "sh", "-c", inner], {
    stdio: ["inherit", "inherit", "pipe"],
    env: { ...process.env, XDG_DATA_HOME: keyringHome, SWITCHBOARD_TEST_KEYCHAIN: "1" }
  })
  createInterface({ input: child.stderr }).on("line", (line) => {
    if (!line.startsWith("dbus-daemon[")) process.stderr.write(line + "\n")
  })
  status = await new Promise<number | null>((resolve) => child.once("close", resolve))
  rmSync(keyringHome, { recursive: true, force: true })
} else {
  const reason = process.platform === "linux"
    ? "dbus-run-session / gnome-keyring-daemon not installed (apt-get install -y gnome-keyring dbus-x11 libsecret-tools)"
    : `automatic keyring set-up is Linux-only (platform ${process.platform})`
  if (process.env.CI) {
    console.error(`keychain tests are required in CI but cannot run: ${reason}`)
    process.exit(1)
  }
  console.warn(`[switchboard] keychain tests will be SKIPPED: ${reason}`)
  status = spawnSync("npx", args, { stdio: "inherit", env: { ...process.env, SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON: reason } }).status
}
if (existsSync(reportFile)) {
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number }
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`)
}
rmSync(reportDir, { recursive: true, force: true })
process.exit(status ?? 1)
