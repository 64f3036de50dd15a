/**
 * The admin API against the real `switchboard serve` and fake upstreams on 127.0.0.1, with secrets
 * from environment variables (read-only: operations that store keys are in AdminSecrets.test.ts,
 * against the keychain). Covers every operation that needs no secret written, the 409 rule for a
 * provider whose (env) key would follow it to a new host, the Host/Origin protection, the event
 * stream, test connection with the upstream's real 401 text, and that no response ever holds a key.
 */
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient, type AdminErrorBody } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type SwitchboardProcess, startSwitchboard, waitUntil } from "../support/SwitchboardProcess.ts"

const KEY_ALPHA = `sk-admin-alpha-${randomBytes(12).toString("hex")}`
const WRONG_KEY = `sk-admin-wrong-${randomBytes(12).toString("hex")}`

interface Provider {
  readonly id: string
  readonly name: string
  readonly state: string
  readonly error: string | null
  readonly models: ReadonlyArray<string>
  readonly settings: Record<string, unknown>
  readonly apiKeySet: boolean
  readonly secretHeaders: ReadonlyArray<{ readonly name: string; readonly set: boolean }>
}

let open: FakeOpenAiUpstream
let keyed: FakeOpenAiUpstream
let switchboard: SwitchboardProcess
let admin: AdminClient

const provider = async (id: string) => (await admin.call<Provider>("GET", `/admin/providers/${id}`)).json
const waitForState = (id: string, state: string) =>
  waitUntil(`${id} to be ${state}`, async () => {
    const p = await provider(id)
    return p.state === state ? p : undefined
  })

beforeAll(async () => {
  open = await startFakeOpenAiUpstream({ models: { "open-model": reply() } })
  keyed = await startFakeOpenAiUpstream({ apiKey: KEY_ALPHA, echoKeyInErrors: true, models: { "keyed-model": reply() } })
  switchboard = await startSwitchboard({
    config: { version: 1, providers: [providerEntry(keyed, "alpha", { name: "Alpha", auth: "apiKey" })] },
    env: { SWITCHBOARD_KEY_ALPHA: KEY_ALPHA }
  })
  admin = adminClient(switchboard.port)
  await waitForState("alpha", "connected")
}, 60_000)

afterAll(async () => {
  await switchboard?.stop()
  await Promise.all([open?.close(), keyed?.close()])
})

