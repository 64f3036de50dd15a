/**
 * `LocalModels` with a fake engine (the engine is faked, not the service under test) and the
 * TestClock: loading on first use, idle unloading, one generation per model, the queue limit,
 * abort freeing the queue, load failures as the model's state, and the generation queue alone.
 */
import { assert, describe, it } from "@effect/vitest"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as GenerationQueue from "../../src/local/GenerationQueue.ts"
import { type LocalEngine, ModelLoadFailed, pieceEvents } from "../../src/local/LocalEngine.ts"
import { LocalModels, make } from "../../src/local/LocalModels.ts"
import { canonicalRequest } from "../support/CanonicalRequest.ts"
import { tempDir } from "../support/TempDir.ts"

const request = canonicalRequest({ model: "a", messages: [{ role: "user", content: [{ _tag: "Text", text: "hi" }] }], maxTokens: 4, stream: true })

/** A fake engine serving `*.fake` files (a context of 100 tokens); each generation waits for the gate of its turn. */
const makeFake = () => {
  const counts = { loads: 0, unloads: 0, generations: 0 }
  /** The `maxTokens` of every generation, as the engine was asked. */
  const limits: Array<number | undefined> = []
  const gates: Array<Deferred.Deferred<void>> = []
  const engine: LocalEngine = {
    name: "llama.cpp",
    claims: (entry) => entry.name.endsWith(".fake") ? entry.name.slice(0, -".fake".length) : undefined,
    load: (source) =>
      source.id === "broken"
        ? Effect.fail(new ModelLoadFailed({ model: source.id, reason: "not a model" }))
        : Effect.sync(() => {
          counts.loads++
          return {
            contextTokens: 100,
            generate: (asked) =>
              Stream.unwrap(Effect.gen(function*() {
                counts.generations++
                limits.push(asked.maxTokens)
                const gate = yield* Deferred.make<void>()
                gates.push(gate)
                return Stream.fromEffect(Effect.as(Deferred.await(gate), { _tag: "Text" as const, text: "hello" })).pipe(
                  Stream.concat(Stream.succeed({
                    _tag: "End" as const,
                    finish: { reason: "end_turn" as const, raw: "eogToken", stopSequence: undefined },
                    usage: { inputTokens: 2, outputTokens: 1, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
                  })),
                  pieceEvents({ id: "x", model: source.id, created: 0 })
                )
              })),
            unload: Effect.sync(() => void counts.unloads++)
          }
        })
  }
  return { engine, counts, gates, limits }
}

const homeWith = (...files: ReadonlyArray<string>) => {
  const home = tempDir("switchboard-local-unit-")
  mkdirSync(join(home, "models"))
  for (const file of files) writeFileSync(join(home, "models", file), "")
  return home
}

const layerFor = (home: string, engine: LocalEngine, options: { readonly rescanEvery?: Duration.Input } = {}) =>
  Layer.effect(LocalModels, make({ home, engines: [engine], unavailable: [], ...options })).pipe(
    Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
  )

/** Lets forked fibers run until `check` holds (bounded). */
const until = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (yield* check) return
      yield* Effect.yieldNow
    }
    assert.fail("condition never held")
  })

const modelStatus = (id: string) =>
  Effect.gen(function*() {
    const status = yield* (yield* LocalModels).status
    return status.models.find((m) => m.id === id)!
  })

