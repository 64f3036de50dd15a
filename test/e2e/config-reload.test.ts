/**
 * Config hot reload, end to end: the real `switchboard serve` watches remote.json while fake
 * upstreams count the model discoveries each provider makes, so "not restarted" is something the
 * upstream can see (no new `GET /v1/models`) as well as the status endpoint (same `since`).
 */
import { randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import OpenAI, { BadRequestError, NotFoundError } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { describeEachLane } from "../support/Lanes.ts"
import {
  getJson,
  type ProviderStatusJson,
  type SwitchboardProcess,
  startSwitchboard,
  waitForProvider,
  waitUntil,
  writeRemoteConfig
} from "../support/SwitchboardProcess.ts"

const KEY_ALPHA = `sk-e2e-reload-${randomBytes(16).toString("hex")}`

describeEachLane("config hot reload", (lane) => {
  let alphaUp: FakeOpenAiUpstream
  let betaUp: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let client: OpenAI

  let alphaEntry: Record<string, unknown>
  let betaEntry: Record<string, unknown>

  interface Health {
    readonly config: { readonly path: string; readonly error: string | null }
    readonly providers: ReadonlyArray<ProviderStatusJson>
  }

  const remoteJsonPath = () => join(switchboard.home, "providers", "remote.json")
  const health = () => getJson<Health>(switchboard.url, "/health")
  const provider = async (id: string) => (await health()).providers.find((p) => p.id === id)
  const discoveries = (upstream: FakeOpenAiUpstream) => upstream.requestsTo("GET", "/v1/models").length

  const say = async (model: string, content: string) =>
    (await client.chat.completions.create({ model, messages: [{ role: "user", content }] })).choices[0]?.message.content

  /** remote.json as a user would write it, with a top-level field Switchboard does not know and must not mind. */
  const config = (providers: ReadonlyArray<Record<string, unknown>>) => ({ version: 1, providers, "x-edited-by": "e2e test" })

  beforeAll(async () => {
    alphaUp = await startFakeOpenAiUpstream({ apiKey: KEY_ALPHA, models: { "gpt-4o-mini": reply("Hello from alpha"), "alpha-only": reply() } })
    betaUp = await startFakeOpenAiUpstream({ models: { "gpt-4o-mini": reply("Hello from beta"), "beta-only": reply() } })
    alphaEntry = providerEntry(alphaUp, "alpha", { name: "Alpha", auth: "apiKey" })
    betaEntry = providerEntry(betaUp, "beta", { name: "Beta" })
    switchboard = await startSwitchboard({ config: config([alphaEntry]), env: { ...lane.env, SWITCHBOARD_KEY_ALPHA: KEY_ALPHA } })
    await waitForProvider(switchboard.url, "alpha", "connected", 30_000)
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([alphaUp?.close(), betaUp?.close()])
  })

  describe("config hot reload", () => {
    it("a provider added to remote.json connects and serves without a restart; the unchanged one is left alone", async () => {
      const alphaBefore = await provider("alpha")
      const alphaDiscoveries = discoveries(alphaUp)
      expect(alphaDiscoveries).toBeGreaterThanOrEqual(1)
      expect(await say("alpha/alpha-only", "before")).toBe("You said: before")

      writeRemoteConfig(switchboard.home, config([alphaEntry, betaEntry]))
      await waitForProvider(switchboard.url, "beta", "connected", 30_000)

      expect(await say("beta/beta-only", "added")).toBe("You said: added")
      // A bare id served by one provider only routes to it; one both serve is now ambiguous.
      expect(await say("beta-only", "bare")).toBe("You said: bare")
      await expect(say("gpt-4o-mini", "which one?")).rejects.toBeInstanceOf(BadRequestError)
      const ids = []
      for await (const model of client.models.list()) ids.push(model.id)
      expect(ids).toEqual(["alpha/gpt-4o-mini", "alpha/alpha-only", "beta/gpt-4o-mini", "beta/beta-only"])

      // alpha was not restarted: no new discovery upstream, the same connected-since time.
      expect(discoveries(alphaUp)).toBe(alphaDiscoveries)
      expect(await provider("alpha")).toEqual(alphaBefore)
      expect(await say("alpha/alpha-only", "still here")).toBe("You said: still here")
    })

    it("a changed provider restarts with its new settings; the others are left alone", async () => {
      const alphaBefore = await provider("alpha")
      const alphaDiscoveries = discoveries(alphaUp)
      const betaDiscoveries = discoveries(betaUp)

      writeRemoteConfig(switchboard.home, config([alphaEntry, { ...betaEntry, name: "Beta Renamed" }]))
      const beta = await waitUntil("beta to reconnect under its new name", async () => {
        const p = await provider("beta")
        return p?.name === "Beta Renamed" && p.state === "connected" ? p : undefined
      })
      expect(beta.id).toBe("beta")
      expect(discoveries(betaUp)).toBeGreaterThan(betaDiscoveries)
      expect((await client.models.retrieve("beta/beta-only")).owned_by).toBe("Beta Renamed")

      expect(discoveries(alphaUp)).toBe(alphaDiscoveries)
      expect(await provider("alpha")).toEqual(alphaBefore)
    })

    it("a broken remote.json is reported in /health, never overwritten, and the running providers keep serving", async () => {
      const alphaDiscoveries = discoveries(alphaUp)
      const betaDiscoveries = discoveries(betaUp)
      const before = (await health()).providers

      const broken = `{ "version": 1, "providers": [ { "id": "alpha", ` // cut off mid-edit
      writeFileSync(remoteJsonPath(), broken)
      const error = await waitUntil("the broken config to be reported", async () => (await health()).config.error ?? undefined)
      expect(error).toMatch(/not valid JSON at line \d+, column \d+/)
      expect((await health()).config.path).toBe(remoteJsonPath())

      expect(await say("alpha/alpha-only", "while broken")).toBe("You said: while broken")
      expect(await say("beta/beta-only", "while broken")).toBe("You said: while broken")
      expect((await health()).providers).toEqual(before)
      expect(discoveries(alphaUp)).toBe(alphaDiscoveries)
      expect(discoveries(betaUp)).toBe(betaDiscoveries)
      expect(readFileSync(remoteJsonPath(), "utf8")).toBe(broken)

      // Valid JSON that is not a valid configuration is refused the same way.
      const wrongVersion = JSON.stringify({ version: 2, providers: [] })
      writeFileSync(remoteJsonPath(), wrongVersion)
      await waitUntil("the wrong version to be reported", async () => {
        const e = (await health()).config.error
        return e !== null && e !== error ? e : undefined
      })
      expect((await health()).providers).toEqual(before)
      expect(readFileSync(remoteJsonPath(), "utf8")).toBe(wrongVersion)

      // Fixed: the error clears, and since nothing changed for the providers, nothing restarts.
      writeRemoteConfig(switchboard.home, config([alphaEntry, { ...betaEntry, name: "Beta Renamed" }]))
      await waitUntil("the config error to clear", async () => (await health()).config.error === null ? true : undefined)
      expect((await health()).providers).toEqual(before)
      expect(discoveries(alphaUp)).toBe(alphaDiscoveries)
      expect(discoveries(betaUp)).toBe(betaDiscoveries)
    })

    it("a provider removed from remote.json stops serving; the others keep serving", async () => {
      writeRemoteConfig(switchboard.home, config([alphaEntry]))
      await waitUntil("beta to be removed", async () => (await provider("beta")) === undefined ? true : undefined)
      await expect(say("beta/beta-only", "gone")).rejects.toBeInstanceOf(NotFoundError)
      // With beta gone, the bare id is alpha's alone again.
      expect(await say("gpt-4o-mini", "only alpha now")).toBe("Hello from alpha")
    })

    it("never writes a secret into remote.json", () => {
      expect(readFileSync(remoteJsonPath(), "utf8")).not.toContain(KEY_ALPHA)
      expect(switchboard.output()).not.toContain(KEY_ALPHA)
    })
  })
})
