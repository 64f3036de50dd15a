/**
 * Adding and removing providers keeps remote.json and the secret store in step, and never writes
 * a secret to the file.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ConfigStore } from "../../src/config/ConfigStore.ts"
import { applyHeaderChanges, ProviderCatalog, slugFor } from "../../src/config/ProviderCatalog.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { apiKey, header, SecretStore } from "../../src/secrets/SecretStore.ts"
import { tempDir } from "../support/TempDir.ts"

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

describe("applyHeaderChanges", () => {
  it.each([
    [{ "X-Team": "ml" }, { "X-Env": "dev" }, { "X-Team": "ml", "X-Env": "dev" }],
    [{ "X-Team": "ml" }, { "x-team": "ai" }, { "x-team": "ai" }],
    [{ "X-Team": "ml", "X-Env": "dev" }, { "x-env": null }, { "X-Team": "ml" }],
    [{ "X-Team": "ml" }, { "X-Gone": null }, { "X-Team": "ml" }],
    [{}, {}, {}]
  ] as const)("%j with %j → %j", (headers, changes, expected) => {
    assert.deepStrictEqual(applyHeaderChanges(headers, changes), expected)
  })
})

describe("ProviderCatalog", () => {
  it.effect("adds from a preset: preset defaults, derived id, secrets in the store and not in the file", () => {
    const home = tempDir("switchboard-catalog-")
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const secrets = yield* SecretStore
      const first = yield* catalog.add({ preset: "openrouter", apiKey: Redacted.make("sk-or-very-secret") })
      assert.include<Record<string, unknown>>(first, { id: "openrouter", name: "OpenRouter", host: "openrouter.ai", basePath: "/api/v1", auth: "apiKey", format: "openai" })
      const second = yield* catalog.add({
        preset: "custom",
        // Another name (names are unique) with the same slug: the id gets a suffix.
        name: "OpenRouter!",
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

  it.effect("a provider named Local gets another id: `local` is the models of this machine", () => {
    const home = tempDir("switchboard-catalog-")
    return Effect.gen(function*() {
      const entry = yield* (yield* ProviderCatalog).add({ preset: "custom", name: "Local", settings: { host: "127.0.0.1" } })
      assert.strictEqual(entry.id, "local-2")
    }).pipe(Effect.provide(setup(home)))
  })

  it.effect("an invalid entry is refused before any secret is stored", () => {
    const home = tempDir("switchboard-catalog-")
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const error = yield* Effect.flip(catalog.add({ preset: "custom", name: "Nowhere", apiKey: Redacted.make("sk-x") }))
      assert.strictEqual(error._tag, "InvalidProvider")
      assert.include(error.message, "host")
      assert.isTrue(Option.isNone(yield* (yield* SecretStore).get("nowhere", apiKey)))
    }).pipe(Effect.provide(setup(home)))
  })

  it.effect("removing a provider deletes all its secrets", () => {
    const home = tempDir("switchboard-catalog-")
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

  it.effect("refuses duplicate names, invalid hosts, base paths and header names, naming the field", () => {
    const home = tempDir("switchboard-catalog-")
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      yield* catalog.add({ preset: "openai" })
      const duplicate = yield* Effect.flip(catalog.add({ preset: "xai", name: " openai " }))
      assert.strictEqual(duplicate._tag, "DuplicateName")
      const cases = [
        [{ host: "https://api.example.com" }, "host"],
        [{ host: "api.example.com/v1" }, "host"],
        [{ host: "a.example", basePath: "v1 x" }, "basePath"],
        [{ host: "a.example", headers: { "X-Bad\r\nInjected": "1" } }, "headers"],
        [{ host: "a.example", headers: { "X-Ok": "1\r\nX-Injected: 2" } }, "headers"],
        [{ host: "a.example", port: 70000 }, "port"]
      ] as const
      for (const [settings, field] of cases) {
        const error = yield* Effect.flip(catalog.add({ preset: "custom", name: "Bad", settings }))
        assert.strictEqual(error._tag, "InvalidProvider")
        if (error._tag === "InvalidProvider") {
          assert.strictEqual(error.field, field, error.message)
          assert.include(error.message, field)
        }
      }
      const badSecretHeader = yield* Effect.flip(catalog.add({ preset: "custom", name: "Bad", settings: { host: "a.example" }, secretHeaders: { "X Token": Redacted.make("v") } }))
      assert.strictEqual(badSecretHeader._tag, "InvalidProvider")
    }).pipe(Effect.provide(setup(home)))
  })

  it.effect("edits settings and secrets; renaming keeps the id; an endpoint change keeping a stored key needs confirmation", () => {
    const home = tempDir("switchboard-catalog-")
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const secrets = yield* SecretStore
      const added = yield* catalog.add({ preset: "custom", name: "Corp", settings: { host: "a.example" }, apiKey: Redacted.make("sk-old"), secretHeaders: { "X-T": Redacted.make("t-old") } })
      const renamed = yield* catalog.edit(added.id, { name: "Corp Renamed", settings: { timeoutSeconds: 5 } })
      assert.strictEqual(renamed.entry.id, "corp")
      assert.strictEqual(renamed.entry.name, "Corp Renamed")
      assert.strictEqual(renamed.entry.timeoutSeconds, 5)
      assert.isFalse(renamed.secretsChanged)

      const moved = yield* Effect.flip(catalog.edit("corp", { settings: { host: "b.example" } }))
      assert.strictEqual(moved._tag, "SecretsWouldMove")
      assert.include(moved.message, "API key")
      assert.include(moved.message, "X-T")
      assert.strictEqual((yield* (yield* ConfigStore).load).providers[0]!.host, "a.example")
      // Turning auth off on the way does not slip the stored key past the rule: it would reach
      // the new host as soon as auth is turned back on.
      const authOff = yield* Effect.flip(catalog.edit("corp", { settings: { host: "b.example", auth: "none" }, secretHeaders: { "X-T": null } }))
      assert.strictEqual(authOff._tag, "SecretsWouldMove")
      assert.include(authOff.message, "API key")
      // A new key alone is not enough: the secret header would still move.
      assert.strictEqual((yield* Effect.flip(catalog.edit("corp", { settings: { port: 8443 }, apiKey: Redacted.make("sk-new") })))._tag, "SecretsWouldMove")
      const replaced = yield* catalog.edit("corp", { settings: { host: "b.example" }, apiKey: Redacted.make("sk-new"), secretHeaders: { "X-T": null } })
      assert.isTrue(replaced.secretsChanged)
      assert.deepStrictEqual(replaced.entry.secretHeaders, [])
      assert.strictEqual(Option.map(yield* secrets.get("corp", apiKey), Redacted.value).pipe(Option.getOrNull), "sk-new")
      assert.isTrue(Option.isNone(yield* secrets.get("corp", header("X-T"))))
      const confirmed = yield* catalog.edit("corp", { settings: { protocol: "http" }, confirmKeepSecrets: true })
      assert.strictEqual(confirmed.entry.protocol, "http")

      const keyless = yield* catalog.edit("corp", { apiKey: null })
      assert.strictEqual(keyless.entry.auth, "none")
      assert.isTrue(Option.isNone(yield* secrets.get("corp", apiKey)))
      // Nothing stored any more: the endpoint may change freely.
      assert.strictEqual((yield* catalog.edit("corp", { settings: { host: "c.example", port: null } })).entry.host, "c.example")
      assert.deepStrictEqual(yield* catalog.secretPresence(keyless.entry), { apiKey: false, headers: [] })

      assert.isFalse((yield* catalog.disable("corp")).enabled)
      assert.isTrue((yield* catalog.enable("corp")).enabled)
      assert.strictEqual((yield* Effect.flip(catalog.enable("nope")))._tag, "UnknownProvider")
      assert.strictEqual((yield* Effect.flip(catalog.edit("nope", {})))._tag, "UnknownProvider")
    }).pipe(Effect.provide(setup(home)))
  })
})
