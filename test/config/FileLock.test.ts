/**
 * The cross-process lock of remote.json (`FileLock`): a stale lock (its process gone) is taken
 * over, a live holder's never, not even by a process that judged the lock stale before it was
 * taken; and real processes racing over stale locks are never two inside the lock at once.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import * as FileLock from "../../src/config/FileLock.ts"

const EDITOR = new URL("./support/LockedEditor.ts", import.meta.url).pathname
const Platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

const homes: Array<string> = []
afterAll(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })))
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-lock-"))
  homes.push(home)
  mkdirSync(join(home, "providers"))
  return home
}
const lockIn = (home: string) => join(home, "providers", "remote.json.lock")

/** The pid of a process that has exited (so no longer runs). */
const deadPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["-e", ""])
    child.once("exit", () => resolve(child.pid!))
  })

describe("FileLock", () => {
  it.each([
    ["a token", (pid: number) => `${pid}-0123456789abcdef`],
    ["a bare pid (written by earlier versions)", (pid: number) => String(pid)]
  ])("takes over the lock of a process that is gone (%s)", async (_, token) => {
    const lock = lockIn(newHome())
    writeFileSync(lock, token(await deadPid()))
    await Effect.gen(function*() {
      const fileLock = yield* FileLock.make(lock)
      const held = yield* fileLock.withLock(Effect.sync(() => readFileSync(lock, "utf8")))
      assert.match(held, new RegExp(`^${process.pid}-[0-9a-f]+$`))
    }).pipe(Effect.provide(Platform), Effect.runPromise)
    assert.isFalse(existsSync(lock), "released")
  })

  it("a late takeover of a stale lock leaves the lock taken since alone", async () => {
    const lock = lockIn(newHome())
    const stale = `${await deadPid()}-0123456789abcdef`
    writeFileSync(lock, stale)
    await Effect.gen(function*() {
      const fileLock = yield* FileLock.make(lock)
      const mine = yield* fileLock.acquire
      // Another process read `stale` before this one took the lock over, and only now acts on it.
      yield* fileLock.removeStale(stale)
      assert.strictEqual(readFileSync(lock, "utf8"), mine)
      yield* fileLock.release(mine)
    }).pipe(Effect.provide(Platform), Effect.runPromise)
  })

  it("a claim on a stale lock left by a process that died claiming it does not block the lock", async () => {
    const lock = lockIn(newHome())
    const stale = `${await deadPid()}-0123456789abcdef`
    writeFileSync(lock, stale)
    writeFileSync(`${lock}.${stale}.claim`, `${await deadPid()}-fedcba9876543210`)
    await Effect.gen(function*() {
      const fileLock = yield* FileLock.make(lock)
      yield* fileLock.withLock(Effect.void)
      yield* fileLock.clearLeftovers
    }).pipe(Effect.provide(Platform), Effect.runPromise)
    assert.deepStrictEqual(readdirSync(join(lock, "..")), [])
  })

  it("waits for a live holder, then fails naming the lock file, leaving the lock as it was", async () => {
    const lock = lockIn(newHome())
    const live = `${process.pid}-0123456789abcdef`
    writeFileSync(lock, live)
    const error = await Effect.gen(function*() {
      const fileLock = yield* FileLock.make(lock)
      return yield* Effect.flip(fileLock.withLock(Effect.void))
    }).pipe(Effect.provide(Platform), Effect.runPromise)
    assert.include(error.message, lock)
    assert.include(error.message, `process ${process.pid}`)
    assert.strictEqual(readFileSync(lock, "utf8"), live)
  }, 60_000)
})

/** Starts an editor; resolves once it has built its store and waits for `go`. */
const startEditor = (home: string, log: string, edits: number, mode: "live" | "die") =>
  new Promise<{ readonly child: ChildProcess; readonly exited: Promise<number | null> }>((resolve, reject) => {
    const child = spawn(process.execPath, [EDITOR, home, log, String(edits), mode], { stdio: ["pipe", "pipe", "pipe"] })
    let stderr = ""
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
    child.stderr!.on("data", (chunk) => (stderr += String(chunk)))
    child.stdout!.on("data", (chunk) => String(chunk).includes("ready") && resolve({ child, exited }))
    child.once("error", reject)
    void exited.then((code) => reject(new Error(`the editor exited (${code}) before it was ready:\n${stderr}`)))
  })

describe("processes racing over stale locks", () => {
  const LIVE = 3
  const EDITS = 10
  const DYING = 5

  it(`${LIVE} editors of ${EDITS} edits each and ${DYING} that die holding the lock: never two inside at once`, async () => {
    const home = newHome()
    const log = join(home, "log")
    writeFileSync(log, "")
    // The race starts over a stale lock, and each dying editor leaves another one.
    writeFileSync(lockIn(home), `${await deadPid()}-0123456789abcdef`)
    const editors = await Promise.all([
      ...Array.from({ length: LIVE }, () => startEditor(home, log, EDITS, "live")),
      ...Array.from({ length: DYING }, () => startEditor(home, log, 1, "die"))
    ])
    for (const editor of editors) editor.child.stdin!.end("go\n")
    const codes = await Promise.all(editors.map((editor) => editor.exited))
    assert.deepStrictEqual(codes, [...Array(LIVE).fill(0), ...Array(DYING).fill(null)])

    const lines = readFileSync(log, "utf8").trim().split("\n")
    let inside: string | undefined
    for (const [i, line] of lines.entries()) {
      const [what, pid] = line.split(" ")
      if (what === "enter") assert.isUndefined(inside, `line ${i + 1}: ${pid} entered while ${inside} was inside`)
      else assert.strictEqual(pid, inside, `line ${i + 1}: ${pid} left, but ${inside} was inside`)
      inside = what === "enter" ? pid : undefined
    }
    assert.strictEqual(lines.length, 2 * (LIVE * EDITS + DYING))
  }, 120_000)
})
