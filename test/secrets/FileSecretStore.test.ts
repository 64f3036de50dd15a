/**
 * `SWITCHBOARD_SECRETS=file`: secrets in `$SWITCHBOARD_HOME/secrets.json`, mode 0600, written
 * atomically, never in remote.json; a file others may read is refused; a broken file is named
 * without quoting it.
 */
import { assert, describe, it } from "@effect/vitest"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Effect, Layer, Option, Redacted } from "effect"
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FileSecretStore from "../../src/secrets/FileSecretStore.ts"
import * as SecretStoreLive from "../../src/secrets/SecretStoreLive.ts"
import { apiKey, header, SecretStore } from "../../src/secrets/SecretStore.ts"
import { withEnv } from "../support/Environment.ts"

/** A fresh configuration folder for `body`, removed afterwards (with the files and folders the store's lock needs). */
const inHome = <A, E, R>(body: (home: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "switchboard-file-secrets-"))),
    body,
    (home) => Effect.sync(() => rmSync(home, { recursive: true, force: true }))
  ).pipe(Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))

const value = (option: Option.Option<Redacted.Redacted<string>>) => Option.getOrNull(Option.map(option, Redacted.value))

describe("FileSecretStore", () => {
  it.effect("is what SWITCHBOARD_SECRETS=file chooses: secrets.json in the configuration folder, mode 0600, no temporary file left", () =>
    inHome((home) =>
      Effect.gen(function*() {
        const store = yield* SecretStore
        assert.strictEqual(store.kind, "file")
        assert.isTrue(store.writable)
        assert.include(store.notice ?? "", "plain text")
        assert.include(store.howToSet("openai", apiKey), "switchboard secrets set openai")
        yield* store.set("openai", apiKey, Redacted.make("sk-file-one"))
        yield* store.set("corp", header("X-Token"), Redacted.make("tok-file"))
        const path = FileSecretStore.fileIn(home)
        assert.strictEqual(statSync(path).mode & 0o777, 0o600)
        assert.deepStrictEqual(readdirSync(home), ["secrets.json"])
        assert.deepStrictEqual(JSON.parse(readFileSync(path, "utf8")), {
          version: 1,
          secrets: { "openai.apiKey": "sk-file-one", "corp.header.X-Token": "tok-file" }
        })
        assert.strictEqual(value(yield* store.get("openai", apiKey)), "sk-file-one")
        yield* store.delete("openai", apiKey)
        yield* store.delete("openai", apiKey)
        assert.isNull(value(yield* store.get("openai", apiKey)))
        assert.strictEqual(value(yield* store.get("corp", header("X-Token"))), "tok-file")
      }).pipe(Effect.provide(withEnv(SecretStoreLive.layer, { SWITCHBOARD_SECRETS: "file", SWITCHBOARD_HOME: home })))))

  it.effect("reads a secret another process wrote since (no cache)", () =>
    inHome((home) =>
      Effect.gen(function*() {
        const store = yield* FileSecretStore.make(FileSecretStore.fileIn(home))
        assert.isNull(value(yield* store.get("late", apiKey)))
        const other = yield* FileSecretStore.make(FileSecretStore.fileIn(home))
        yield* other.set("late", apiKey, Redacted.make("sk-late"))
        assert.strictEqual(value(yield* store.get("late", apiKey)), "sk-late")
      })))

  it.effect("refuses a file others may read, saying how to fix it", () =>
    inHome((home) =>
      Effect.gen(function*() {
        const path = FileSecretStore.fileIn(home)
        writeFileSync(path, JSON.stringify({ version: 1, secrets: { "x.apiKey": "sk-exposed" } }))
        chmodSync(path, 0o644)
        const store = yield* FileSecretStore.make(path)
        const error = yield* Effect.flip(store.get("x", apiKey))
        assert.include(error.message, "chmod 600")
        assert.notInclude(error.message, "sk-exposed")
      })))

  it.effect("names a broken file without quoting it", () =>
    inHome((home) =>
      Effect.gen(function*() {
        const path = FileSecretStore.fileIn(home)
        writeFileSync(path, `{"version": 1, "secrets": {"x.apiKey": "sk-broken-file"`, { mode: 0o600 })
        const store = yield* FileSecretStore.make(path)
        const error = yield* Effect.flip(store.set("y", apiKey, Redacted.make("sk-other")))
        assert.include(error.message, path)
        assert.notInclude(error.message, "sk-broken-file")
        assert.notInclude(error.message, "sk-other")
        // The broken file is left for the user to fix, not replaced.
        assert.include(readFileSync(path, "utf8"), "sk-broken-file")
      })))

  it.live("two stores over one file (a server and a CLI) changing it at once lose no secret", () =>
    inHome((home) =>
      Effect.gen(function*() {
        const path = FileSecretStore.fileIn(home)
        const server = yield* FileSecretStore.make(path)
        const cli = yield* FileSecretStore.make(path)
        yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => (i % 2 === 0 ? server : cli).set(`p${i}`, apiKey, Redacted.make(`sk-${i}`)),
          { concurrency: "unbounded", discard: true }
        )
        const secrets = (JSON.parse(readFileSync(path, "utf8")) as { secrets: Record<string, string> }).secrets
        assert.strictEqual(Object.keys(secrets).length, 20)
        assert.deepStrictEqual(readdirSync(home).filter((name) => name !== "secrets.json"), [])
      })))
})
