/**
 * A child process for FileLock.test.ts: `LockedEditor.ts <home> <log> <edits> live|die` waits for
 * `go` on stdin, then makes `<edits>` edits of remote.json through the real `ConfigStore`. Inside
 * each edit (under the lock) it appends `enter <pid>`, pauses briefly, and appends `exit <pid>` to
 * `<log>`. With `die` it kills itself (SIGKILL) inside its last edit, after `exit`: it leaves the
 * lock behind, stale, as a crashed writer would.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { appendFileSync } from "node:fs"
import { createInterface } from "node:readline"
import { ConfigStore } from "../../../src/config/ConfigStore.ts"

const [home, log, edits, mode] = process.argv.slice(2)
if (home === undefined || log === undefined || edits === undefined || (mode !== "live" && mode !== "die")) {
  console.error("usage: LockedEditor.ts <home> <log> <edits> live|die")
  process.exit(2)
}

const mark = (what: "enter" | "exit") => Effect.sync(() => appendFileSync(log, `${what} ${process.pid}\n`))

const program = Effect.gen(function*() {
  const store = yield* ConfigStore
  process.stdout.write("ready\n")
  yield* Effect.promise(() =>
    new Promise<void>((go) => {
      const input = createInterface({ input: process.stdin })
      input.once("line", () => (input.close(), go()))
    })
  )
  for (let i = 1; i <= Number(edits); i++) {
    yield* store.update((config) =>
      Effect.gen(function*() {
        yield* mark("enter")
        yield* Effect.sleep("2 millis")
        yield* mark("exit")
        if (mode === "die" && i === Number(edits)) process.kill(process.pid, "SIGKILL")
        return config
      })
    )
  }
})

await Effect.runPromise(program.pipe(Effect.provide(ConfigStore.layer({ home }).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))))))
