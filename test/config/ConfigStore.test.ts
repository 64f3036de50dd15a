/**
 * remote.json on a real disk (a temp folder per test): missing, broken, rewritten and watched.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schema, Stream } from "effect"
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { type ConfigChange, ConfigStore } from "../../src/config/ConfigStore.ts"
import { ProviderConfig } from "../../src/config/RemoteConfig.ts"
import { tempDir } from "../support/TempDir.ts"

const freshHome = () => tempDir("switchboard-config-")
const fileIn = (home: string) => join(home, "providers", "remote.json")
const writeRaw = (home: string, text: string) => {
  mkdirSync(join(home, "providers"), { recursive: true })
  writeFileSync(fileIn(home), text)
}
const storeIn = (home: string) =>
  ConfigStore.layer({ home }).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))

const provider = { id: "local", name: "Local", host: "127.0.0.1", protocol: "http", port: 8080 }

describe("ConfigStore", () => {
  it.effect("a missing file means no providers", () => {
    const home = freshHome()
    return Effect.gen(function*() {
      const store = yield* ConfigStore
      assert.strictEqual(store.path, fileIn(home))
      assert.deepStrictEqual(yield* store.load, { version: 1, providers: [] })
    }).pipe(Effect.provide(storeIn(home)))
  })

  it.effect("fills in the documented defaults", () => {
    const home = freshHome()
    writeRaw(home, JSON.stringify({ version: 1, providers: [{ id: "x", name: "X", host: "api.example" }] }))
    return Effect.gen(function*() {
      const [p] = (yield* (yield* ConfigStore).load).providers
      assert.deepStrictEqual(p, {
        id: "x", name: "X", host: "api.example", preset: "custom", protocol: "https", basePath: "/v1", format: "openai",
        auth: "none", enabled: true, autoConnect: true, timeoutSeconds: 60, headers: {}, secretHeaders: []
      } as unknown as typeof p)
    }).pipe(Effect.provide(storeIn(home)))
  })

  it.effect("keeps unknown fields, top level and per provider, across a rewrite", () => {
    const home = freshHome()
    writeRaw(home, JSON.stringify({ version: 1, comment: "mine", providers: [{ ...provider, futureField: { a: [1, 2] } }] }))
    return Effect.gen(function*() {
      const store = yield* ConfigStore
      yield* store.update((config) => ({ ...config, providers: config.providers.map((p) => ({ ...p, name: "Renamed" })) }))
      const written = JSON.parse(readFileSync(fileIn(home), "utf8"))
      assert.strictEqual(written.comment, "mine")
      assert.deepStrictEqual(written.providers[0].futureField, { a: [1, 2] })
      assert.strictEqual(written.providers[0].name, "Renamed")
      assert.strictEqual(written.providers[0].id, "local")
    }).pipe(Effect.provide(storeIn(home)))
  })

  it.effect("writes atomically: a complete file, owner-only, no temp file left behind", () => {
    const home = freshHome()
    return Effect.gen(function*() {
      const store = yield* ConfigStore
      yield* store.update((config) => ({ ...config, providers: [Schema.decodeUnknownSync(ProviderConfig)(provider)] }))
      assert.deepStrictEqual(readdirSync(join(home, "providers")), ["remote.json"])
      assert.strictEqual(statSync(fileIn(home)).mode & 0o777, 0o600)
      assert.strictEqual(JSON.parse(readFileSync(fileIn(home), "utf8")).providers.length, 1)
    }).pipe(Effect.provide(storeIn(home)))
  })

  it.effect.each([
    ["not JSON", "{ \"version\": 1, providers: [", "not valid JSON at line 1, column 17"],
    ["a wrong version", JSON.stringify({ version: 2, providers: [] }), "version"],
    ["a bad provider id", JSON.stringify({ version: 1, providers: [{ ...provider, id: "Has Spaces" }] }), "providers"],
    ["a port out of range", JSON.stringify({ version: 1, providers: [{ ...provider, port: 70000 }] }), "port"]
  ])("a file with %s is reported with its path and never overwritten", ([, text, reason]) => {
    const home = freshHome()
    writeRaw(home, text)
    return Effect.gen(function*() {
      const store = yield* ConfigStore
      const loadError = yield* Effect.flip(store.load)
      assert.strictEqual(loadError.path, fileIn(home))
      assert.include(loadError.message, reason)
      const updateError = yield* Effect.flip(store.update((config) => config))
      assert.strictEqual(updateError._tag, "ConfigError")
      assert.strictEqual(readFileSync(fileIn(home), "utf8"), text)
    }).pipe(Effect.provide(storeIn(home)))
  })

  // Live clock: the debounce waits in real time for the file system.
  it.live("reports every change on disk, debounced, broken files included", () => {
    const home = freshHome()
    writeRaw(home, JSON.stringify({ version: 1, providers: [] }))
    return Effect.gen(function*() {
      const store = yield* ConfigStore
      const seen: Array<ConfigChange> = []
      const watcher = yield* store.changes.pipe(Stream.runForEach((change) => Effect.sync(() => seen.push(change))), Effect.forkChild)
      const waitFor = (n: number) =>
        Effect.gen(function*() {
          for (let i = 0; i < 400 && seen.length < n; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
          assert.isAtLeast(seen.length, n, "no change event arrived")
        })
      // Let the watcher install before touching the file.
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 100)))
      writeRaw(home, JSON.stringify({ version: 1, providers: [provider] }))
      yield* waitFor(1)
      assert.strictEqual(seen[0]!._tag, "Loaded")
      assert.deepStrictEqual(seen[0]!._tag === "Loaded" && seen[0]!.config.providers.map((p): string => p.id), ["local"])
      writeRaw(home, "{ oops")
      yield* waitFor(2)
      assert.strictEqual(seen[1]!._tag, "Invalid")
      yield* Fiber.interrupt(watcher)
    }).pipe(Effect.provide(storeIn(home)))
  })
})
