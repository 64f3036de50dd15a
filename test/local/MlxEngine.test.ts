/**
 * The MLX engine's supervision of `mlx_lm.server`, with a spawner that runs a fake server (a node
 * script speaking OpenAI-compatible HTTP on 127.0.0.1) in its place: start on demand with a health
 * check, answers through the OpenAI stream decoder, restart after a crash, a start-up failure
 * with the server's own words, stop on unload.
 */
import { assert, describe, it } from "@effect/vitest"
import { NodeChildProcessSpawner, NodeFileSystem, NodeHttpClient, NodePath } from "@effect/platform-node"
import { Effect, Layer, Schedule, Stream } from "effect"
import { ChildProcess, ChildProcessSpawner } from "effect/process"
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Request } from "../../src/formats/Canonical.ts"
import { collectResponse } from "../../src/local/CollectResponse.ts"
import * as MlxEngine from "../../src/local/MlxEngine.ts"
import { canonicalRequest } from "../support/CanonicalRequest.ts"
import { tempDir } from "../support/TempDir.ts"

const FAKE_SERVER = new URL("./fixtures/fake-mlx-server.mjs", import.meta.url).pathname

/** The real spawner, except that `mlx_lm.server` is the fake; counts the servers started. */
const spawned: Array<string> = []
const FakeMlxSpawner = Layer.effect(
  ChildProcessSpawner.ChildProcessSpawner,
  Effect.map(ChildProcessSpawner.ChildProcessSpawner, (real) =>
    ChildProcessSpawner.make((command) => {
      if (command._tag === "StandardCommand" && command.command === MlxEngine.SERVER_COMMAND) {
        spawned.push(String(command.args[1]))
        return real.spawn(ChildProcess.make(process.execPath, [FAKE_SERVER, ...command.args], command.options))
      }
      return real.spawn(command)
    }))
).pipe(Layer.provide(NodeChildProcessSpawner.layer), Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))

const TestLayer = Layer.mergeAll(FakeMlxSpawner, NodeHttpClient.layerUndici)

const modelDir = (name: string) => {
  const dir = join(tempDir("switchboard-mlx-"), name)
  mkdirSync(dir)
  writeFileSync(join(dir, "config.json"), "{}")
  writeFileSync(join(dir, "model.safetensors"), "")
  return dir
}

const ask = (text: string): Request =>
  canonicalRequest({ model: "tiny", messages: [{ role: "user", content: [{ _tag: "Text", text }] }], maxTokens: 8, temperature: 0, stream: true })

const textOf = (response: Effect.Success<ReturnType<typeof collectResponse>>) =>
  response.content.map((part) => part._tag === "Text" ? part.text : "").join("")

describe("MlxEngine (fake mlx_lm.server)", () => {
  it("claims model folders with a config.json and safetensors weights", () => {
    const engine = { claims: (path: string) => MlxEngine.isMlxModelDir(path) }
    assert.isTrue(engine.claims(modelDir("tiny")))
    assert.isFalse(engine.claims(tmpdir() + "/does-not-exist"))
  })

  it.live("starts the server on load, answers through it, restarts it after a crash, stops it on unload", () =>
    Effect.gen(function*() {
      const engine = yield* MlxEngine.make({ restartSchedule: Schedule.spaced("20 millis"), healthInterval: "20 millis" })
      const dir = modelDir("tiny")
      const loaded = yield* engine.load({ id: "tiny", path: dir })
      const first = yield* collectResponse(loaded.generate(ask("hi")))
      assert.strictEqual(textOf(first), "Hello from MLX")
      assert.strictEqual(first.model, "tiny")
      assert.deepStrictEqual([first.usage?.inputTokens, first.usage?.outputTokens], [7, 3])
      assert.strictEqual(first.finish.reason, "end_turn")

      const crashed = yield* Effect.flip(Stream.runDrain(loaded.generate(ask("crash"))))
      assert.strictEqual(crashed._tag, "GenerationFailed")
      // The supervisor restarts the server; the next request waits for it to be ready.
      const again = yield* collectResponse(loaded.generate(ask("hi"))).pipe(
        Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 })
      )
      assert.strictEqual(textOf(again), "Hello from MLX")
      assert.isAtLeast(spawned.filter((model) => model === dir).length, 2)

      yield* loaded.unload
      // Unloading stops the server process.
      const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").some((line) => line.includes(FAKE_SERVER) && line.includes(dir))
      yield* Effect.sync(running).pipe(Effect.repeat({ while: (alive) => alive, schedule: Schedule.spaced("50 millis"), times: 100 }))
      assert.isFalse(running())
    }).pipe(Effect.scoped, Effect.provide(TestLayer)), 30_000)

  it.live("a server that exits while starting fails the load with what it printed", () =>
    Effect.gen(function*() {
      const engine = yield* MlxEngine.make({ healthInterval: "20 millis" })
      const error = yield* Effect.flip(engine.load({ id: "broken", path: modelDir("broken") }))
      assert.strictEqual(error._tag, "ModelLoadFailed")
      assert.include(error.reason, "exited with code 1")
      assert.include(error.reason, "no safetensors found")
    }).pipe(Effect.scoped, Effect.provide(TestLayer)), 30_000)
})
