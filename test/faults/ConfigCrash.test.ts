/**
 * Kill -9 during a config write: a child process rewrites remote.json through the real
 * `ConfigStore` in a loop and is killed with SIGKILL at a random moment (seeded, so a failing run
 * can be repeated), many times over. After every kill remote.json parses, matches the schema and
 * is exactly one whole generation: the last one the child reported written, or the one it was
 * writing (the rename had happened, the report had not). Never a torn or empty file.
 *
 * A kill between writing the temporary file and renaming it leaves the temporary file behind;
 * the next start of a `ConfigStore` removes those of processes that no longer run, so they do not
 * pile up. A kill inside an edit leaves the cross-process lock (`remote.json.lock`) behind; the
 * next writer takes it over once it sees its holder is gone.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Schema } from "effect"
import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import { RemoteConfig } from "../../src/config/RemoteConfig.ts"
import { generation } from "./support/ConfigGenerations.ts"

const WRITER = new URL("./support/ConfigWriter.ts", import.meta.url).pathname
const KILLS = 30
const SEED = 20261124

const home = mkdtempSync(join(tmpdir(), "switchboard-crash-"))
const dir = join(home, "providers")
const file = join(dir, "remote.json")
afterAll(() => rmSync(home, { recursive: true, force: true }))

const decode = Schema.decodeUnknownSync(RemoteConfig)

/** Starts the writer; resolves once it is `ready`, with the generations it reports as written. */
const startWriter = (mode: "loop" | "start") =>
  new Promise<{
    readonly child: ChildProcess
    readonly written: () => number
    /** Resolves once this writer has reported `n` writes. */
    readonly writes: (n: number) => Promise<void>
    readonly exited: Promise<number | null>
  }>((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, home, mode], { stdio: ["ignore", "pipe", "pipe"] })
    let last = 0
    let count = 0
    const waiting: Array<{ readonly n: number; readonly done: () => void }> = []
    const writes = (n: number) => new Promise<void>((done) => (count >= n ? done() : waiting.push({ n, done })))
    let buffer = ""
    let stderr = ""
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
    child.stderr!.on("data", (chunk) => (stderr += String(chunk)))
    child.stdout!.on("data", (chunk) => {
      buffer += String(chunk)
      const lines = buffer.split("\n")
      buffer = lines.pop()!
      for (const line of lines) {
        if (line === "ready") resolve({ child, written: () => last, writes, exited })
        else if (/^\d+$/.test(line)) {
          last = Number(line)
          count++
          for (const waiter of waiting.filter((w) => count >= w.n)) waiter.done()
        }
      }
    })
    child.once("error", reject)
    if (mode === "start") resolve({ child, written: () => last, writes, exited })
    else void exited.then((code) => reject(new Error(`the writer exited (${code}) before it was ready:\n${stderr}`)))
  })

const temporaryFiles = () => (existsSync(dir) ? readdirSync(dir) : []).filter((name) => name.endsWith(".tmp"))

describe("kill -9 during config writes", () => {
  it(`leaves the old or the new remote.json after each of ${KILLS} kills at random moments (seed ${SEED})`, async () => {
    // When to kill: after 0–3 whole writes of this writer, then 0–30 ms into whatever it does next.
    const moments = fc.sample(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 30 })), { seed: SEED, numRuns: KILLS })
    const seen = new Set<number>()
    let tornWrites = 0
    // A writer killed inside an edit leaves remote.json.lock naming it; the next one, finding
    // that process gone, takes the lock over (else it would wait and the next round would hang).
    let locksLeft = 0
    /** The generation on disk before the current writer started (none yet: 0). */
    let before = 0
    for (const [i, [writes, delay]] of moments.entries()) {
      const writer = await startWriter("loop")
      await writer.writes(writes)
      await new Promise((r) => setTimeout(r, delay))
      writer.child.kill("SIGKILL")
      await writer.exited
      // A writer killed before its first report has written nothing this test knows of.
      const reported = Math.max(writer.written(), before)

      // Killed before the very first write finished: no file, as before.
      if (!existsSync(file)) {
        expect(before, `kill ${i}: remote.json vanished`).toBe(0)
        continue
      }
      const text = readFileSync(file, "utf8")
      const config = decode(JSON.parse(text))
      const counter = config.faultCounter as number
      // The generation reported last, or the next one if the kill came between rename and report.
      expect([reported, reported + 1], `kill ${i} after ${writes} writes and ${delay} ms`).toContain(counter)
      expect(config, `kill ${i}: a whole generation`).toEqual(decode({ version: 1, ...generation(counter) }))
      seen.add(counter)
      before = counter
      if (temporaryFiles().length > 0) tornWrites++
      if (existsSync(join(dir, "remote.json.lock"))) locksLeft++
      // A new start clears what the killed writer left (it no longer runs).
      expect(temporaryFiles().length, `kill ${i}: temporary files`).toBeLessThanOrEqual(1)
    }
    // Every run that wrote at least once left a newer generation: the file really changed under the kills.
    expect(seen.size).toBeGreaterThanOrEqual(moments.filter(([writes]) => writes > 0).length)
    console.log(`${KILLS} kills: ${seen.size} distinct generations on disk, ${tornWrites} left a temporary file, ${locksLeft} a lock`)

    const start = await startWriter("start")
    expect(await start.exited).toBe(0)
    expect(temporaryFiles()).toEqual([])
  }, 180_000)

  it("a start removes the temporary files of writers that no longer run, and keeps those of running ones", async () => {
    const gone = spawn(process.execPath, ["-e", ""])
    await new Promise((r) => gone.once("exit", r))
    const stale = `remote.json.${gone.pid}.${Date.now().toString(36)}.tmp`
    const live = `remote.json.${process.pid}.${Date.now().toString(36)}.tmp`
    writeFileSync(join(dir, stale), '{"version": 1, "provi')
    writeFileSync(join(dir, live), '{"version": 1, "provi')
    const before = readFileSync(file, "utf8")
    const start = await startWriter("start")
    expect(await start.exited).toBe(0)
    expect(temporaryFiles()).toEqual([live])
    expect(readFileSync(file, "utf8")).toBe(before)
    rmSync(join(dir, live))
  })
})
