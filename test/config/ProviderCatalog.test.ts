/**
 * Adding and removing providers keeps remote.json and the secret store in step, and never writes
 * a secret to the file.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigStore } from "../../src/config/ConfigStore.ts"
import { ProviderCatalog, slugFor } from "../../src/config/ProviderCatalog.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { apiKey, header, SecretStore } from "../../src/secrets/SecretStore.ts"

const setup = (home: string) =>
  ProviderCatalog.layer.pipe(
    Layer.provideMerge(ConfigStore.layer({ home })),
    Layer.provideMerge(MemorySecretStore.layer()),
    Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
  )

describe("slugFor", () => {
  it.each([
    ["OpenAI", [], "openai"],
    ["OpenAI", ["openai"], "openai-2"],
    ["OpenAI", ["openai", "openai-2"], "openai-3"],
    ["  My Local LLM!! ", [], "my-local-llm"],
    ["Café Crème", [], "cafe-creme"],
    ["***", [], "provider"]
  ] as const)("%s (taken: %j) → %s", (name, taken, slug) => {
    assert.strictEqual(slugFor(name, new Set(taken)), slug)
  })
})

describe("ProviderCatalog", () => {
  it.effect("adds from a preset: preset defaults, derived id, secrets in the store and not in the file", () => {
    const home = mkdtempSync(join(tmpdir(), "switchboard-catalog-"))
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const secrets = yield* SecretStore
      const first = yield* catalog.add({ preset: "openrouter", apiKey: Redacted.make("sk-or-very-secret") })
      assert.include<Record<string, unknown>>(first, { id: "openrouter", name: "OpenRouter", host: "openrouter.ai", basePath: "/api/v1", auth: "apiKey", format: "openai" })
      const second = yield* catalog.add({
        preset: "custom",
        name: "OpenRouter",
        settings: { host: "corp.example", headers: { "X-Team": "ml" } },
        secretHeaders: { "X-Corp-Token": Redacted.make("corp-very-secret") }
      })
      assert.strictEqual(second.id, "openrouter-2")
      assert.deepStrictEqual(second.secretHeaders, ["X-Corp-Token"])

      const file = readFileSync(join(home, "providers", "remote.json"), "utf8")
      assert.notInclude(file, "sk-or-very-secret")
      assert.notInclude(file, "corp-very-secret")
      assert.include(file, "X-Team")
      assert.isTrue(Option.isSome(yield* secrets.get("openrouter", apiKey)))
      assert.isTrue(Option.isSome(yield* secrets.get("openrouter-2", header("X-Corp-Token"))))
    }).pipe(Effect.provide(setup(home)))
  })

  it.effect("an invalid entry is refused before any secret is stored", () => {
    const home = mkdtempSync(join(tmpdir(), "switchboard-catalog-"))
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const error = yield* Effect.flip(catalog.add({ preset: "custom", name: "Nowhere", apiKey: Redacted.make("sk-x") }))
      assert.strictEqual(error._tag, "InvalidProvider")
      assert.include(error.message, "host")
      assert.isTrue(Option.isNone(yield* (yield* SecretStore).get("nowhere", apiKey)))
    }).pipe(Effect.provide(setup(home)))
  })

  it.effect("removing a provider deletes all its secrets", () => {
    const home = mkdtempSync(join(tmpdir(), "switchboard-catalog-"))
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const secrets = yield* SecretStore
      const added = yield* catalog.add({
        preset: "openai",
        apiKey: Redacted.make("sk-1"),
        secretHeaders: { "X-A": Redacted.make("a"), "X-B": Redacted.make("b") }
      })
      yield* catalog.remove(added.id)
      assert.deepStrictEqual((yield* (yield* ConfigStore).load).providers, [])
      for (const name of [apiKey, header("X-A"), header("X-B")]) {
        assert.isTrue(Option.isNone(yield* secrets.get(added.id, name)))
      }
      const error = yield* Effect.flip(catalog.remove(added.id))
      assert.strictEqual(error.message, "no provider with id openai")
    }).pipe(Effect.provide(setup(home)))
  })
})