describe("LocalModels", () => {
  it.effect("finds models, loads one on first use and unloads it after the idle timeout", () => {
    const fake = makeFake()
    return Effect.gen(function*() {
      const local = yield* LocalModels
      yield* local.configure({ idleUnloadSeconds: 60 })
      const status = yield* local.status
      assert.deepStrictEqual(status.models.map((m) => [m.id, m.state]), [["a", "unloaded"], ["b", "unloaded"]])
      assert.isTrue(status.active)

      const fiber = yield* local.generate("a", request).pipe(Stream.runCollect, Effect.forkChild)
      yield* until(Effect.sync(() => fake.gates.length === 1))
      yield* Deferred.succeed(fake.gates[0]!, undefined)
      const events = yield* Fiber.join(fiber)
      assert.deepStrictEqual(events.map((e) => e._tag), ["Start", "BlockStart", "BlockDelta", "BlockStop", "Finish"])
      assert.strictEqual((yield* modelStatus("a")).state, "loaded")

      yield* TestClock.adjust(Duration.seconds(59))
      assert.strictEqual(fake.counts.unloads, 0)
      yield* TestClock.adjust(Duration.seconds(2))
      yield* until(Effect.sync(() => fake.counts.unloads === 1))
      assert.strictEqual((yield* modelStatus("a")).state, "unloaded")
      assert.strictEqual(fake.counts.loads, 1)
    }).pipe(Effect.provide(layerFor(homeWith("a.fake", "b.fake", "notes.txt"), fake.engine)))
  })

  it.effect("runs one generation per model, refuses a request past the queue limit, and an abort frees the turn", () => {
    const fake = makeFake()
    return Effect.gen(function*() {
      const local = yield* LocalModels
      yield* local.configure({ maxQueue: 1 })
      const first = yield* local.generate("a", request).pipe(Stream.runCollect, Effect.forkChild)
      yield* until(Effect.sync(() => fake.gates.length === 1))
      const admission = yield* local.prepare("a")
      assert.strictEqual(admission.ahead, 1)
      const second = yield* local.generate("a", request).pipe(Stream.runCollect, Effect.forkChild)
      yield* until(Effect.map(modelStatus("a"), (m) => m.waiting === 1))
      // Still one generation: the second waits for its turn.
      assert.strictEqual(fake.counts.generations, 1)

      const refused = yield* Effect.flip(local.prepare("a"))
      assert.strictEqual(refused._tag, "QueueFull")

      yield* Fiber.interrupt(first)
      yield* until(Effect.sync(() => fake.gates.length === 2))
      yield* Deferred.succeed(fake.gates[1]!, undefined)
      const events = yield* Fiber.join(second)
      assert.strictEqual(events.at(-1)?._tag, "Finish")
      const after = yield* modelStatus("a")
      assert.deepStrictEqual([after.running, after.waiting], [0, 0])
    }).pipe(Effect.provide(layerFor(homeWith("a.fake"), fake.engine)))
  })

  it.effect("bounds every answer: the caller's limit, else the config's maxOutputTokens, else the context, never past the context", () => {
    const fake = makeFake()
    return Effect.gen(function*() {
      const local = yield* LocalModels
      const answer = (maxTokens: number | undefined) =>
        Effect.gen(function*() {
          const fiber = yield* local.generate("a", { ...request, maxTokens }).pipe(Stream.runDrain, Effect.forkChild)
          const gates = fake.gates.length
          yield* until(Effect.sync(() => fake.gates.length === gates + 1))
          yield* Deferred.succeed(fake.gates[gates]!, undefined)
          yield* Fiber.join(fiber)
        })
      for (const maxTokens of [undefined, 1000, 4]) yield* answer(maxTokens)
      yield* local.configure({ maxOutputTokens: 10 })
      for (const maxTokens of [undefined, 1000, 4]) yield* answer(maxTokens)
      assert.deepStrictEqual(fake.limits, [100, 100, 4, 10, 100, 4])
    }).pipe(Effect.provide(layerFor(homeWith("a.fake"), fake.engine)))
  })

  it.effect("a model that fails to load is in error, with the reason, and says so to every request", () => {
    const fake = makeFake()
    return Effect.gen(function*() {
      const local = yield* LocalModels
      const error = yield* Effect.flip(local.prepare("broken"))
      assert.strictEqual(error._tag, "ModelLoadFailed")
      assert.include(error.message, "not a model")
      const status = yield* modelStatus("broken")
      assert.deepStrictEqual([status.state, status.error], ["error", "not a model"])
      const unknown = yield* Effect.flip(local.prepare("nope"))
      assert.strictEqual(unknown._tag, "LocalModelNotFound")
    }).pipe(Effect.provide(layerFor(homeWith("broken.fake"), fake.engine)))
  })

  it.effect("configured paths that do not exist are models in error; no engine means inactive", () => {
    const fake = makeFake()
    const home = homeWith()
    return Effect.gen(function*() {
      const local = yield* LocalModels
      yield* local.configure({ modelPaths: [join(home, "gone.fake")] })
      const status = yield* modelStatus("gone.fake")
      assert.strictEqual(status.state, "error")
      assert.include(status.error, "does not exist")
      yield* local.configure({ engine: "none" })
      const off = yield* local.status
      assert.isFalse(off.active)
      assert.deepStrictEqual(off.models, [])
      assert.include(off.unavailable, "turned off")
    }).pipe(Effect.provide(layerFor(home, fake.engine)))
  })
})

