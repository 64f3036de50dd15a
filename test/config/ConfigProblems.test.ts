/** What a user is told about a broken or misspelt remote.json: where a syntax error is, which keys are unknown, what can still be read. */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ConfigStore, syntaxErrorAt } from "../../src/config/ConfigStore.ts"
import { closestKey, type RemoteConfig, unknownKeys } from "../../src/config/RemoteConfig.ts"
import { tempDir } from "../support/TempDir.ts"

describe("syntaxErrorAt", () => {
  it.each([
    ["a missing comma", "{\n  \"version\": 1,\n  \"providers\": [\n    { \"id\": \"a\" \"name\": \"x\" }\n  ]\n}", "line 4, column 17: comma expected"],
    ["a trailing comma", "{\"version\": 1,}", "line 1, column 15: property name expected"],
    ["a comment", "// mine\n{}", "line 1, column 1: invalid comment token"],
    ["an unclosed array", "{\"version\": 1, \"providers\": [", "line 1, column 30: close bracket expected"],
    ["an empty file", "", "line 1, column 1: value expected"]
  ])("%s", (_, text, expected) => {
    assert.strictEqual(syntaxErrorAt(text), expected)
  })

  it("finds nothing in valid JSON", () => {
    assert.isUndefined(syntaxErrorAt("{\"version\": 1, \"providers\": []}"))
  })
})

describe("unknownKeys", () => {
  it.each([
    ["protocl", "protocol"],
    ["basepath", "basePath"],
    ["modles", "models"],
    ["somethingElse", undefined]
  ])("%s → %s", (key, expected) => {
    assert.strictEqual(closestKey(key, ["protocol", "basePath", "models", "host"]), expected)
  })

  it("names every unknown key, where it is and the key it most likely means", () => {
    const config = {
      version: 1,
      providers: [{ id: "openai", name: "OpenAI", host: "api.openai.com", protocl: "http" }],
      local: { maxQueu: 2 },
      futureSetting: true
    } as unknown as RemoteConfig
    assert.deepStrictEqual(unknownKeys(config), [
      "unknown key \"futureSetting\" in remote.json: kept in the file, but it has no effect",
      "unknown key \"protocl\" in provider openai (did you mean \"protocol\"?): kept in the file, but it has no effect",
      "unknown key \"maxQueu\" in \"local\" (did you mean \"maxQueue\"?): kept in the file, but it has no effect"
    ])
  })
})

describe("ConfigStore.inspect", () => {
  const inspect = (text: string) => {
    const home = tempDir("switchboard-inspect-")
    mkdirSync(join(home, "providers"))
    writeFileSync(join(home, "providers", "remote.json"), text)
    return Effect.flatMap(ConfigStore, (store) => store.inspect).pipe(
      Effect.provide(ConfigStore.layer({ home }).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))))
    )
  }
  const good = { id: "good", name: "Good", host: "example.com" }

  it.effect("a file that decodes: its providers and its warnings, no error", () =>
    Effect.gen(function*() {
      const report = yield* inspect(JSON.stringify({ version: 1, providers: [{ ...good, protocl: "http" }] }))
      assert.isNull(report.error)
      assert.deepStrictEqual(report.config.providers.map((p) => p.id), ["good"])
      assert.lengthOf(report.warnings, 1)
    }))

  it.effect("a file with a bad entry: the error, and the entries that decode", () =>
    Effect.gen(function*() {
      const report = yield* inspect(JSON.stringify({ version: 1, providers: [good, { ...good, id: "Bad Id" }] }))
      assert.include(report.error?.message, "[\"providers\"][1][\"id\"]")
      assert.deepStrictEqual(report.config.providers.map((p) => p.id), ["good"])
    }))

  it.effect("a file that is not JSON: the error with line and column, nothing else", () =>
    Effect.gen(function*() {
      const report = yield* inspect("{\"version\": 1,\n  \"providers\": [")
      assert.strictEqual(report.error?.message, "not valid JSON at line 2, column 17: close bracket expected")
      assert.deepStrictEqual(report.config.providers, [])
    }))
})