describe("admin API", () => {
  it("lists the presets", async () => {
    const response = await admin.call<{ data: Array<{ id: string; host: string }> }>("GET", "/admin/presets")
    expect(response.status).toBe(200)
    expect(response.json.data.map((p) => p.id)).toEqual(["openai", "anthropic", "xai", "openrouter", "venice", "ollama", "lmstudio", "custom"])
  })

  it("serves the OpenAPI document of the definition at /admin/openapi.json, behind the same guard", async () => {
    const response = await admin.call<{ openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> }>("GET", "/admin/openapi.json")
    expect(response.status).toBe(200)
    expect(response.json.openapi).toMatch(/^3\./)
    expect(response.json.info.title).toBe("Switchboard admin API")
    expect(Object.keys(response.json.paths)).toEqual(expect.arrayContaining(["/admin/presets", "/admin/providers", "/admin/providers/test", "/admin/providers/{id}", "/admin/providers/{id}/reconnect"]))
    expect(Object.keys(response.json.paths["/admin/providers/{id}"]!).sort()).toEqual(["delete", "get", "patch"])
    // Secrets are write-only: request bodies name them, no answer does.
    const created = response.json.paths["/admin/providers"]!.post as { requestBody: unknown; responses: Record<string, unknown> }
    expect(Object.keys(created.responses)).toEqual(expect.arrayContaining(["201", "400", "403", "409"]))
    expect(JSON.stringify(created.requestBody)).toContain(`"apiKey":`)
    expect(JSON.stringify(created.responses)).not.toContain(`"apiKey":`)
    const foreign = await admin.call<AdminErrorBody>("GET", "/admin/openapi.json", { headers: { host: "evil.example" } })
    expect(foreign.status).toBe(403)
    expect(foreign.json.error.code).toBe("forbidden_host")
  })

  it("lists providers with state, models, settings and whether secrets are set, never their values", async () => {
    const response = await admin.call<{ data: Array<Provider> }>("GET", "/admin/providers")
    expect(response.status).toBe(200)
    const alpha = response.json.data.find((p) => p.id === "alpha")!
    expect(alpha).toMatchObject({ name: "Alpha", state: "connected", models: ["keyed-model"], apiKeySet: true, secretHeaders: [] })
    expect(alpha.settings).toMatchObject({ host: "127.0.0.1", port: keyed.port, protocol: "http", auth: "apiKey" })
    expect(response.text).not.toContain(KEY_ALPHA)
  })

  it("creates a custom provider, which connects; renames it (the id stays), disables, enables, reconnects and deletes it", async () => {
    const created = await admin.call<Provider>("POST", "/admin/providers", {
      body: { preset: "custom", name: "Open Upstream", settings: { protocol: "http", host: "127.0.0.1", port: open.port, headers: { "X-Team": "ml" } } }
    })
    expect(created.status).toBe(201)
    expect(created.json.id).toBe("open-upstream")
    expect(created.json.settings).toMatchObject({ preset: "custom", host: "127.0.0.1", port: open.port, headers: { "X-Team": "ml" }, auth: "none" })
    const connected = await waitForState("open-upstream", "connected")
    expect(connected.models).toEqual(["open-model"])
    expect(readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")).toContain("open-upstream")

    const renamed = await admin.call<Provider>("PATCH", "/admin/providers/open-upstream", { body: { name: "Renamed", settings: { timeoutSeconds: 20 } } })
    expect(renamed.status).toBe(200)
    expect(renamed.json).toMatchObject({ id: "open-upstream", name: "Renamed", settings: { timeoutSeconds: 20 } })
    await waitForState("open-upstream", "connected")

    const disabled = await admin.call<Provider>("POST", "/admin/providers/open-upstream/disable")
    expect(disabled.status).toBe(200)
    expect(disabled.json.settings.enabled).toBe(false)
    await waitForState("open-upstream", "disabled")
    expect((await admin.call<Provider>("POST", "/admin/providers/open-upstream/enable")).json.settings.enabled).toBe(true)
    await waitForState("open-upstream", "connected")

    const discoveries = open.requestsTo("GET", "/v1/models").length
    expect((await admin.call("POST", "/admin/providers/open-upstream/reconnect")).status).toBe(200)
    await waitUntil("a new discovery after reconnect", async () => open.requestsTo("GET", "/v1/models").length > discoveries ? true : undefined)

    const deleted = await admin.call("DELETE", "/admin/providers/open-upstream")
    expect(deleted.status).toBe(200)
    expect((await admin.call("GET", "/admin/providers/open-upstream")).status).toBe(404)
    const list = await admin.call<{ data: Array<Provider> }>("GET", "/admin/providers")
    expect(list.json.data.map((p) => p.id)).toEqual(["alpha"])
  })

  it("refuses invalid settings with a 400 naming the field, duplicate names with a 409, unknown ids with a 404", async () => {
    const create = (body: unknown) => admin.call<AdminErrorBody>("POST", "/admin/providers", { body })
    const cases: Array<[unknown, string]> = [
      [{ preset: "nope", name: "X", settings: { host: "a.example" } }, "preset"],
      [{ name: "X", settings: { host: "https://a.example/v1" } }, "host"],
      [{ name: "X", settings: { host: "a.example", port: 0 } }, "port"],
      [{ name: "X", settings: { host: "a.example", port: "80" } }, "settings.port"],
      [{ name: "X", settings: { host: "a.example", basePath: "v1?x=1" } }, "basePath"],
      [{ name: "X", settings: { host: "a.example", headers: { "X-A\r\nX-B": "1" } } }, "headers"],
      [{ name: "X", settings: { host: "a.example", headers: { "X-A": "1\r\nX-B: 2" } } }, "headers"],
      [{ name: "X", settings: { host: "a.example" }, apikey: "typo" }, "apikey"]
    ]
    for (const [body, param] of cases) {
      const response = await create(body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.json.error.param).toBe(param)
      expect(response.json.error.message).toContain(param.split(".").pop())
    }
    const duplicate = await create({ name: "alpha", settings: { host: "a.example" } })
    expect(duplicate.status).toBe(409)
    expect(duplicate.json.error).toMatchObject({ code: "duplicate_name", param: "name" })
    expect((await admin.call("PATCH", "/admin/providers/alpha", { body: { settings: { host: "bad host" } } })).status).toBe(400)

    for (const [method, path] of [["GET", "/admin/providers/ghost"], ["PATCH", "/admin/providers/ghost"], ["DELETE", "/admin/providers/ghost"], ["POST", "/admin/providers/ghost/enable"], ["POST", "/admin/providers/ghost/reconnect"]] as const) {
      const response = await admin.call<AdminErrorBody>(method, path, method === "PATCH" ? { body: {} } : {})
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.json.error.code).toBe("provider_not_found")
    }
  })

  it("refuses to move a provider with a stored key to another endpoint unless a new key is sent or keeping it is confirmed", async () => {
    const moved = await admin.call<AdminErrorBody>("PATCH", "/admin/providers/alpha", { body: { settings: { port: open.port } } })
    expect(moved.status).toBe(409)
    expect(moved.json.error).toMatchObject({ code: "secrets_would_move", param: "confirmKeepSecrets" })
    expect(moved.json.error.message).toContain("API key")
    expect((await provider("alpha")).settings.port).toBe(keyed.port)
    // Same endpoint, other settings: no confirmation needed.
    expect((await admin.call("PATCH", "/admin/providers/alpha", { body: { settings: { timeoutSeconds: 30 } } })).status).toBe(200)

    const confirmed = await admin.call<Provider>("PATCH", "/admin/providers/alpha", { body: { settings: { port: open.port }, confirmKeepSecrets: true } })
    expect(confirmed.status).toBe(200)
    expect(confirmed.json.settings.port).toBe(open.port)
    await waitForState("alpha", "connected")
    expect((await admin.call("PATCH", "/admin/providers/alpha", { body: { settings: { port: keyed.port }, confirmKeepSecrets: true } })).status).toBe(200)
    await waitForState("alpha", "connected")
  })

  it("streams a snapshot, then every state change, as Server-Sent Events", async () => {
    const events = await admin.events()
    try {
      expect(events.status).toBe(200)
      const snapshot = await events.next<{ providers: Array<Provider> }>("snapshot")
      expect(snapshot.providers.map((p) => p.id)).toContain("alpha")
      await admin.call("POST", "/admin/providers/alpha/disable")
      expect(await events.next<Provider>("state", (p) => p.id === "alpha" && p.state === "disabled")).toMatchObject({ id: "alpha" })
      await admin.call("POST", "/admin/providers/alpha/enable")
      expect(await events.next<Provider>("state", (p) => p.id === "alpha" && p.state === "connected")).toMatchObject({ models: ["keyed-model"] })
    } finally {
      events.close()
    }
  })

  it("tests unsaved settings: the models, or the upstream's own error text with the key scrubbed", async () => {
    const settings = { protocol: "http", host: "127.0.0.1", port: keyed.port, auth: "apiKey" }
    const wrong = await admin.call<{ ok: boolean; models: Array<string>; error: string | null }>("POST", "/admin/providers/test", {
      body: { preset: "custom", name: "Trial", settings, apiKey: WRONG_KEY }
    })
    expect(wrong.status).toBe(200)
    expect(wrong.json.ok).toBe(false)
    expect(wrong.json.error).toContain("401 Unauthorized from 127.0.0.1: Incorrect API key provided")
    // The fake quotes the whole key it was given; the report must not.
    expect(keyed.requests.some((r) => r.rawBody.includes(WRONG_KEY) || String(r.headers.authorization).includes(WRONG_KEY))).toBe(true)
    expect(wrong.text).not.toContain(WRONG_KEY)

    const right = await admin.call<{ ok: boolean; models: Array<string> }>("POST", "/admin/providers/test", { body: { name: "Trial", settings, apiKey: KEY_ALPHA } })
    expect(right.json).toEqual({ ok: true, models: ["keyed-model"], error: null })
    const missing = await admin.call<{ ok: boolean; error: string }>("POST", "/admin/providers/test", { body: { name: "Trial", settings } })
    expect(missing.json.ok).toBe(false)
    expect(missing.json.error).toContain("no apiKey given")
    const refused = await admin.call<{ ok: boolean; error: string }>("POST", "/admin/providers/test", { body: { name: "Trial", settings: { protocol: "http", host: "127.0.0.1", port: 9 } } })
    expect(refused.json).toMatchObject({ ok: false, error: "cannot reach 127.0.0.1: connection refused" })
    // Nothing was saved.
    expect((await admin.call<{ data: Array<Provider> }>("GET", "/admin/providers")).json.data.map((p) => p.id)).toEqual(["alpha"])
  })

  it("tests an edit of a saved provider with its stored secrets, but never sends them to a changed endpoint", async () => {
    const settings = { protocol: "http", host: "127.0.0.1", port: keyed.port, auth: "apiKey" }
    const stored = await admin.call<{ ok: boolean; models: Array<string>; error: string | null }>("POST", "/admin/providers/alpha/test", { body: { name: "Alpha", settings } })
    expect(stored.json).toEqual({ ok: true, models: ["keyed-model"], error: null })
    // A key typed in the form wins over the stored one; the report is scrubbed of it.
    const typed = await admin.call<{ ok: boolean; error: string }>("POST", "/admin/providers/alpha/test", { body: { name: "Alpha", settings, apiKey: WRONG_KEY } })
    expect(typed.json.ok).toBe(false)
    expect(typed.text).not.toContain(WRONG_KEY)
    // Another port is another endpoint: the stored key stays home.
    const before = open.requests.length
    const moved = await admin.call<{ ok: boolean; error: string }>("POST", "/admin/providers/alpha/test", {
      body: { name: "Alpha", settings: { ...settings, port: open.port } }
    })
    expect(moved.json).toMatchObject({ ok: false, error: expect.stringContaining("not sent to a changed protocol, host or port") })
    expect(open.requests.slice(before).some((r) => String(r.headers.authorization).includes(KEY_ALPHA))).toBe(false)
    expect(moved.text).not.toContain(KEY_ALPHA)
    expect((await admin.call<AdminErrorBody>("POST", "/admin/providers/nobody/test", { body: { settings } })).status).toBe(404)
  })

  describe("protection", () => {
    it("refuses a Host that is not a loopback name (DNS rebinding), on every admin route", async () => {
      for (const [method, path] of [["GET", "/admin/providers"], ["GET", "/admin/presets"], ["POST", "/admin/providers"], ["DELETE", "/admin/providers/alpha"], ["GET", "/admin/events"], ["GET", "/admin/nowhere"]] as const) {
        const response = await admin.call<AdminErrorBody>(method, path, { headers: { host: `evil.example:${switchboard.port}` }, ...(method === "POST" ? { body: { name: "Evil", settings: { host: "evil.example" } } } : {}) })
        expect(response.status, `${method} ${path}`).toBe(403)
        expect(response.json.error).toMatchObject({ type: "permission_error", code: "forbidden_host" })
        expect(response.json.error.message).toContain("DNS rebinding")
      }
      expect((await admin.call<AdminErrorBody>("GET", "/admin/providers", { headers: { host: "192.168.1.10" } })).status).toBe(403)
      for (const host of [`localhost:${switchboard.port}`, `[::1]:${switchboard.port}`, "127.0.0.1"]) {
        expect((await admin.call("GET", "/admin/presets", { headers: { host } })).status, host).toBe(200)
      }
      expect((await provider("alpha")).id).toBe("alpha")
    })

    it("refuses a foreign Origin (CSRF) and accepts Switchboard's own", async () => {
      for (const origin of ["http://evil.example", `http://localhost:${switchboard.port + 1}`, "null", `https://127.0.0.1:${switchboard.port}`]) {
        const response = await admin.call<AdminErrorBody>("POST", "/admin/providers", { body: { name: "Csrf", settings: { host: "a.example" } }, headers: { origin } })
        expect(response.status, origin).toBe(403)
        expect(response.json.error.code).toBe("forbidden_origin")
      }
      expect((await admin.call<{ data: Array<Provider> }>("GET", "/admin/providers")).json.data.map((p) => p.id)).toEqual(["alpha"])
      for (const origin of [`http://127.0.0.1:${switchboard.port}`, `http://localhost:${switchboard.port}`]) {
        expect((await admin.call("GET", "/admin/providers", { headers: { origin } })).status, origin).toBe(200)
      }
    })
  })

  it("never returned a secret in any response, and never wrote one to remote.json or the log", () => {
    expect(admin.seen.length).toBeGreaterThan(20)
    for (const body of admin.seen) {
      expect(body).not.toContain(KEY_ALPHA)
      expect(body).not.toContain(WRONG_KEY)
    }
    expect(readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")).not.toContain(KEY_ALPHA)
    expect(switchboard.output()).not.toContain(KEY_ALPHA)
    expect(switchboard.output()).not.toContain(WRONG_KEY)
  })
})