describe("LocalModels without a models folder", () => {
  it.effect("is inactive (no `local` provider) until a folder or a path exists", () => {
    const fake = makeFake()
    const home = tempDir("switchboard-local-none-")
    return Effect.gen(function*() {
      const local = yield* LocalModels
      const status = yield* local.status
      assert.deepStrictEqual([status.active, status.models.length, status.unavailable], [false, 0, null])
      mkdirSync(join(home, "models"))
      writeFileSync(join(home, "models", "a.fake"), "")
      yield* local.rescan
      const found = yield* local.status
      assert.deepStrictEqual([found.active, found.models.map((m) => m.id)], [true, ["a"]])
    }).pipe(Effect.provide(layerFor(home, fake.engine)))
  })
})

describe("LocalModels watching the folders", () => {
  /** Polls (real time, bounded) until the model ids are `ids`. */
  const listed = (ids: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const local = yield* LocalModels
      for (let i = 0; i < 500; i++) {
        const status = yield* local.status
        if (status.models.map((m) => m.id).join() === ids.join()) return status
        yield* Effect.sleep(Duration.millis(20))
      }
      assert.fail(`models never were ${ids.join()}: ${(yield* local.status).models.map((m) => m.id).join()}`)
    })

  // No periodic rescan in reach (an hour): only the watchers can make these models appear.
  it.live("lists a model dropped into a models folder created after start, and a configured file, and drops them when removed", () => {
    const fake = makeFake()
    const home = mkdtempSync(join(tmpdir(), "switchboard-local-watch-"))
    const elsewhere = join(home, "elsewhere")
    mkdirSync(elsewhere)
    return Effect.gen(function*() {
      const local = yield* LocalModels
      yield* local.configure({ modelPaths: [join(elsewhere, "c.fake")] })
      yield* listed(["c.fake"])
      mkdirSync(join(home, "models"))
      writeFileSync(join(home, "models", "a.fake"), "")
      assert.isTrue((yield* listed(["a", "c.fake"])).active)
      writeFileSync(join(home, "models", "b.fake"), "")
      yield* listed(["a", "b", "c.fake"])
      rmSync(join(home, "models", "a.fake"))
      yield* listed(["b", "c.fake"])
      writeFileSync(join(elsewhere, "c.fake"), "")
      const found = yield* listed(["b", "c"])
      assert.deepStrictEqual(found.models.map((m) => m.state), ["unloaded", "unloaded"])
      rmSync(join(home, "models"), { recursive: true })
      yield* listed(["c"])
      rmSync(join(elsewhere, "c.fake"))
      yield* listed(["c.fake"])
    }).pipe(
      Effect.provide(layerFor(home, fake.engine, { rescanEvery: Duration.hours(1) })),
      Effect.ensuring(Effect.sync(() => rmSync(home, { recursive: true, force: true })))
    )
  })
})

describe("GenerationQueue", () => {
  it.effect("turns are taken in arrival order, one at a time; a full queue fails at once; an interrupted wait leaves", () =>
    Effect.gen(function*() {
      const queue = yield* GenerationQueue.make("m", () => 2)
      const order: Array<string> = []
      const scopeA = yield* Scope.make()
      yield* Scope.provide(queue.turn(), scopeA)
      const aheadOf: Array<number> = []
      const waiter = (name: string) =>
        Effect.scoped(Effect.andThen(queue.turn((ahead) => aheadOf.push(ahead)), Effect.sync(() => order.push(name))))
      const b = yield* Effect.forkChild(waiter("b"))
      yield* until(Effect.map(queue.size, (s) => s.waiting === 1))
      const c = yield* Effect.forkChild(waiter("c"))
      yield* until(Effect.map(queue.size, (s) => s.waiting === 2))
      const full = yield* Effect.flip(Effect.scoped(queue.turn()))
      assert.strictEqual(full._tag, "QueueFull")
      assert.deepStrictEqual(aheadOf, [1, 2])

      yield* Fiber.interrupt(c)
      assert.deepStrictEqual(yield* queue.size, { running: 1, waiting: 1 })
      yield* Scope.close(scopeA, Exit.void)
      yield* Fiber.join(b)
      assert.deepStrictEqual(order, ["b"])
      assert.deepStrictEqual(yield* queue.size, { running: 0, waiting: 0 })
    }))
})
