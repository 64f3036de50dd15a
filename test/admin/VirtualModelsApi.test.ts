/**
 * Virtual models through the admin API of the real `switchboard serve`: created, replaced and
 * removed in remote.json and in effect at once; refused with the field named (unknown strategy,
 * no targets, a typo'd key, a loop) with the file left as it was; a broken entry written by hand is
 * reported (listing, /health) and the others keep working; a name that hides a provider's model is
 * a warning.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient, type AdminErrorBody } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { getJson, type SwitchboardProcess, startSwitchboard, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"

interface Status {
  readonly id: string
  readonly strategy: string
  readonly targets: ReadonlyArray<{ readonly model: string; readonly weight: number; readonly serves: string | null; readonly provider_state: string | null; readonly available: boolean }>
}
interface List {
  readonly data: ReadonlyArray<Status>
  readonly problems: ReadonlyArray<{ readonly index: number; readonly name: string | null; readonly field: string | null; readonly message: string }>
  readonly warnings: ReadonlyArray<string>
}

let upstream: FakeOpenAiUpstream
let switchboard: SwitchboardProcess
let admin: AdminClient
const remoteJson = () => readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ models: { "gpt-a": reply("from a"), "gpt-b": reply("from b") } })
  switchboard = await startSwitchboard({ config: { version: 1, providers: [providerEntry(upstream, "up")] } })
  admin = adminClient(switchboard.port)
  await waitForProvider(switchboard.url, "up", "connected")
}, 60_000)

afterAll(async () => {
  await switchboard?.stop()
  await upstream?.close()
})

const ask = async (model: string) => {
  const response = await fetch(`${switchboard.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] })
  })
  return { status: response.status, model: response.headers.get("x-switchboard-model"), body: await response.json() as { choices?: Array<{ message: { content: string } }> } }
}

describe("virtual models in the admin API", () => {
  it("creates one with PUT, in effect at once, and lists it with its targets' states", async () => {
    const put = await admin.call<Status>("PUT", "/admin/virtual-models/smart", { body: { strategy: "fallback", targets: ["up/gpt-a", "gone/x"], description: "a then nothing" } })
    expect(put.status).toBe(200)
    expect(put.json.targets).toMatchObject([
      { model: "up/gpt-a", serves: "up/gpt-a", provider_state: "connected", available: true },
      { model: "gone/x", serves: null, provider_state: null, available: false }
    ])
    expect(JSON.parse(remoteJson()).virtualModels).toEqual([{ name: "smart", strategy: "fallback", targets: ["up/gpt-a", "gone/x"], description: "a then nothing" }])
    expect(await ask("smart")).toMatchObject({ status: 200, model: "up/gpt-a" })
    const list = await admin.call<List>("GET", "/admin/virtual-models")
    expect(list.json.data.map((model) => model.id)).toEqual(["smart"])
    expect((await admin.call<Status>("GET", "/admin/virtual-models/smart")).json.id).toBe("smart")
  })

  it("replaces one with PUT", async () => {
    const put = await admin.call<Status>("PUT", "/admin/virtual-models/smart", { body: { strategy: "balance", targets: [{ model: "up/gpt-b", weight: 2 }] } })
    expect(put.json).toMatchObject({ strategy: "balance", targets: [{ model: "up/gpt-b", weight: 2 }] })
    expect(await ask("smart")).toMatchObject({ status: 200, model: "up/gpt-b" })
  })

  it.each([
    [{ strategy: "random", targets: ["up/gpt-a"] }, "strategy"],
    [{ targets: [] }, "targets"],
    [{ targets: ["up/gpt-a"], tragets: ["x"] }, "tragets"],
    [{ targets: [{ model: "up/gpt-a", weight: -1 }] }, "targets.0.weight"],
    [{ targets: ["up/gpt-a"], rules: [{ when: { tool: true }, targets: ["up/gpt-b"] }] }, "rules.0.when.tool"],
    [{ targets: ["up/gpt-a", "loop-or-typo"] }, "targets"]
  ])("refuses %j naming %s, leaving remote.json as it was", async (body, field) => {
    const before = remoteJson()
    const put = await admin.call<AdminErrorBody>("PUT", "/admin/virtual-models/loop-or-typo", { body })
    expect(put.status).toBe(400)
    expect(put.json.error.code).toBe("invalid_virtual_model")
    expect(put.json.error.param).toBe(field)
    expect(remoteJson()).toBe(before)
  })

  it("refuses a change that makes a loop with another entry", async () => {
    await admin.call("PUT", "/admin/virtual-models/inner", { body: { targets: ["up/gpt-a"] } })
    const put = await admin.call<AdminErrorBody>("PUT", "/admin/virtual-models/inner", { body: { targets: ["smart", "outer"] } })
    // `outer` is no virtual model yet: a model id like any other.
    expect(put.status).toBe(200)
    const outer = await admin.call<AdminErrorBody>("PUT", "/admin/virtual-models/outer", { body: { targets: ["inner"] } })
    expect(outer.status).toBe(400)
    expect(outer.json.error.message).toMatch(/outer → inner → outer/)
  })

  it("removes one with DELETE; an unknown name is a 404", async () => {
    expect((await admin.call("DELETE", "/admin/virtual-models/inner")).status).toBe(200)
    const gone = await admin.call<AdminErrorBody>("DELETE", "/admin/virtual-models/inner")
    expect(gone.status).toBe(404)
    expect(gone.json.error.code).toBe("virtual_model_not_found")
    expect((await admin.call("GET", "/admin/virtual-models/inner")).status).toBe(404)
  })

  it("reports a broken entry written by hand, keeps the others working, and warns of a name that hides a model", async () => {
    const config = JSON.parse(remoteJson())
    config.virtualModels = [{ name: "broken", strategy: "fastest", targets: ["up/gpt-a"] }, { name: "gpt-b", targets: ["up/gpt-a"] }, { name: "fine", targets: ["up/gpt-a"] }]
    writeFileSync(join(switchboard.home, "providers", "remote.json"), JSON.stringify(config, null, 2))
    const list = await waitUntil("the hand edit is applied", async () => {
      const now = await getJson<List>(switchboard.url, "/v1/virtual-models")
      return now.data.some((model) => model.id === "fine") ? now : undefined
    })
    expect(list.problems).toMatchObject([{ index: 0, name: "broken", field: "strategy", message: expect.stringMatching(/virtualModels\[0\] \("broken"\): strategy: .*left out/) }])
    expect(list.warnings).toEqual([expect.stringMatching(/virtual model "gpt-b" hides the model of the same name served by up: call it up\/gpt-b/)])
    const health = await getJson<{ config: { warnings: ReadonlyArray<string> }; virtual_model_warnings: ReadonlyArray<string> }>(switchboard.url, "/health")
    expect(health.config.warnings.some((warning) => warning.includes("broken"))).toBe(true)
    expect(health.virtual_model_warnings).toHaveLength(2)
    // The virtual name wins over the bare id; the provider's model stays reachable qualified.
    expect(await ask("gpt-b")).toMatchObject({ status: 200, model: "up/gpt-a" })
    expect(await ask("up/gpt-b")).toMatchObject({ status: 200, model: "up/gpt-b" })
    expect(await ask("fine")).toMatchObject({ status: 200, model: "up/gpt-a" })
    expect((await ask("broken")).status).toBe(404)
  })
})
