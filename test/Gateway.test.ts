/**
 * The gateway embedded in an Effect program as a Layer, the way docs/architecture.md shows it:
 * secrets from a memory store, an upstream on 127.0.0.1, and the routes answering on a real port.
 */
import { assert, describe, it } from "@effect/vitest"
import Anthropic from "@anthropic-ai/sdk"
import { Effect, Layer, Redacted } from "effect"
import OpenAI from "openai"
import { createServer, type IncomingHttpHeaders } from "node:http"
import * as Gateway from "../src/Gateway.ts"
import * as MemorySecretStore from "../src/secrets/MemorySecretStore.ts"
import { freePort, waitForProvider, writeRemoteConfig } from "./support/SwitchboardProcess.ts"
import { tempDir } from "./support/TempDir.ts"

/** A minimal upstream that lists one model and remembers the headers it was sent. */
const upstream = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ port: number; seen: Array<IncomingHttpHeaders>; close: () => void }>((resolve) => {
      const seen: Array<IncomingHttpHeaders> = []
      const server = createServer((req, res) => {
        seen.push(req.headers)
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ object: "list", data: [{ id: "tiny", object: "model", created: 0, owned_by: "me" }] }))
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resolve({ port: typeof address === "object" && address ? address.port : 0, seen, close: () => server.close() })
      })
    })
  ),
  (server) => Effect.sync(server.close)
)

describe("Gateway.layer", () => {
  it.live("serves the configured providers inside another Effect program", () =>
    Effect.gen(function*() {
      const up = yield* upstream
      const home = tempDir("switchboard-embed-")
      writeRemoteConfig(home, {
        version: 1,
        providers: [{ id: "up", name: "Upstream", protocol: "http", host: "127.0.0.1", port: up.port, auth: "apiKey" }]
      })
      const port = yield* Effect.promise(freePort)
      yield* Layer.build(
        Gateway.layer({ host: "127.0.0.1", port, home }).pipe(
          Layer.provide(MemorySecretStore.layer([["up.apiKey", Redacted.make("sk-embedded")]]))
        )
      )
      const url = `http://127.0.0.1:${port}`
      yield* Effect.promise(() => waitForProvider(url, "up", "connected"))
      const models = yield* Effect.promise(() => fetch(`${url}/v1/models`).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>))
      assert.deepStrictEqual(models.data.map((m) => m.id), ["up/tiny"])
      assert.strictEqual(up.seen[0]!.authorization, "Bearer sk-embedded")
      // Both SDKs read the same list, each its own fields.
      const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused" })
      const openaiModels = yield* Effect.promise(async () => (await openai.models.list()).data)
      assert.deepStrictEqual(openaiModels.map((m) => [m.id, m.owned_by]), [["up/tiny", "Upstream"]])
      const anthropic = new Anthropic({ baseURL: url, apiKey: "unused" })
      const anthropicModels = yield* Effect.promise(async () => (await anthropic.models.list()).data)
      assert.deepStrictEqual(anthropicModels.map((m) => [m.id, m.display_name, m.type]), [["up/tiny", "tiny (Upstream)", "model"]])
      const one = yield* Effect.promise(() => anthropic.models.retrieve("up/tiny"))
      assert.strictEqual(one.id, "up/tiny")
      const health = yield* Effect.promise(() => fetch(`${url}/health`).then((r) => r.text()))
      assert.include(health, "\"state\":\"connected\"")
      assert.notInclude(health, "sk-embedded")
    }).pipe(Effect.scoped))
})
