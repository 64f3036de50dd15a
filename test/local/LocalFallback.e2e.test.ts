/**
 * A virtual model that falls over from a remote provider to a local model (the real tiny GGUF,
 * stories260K, on llama.cpp) and from a local model that cannot load to a remote one, on both
 * lanes: the fast lane hands the chain to the Effect app at the local target and the app goes on
 * from there. Skipped with the reason printed when the model or node-llama-cpp is missing — except
 * in CI, where it must run.
 */
import { Effect, Exit, Layer, Scope } from "effect"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as Gateway from "../../src/Gateway.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { APIS, call } from "../support/Callers.ts"
import { upstreamEntry } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { garbageModel, localModelSkip, MODEL } from "../support/LocalModel.ts"
import { error, ok, type ScriptedUpstream, startScriptedUpstream } from "../support/ScriptedUpstream.ts"
import { freePort, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const skipReason = localModelSkip
if (skipReason !== undefined) {
  if (process.env.CI) throw new Error(`local model tests are required in CI but cannot run: ${skipReason}`)
  console.warn(`[switchboard] local fallback tests will be SKIPPED: ${skipReason}`)
}

describeEachLane("fallback with local models", ({ fastLane }) => {
  if (skipReason !== undefined) return void it.skip(`skipped: ${skipReason}`, () => {})
  let remote: ScriptedUpstream
  let url: string
  let home: string
  const scope = Effect.runSync(Scope.make())

  beforeAll(async () => {
    // One failing model per caller: three failures in a row would open its breaker (then it is skipped).
    remote = await startScriptedUpstream("remote", {
      ...Object.fromEntries(APIS.map((api) => [`failing-${api}`, [error(503, { message: "overloaded" })]])),
      "gpt-good": [ok]
    })
    home = mkdtempSync(join(tmpdir(), "switchboard-localfallback-"))
    mkdirSync(join(home, "models"))
    symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    writeFileSync(join(home, "models", "x.gguf"), garbageModel())
    writeRemoteConfig(home, {
      version: 1,
      providers: [upstreamEntry(remote, "remote", { format: "openai", auth: "none" })],
      local: { maxOutputTokens: 8 },
      virtualModels: [
        ...APIS.map((api) => ({ name: `to-local-${api}`, targets: [`remote/failing-${api}`, "local/stories260K"] })),
        { name: "from-local", targets: ["local/x", "remote/gpt-good"] }
      ]
    })
    const port = await freePort()
    await Effect.runPromise(Layer.buildWithScope(
      Gateway.layer({ host: "127.0.0.1", port, home, fastLane }).pipe(Layer.provide(MemorySecretStore.layer([]))),
      scope
    ))
    url = `http://127.0.0.1:${port}`
    await waitForProvider(url, "remote", "connected")
    await waitForProvider(url, "local", "connected", 30_000)
  }, 60_000)

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await remote?.close()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  it.each(APIS)("falls over from a remote provider to the local model (%s caller)", async (api) => {
    for (const stream of [false, true]) {
      const answer = await call(url, api, `to-local-${api}`, { stream, prompt: "Once upon a time" })
      expect(answer.error).toBeUndefined()
      expect(answer.text.length).toBeGreaterThan(0)
      expect(answer.headers?.get("x-switchboard-model")).toBe("local/stories260K")
      expect(answer.headers?.get("x-switchboard-provider")).toBe("local")
      expect(answer.headers?.get("x-switchboard-attempts")).toBe("2")
    }
  }, 60_000)

  it("falls over from a local model that cannot load to a remote provider", async () => {
    const answer = await call(url, "openai", "from-local", { stream: false })
    expect(answer.text).toBe(remote.says)
    expect(answer.headers?.get("x-switchboard-model")).toBe("remote/gpt-good")
    expect(answer.headers?.get("x-switchboard-attempts")).toBe("2")
  }, 60_000)
})
