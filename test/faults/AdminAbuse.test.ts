/**
 * The management API (`/admin`) against malformed and hostile input, on the real server with
 * secrets from the environment: invalid hosts, ports, base paths, protocols and formats; duplicate
 * names; header names and values with CR/LF (header injection) or other bytes a header line cannot
 * hold; unknown presets; enormous header values; bodies that are not JSON or over the size limit.
 * Each is a 4xx in the admin error shape naming the field, nothing of it is written to
 * remote.json, and the server and its providers keep working.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient, type AdminErrorBody, type AdminResponse } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type SwitchboardProcess, waitForProvider } from "../support/SwitchboardProcess.ts"
import { rawRequest } from "./support/RawRequest.ts"
import { capture, checkNoLeaksAfterAll, SECRET_HEADER, secretEnv, startCapturedSwitchboard, TestSecrets, withSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

let upstream: FakeOpenAiUpstream
let switchboard: SwitchboardProcess
let admin: AdminClient

const MAX_BODY_BYTES = 256 * 1024

/** A marker in every hostile value, so remote.json can be checked for any trace of one. */
const EVIL = "evil-marker"

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ apiKey: TestSecrets.upstreamKey, models: { "good-model": reply("fine") } })
  switchboard = await startCapturedSwitchboard({
    config: { version: 1, providers: [providerEntry(upstream, "good", { name: "Good", ...withSecrets })] },
    env: { ...secretEnv("good"), SWITCHBOARD_MAX_BODY_BYTES: String(MAX_BODY_BYTES) }
  })
  admin = adminClient(switchboard.port)
  await waitForProvider(switchboard.url, "good", "connected")
}, 60_000)

afterAll(async () => {
  for (const text of admin?.seen ?? []) capture("admin response", text)
  await switchboard?.stop()
  await upstream?.close()
})

const remoteJson = () => readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")

/** A custom provider's settings pointing at the fake, with `extra` on top. */
const settings = (extra: Record<string, unknown> = {}) => ({ protocol: "http", host: "127.0.0.1", port: upstream.port, ...extra })

const expectAdminError = (response: AdminResponse, status: number, param?: string) => {
  expect(response.status, response.text).toBe(status)
  const body = response.json as AdminErrorBody
  expect(body.error.type, response.text).toBeTypeOf("string")
  expect(body.error.message.length, response.text).toBeGreaterThan(0)
  if (param !== undefined) expect(body.error.param, response.text).toBe(param)
}

/** Nothing hostile reached the file, which still parses and still holds the good provider. */
const expectFileClean = () => {
  const text = remoteJson()
  expect(text).not.toContain(EVIL)
  const config = JSON.parse(text) as { providers: Array<{ id: string }> }
  expect(config.providers.map((p) => p.id)).toContain("good")
}

const expectHealthy = async () => {
  expect((await fetch(`${switchboard.url}/health`)).status).toBe(200)
  expect((await admin.call("GET", "/admin/providers")).status).toBe(200)
  const chat = await fetch(`${switchboard.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "good/good-model", messages: [{ role: "user", content: "still there?" }] })
  })
  expect(chat.status).toBe(200)
  expectFileClean()
}

/** `POST /admin/providers` and `POST /admin/providers/test` with the same body; both must refuse it. */
const createAndTest = async (body: unknown) => [
  await admin.call("POST", "/admin/providers", { body }),
  await admin.call("POST", "/admin/providers/test", { body })
]

const hugeValue = `${EVIL}-${"v".repeat(64 * 1024)}`

interface SettingsCase {
  readonly name: string
  readonly settings: Record<string, unknown>
  readonly param: string
}

const invalidSettings: ReadonlyArray<SettingsCase> = [
  { name: "a host with a scheme", settings: { host: `http://${EVIL}.example` }, param: "host" },
  { name: "a host with a path", settings: { host: `${EVIL}.example/v1` }, param: "host" },
  { name: "a host with a port", settings: { host: `${EVIL}.example:8080` }, param: "host" },
  { name: "a host with a space", settings: { host: `${EVIL} .example` }, param: "host" },
  { name: "a host with CR/LF", settings: { host: `${EVIL}.example\r\nX-Injected: 1` }, param: "host" },
  { name: "an empty host", settings: { host: "" }, param: "host" },
  { name: "a host label over 63 characters", settings: { host: `${EVIL}${"a".repeat(64)}.example` }, param: "host" },
  { name: "a host that is a number", settings: { host: 12 }, param: "settings.host" },
  { name: "port 0", settings: { port: 0 }, param: "port" },
  { name: "port 65536", settings: { port: 65536 }, param: "port" },
  { name: "a negative port", settings: { port: -1 }, param: "port" },
  { name: "a fractional port", settings: { port: 80.5 }, param: "settings.port" },
  { name: "a port given as a string", settings: { port: "8080" }, param: "settings.port" },
  { name: "a base path without a leading slash", settings: { basePath: `${EVIL}/v1` }, param: "basePath" },
  { name: "a base path with a query", settings: { basePath: `/v1?${EVIL}=1` }, param: "basePath" },
  { name: "a base path with a fragment", settings: { basePath: `/v1#${EVIL}` }, param: "basePath" },
  { name: "a base path with CR/LF", settings: { basePath: `/v1\r\n${EVIL}` }, param: "basePath" },
  { name: "a base path with a space", settings: { basePath: `/v1/${EVIL} x` }, param: "basePath" },
  { name: "an unknown protocol", settings: { protocol: "ftp" }, param: "settings.protocol" },
  { name: "an unknown format", settings: { format: "grpc" }, param: "settings.format" },
  { name: "a zero timeout", settings: { timeoutSeconds: 0 }, param: "timeoutSeconds" },
  { name: "a header name with CR/LF", settings: { headers: { [`X-Ok\r\nX-${EVIL}`]: "1" } }, param: "headers" },
  { name: "a header name with a colon", settings: { headers: { [`X-${EVIL}: 1\r\nX`]: "1" } }, param: "headers" },
  { name: "a header name with a space", settings: { headers: { [`X ${EVIL}`]: "1" } }, param: "headers" },
  { name: "an empty header name", settings: { headers: { "": EVIL } }, param: "headers" },
  { name: "a header value with CR/LF", settings: { headers: { "X-Team": `ml\r\nX-${EVIL}: 1` } }, param: "headers" },
  { name: "a header value with a bare LF", settings: { headers: { "X-Team": `ml\nX-${EVIL}: 1` } }, param: "headers" },
  { name: "a header value with NUL", settings: { headers: { "X-Team": `ml\u0000${EVIL}` } }, param: "headers" },
  { name: "an enormous header value (64 KiB)", settings: { headers: { "X-Big": hugeValue } }, param: "headers" },
  { name: "an enormous header name (64 KiB)", settings: { headers: { [`X-${hugeValue}`]: "1" } }, param: "headers" },
  { name: "a secret header name with CR/LF", settings: { secretHeaders: [`X-Secret\r\nX-${EVIL}`] }, param: "secretHeaders" },
  { name: "headers that are not strings", settings: { headers: { "X-Count": 3 } }, param: "settings.headers.X-Count" }
]

describe("settings the API refuses", () => {
  for (const c of invalidSettings) {
    it(`${c.name}: 400 naming ${c.param}, for create and test connection`, async () => {
      for (const response of await createAndTest({ preset: "custom", name: `Bad ${c.name}`, settings: settings(c.settings) })) {
        expectAdminError(response, 400, c.param)
      }
      expectFileClean()
    })
  }

  it("the same settings in an edit of an existing provider: 400, the provider unchanged", async () => {
    const before = remoteJson()
    for (const c of invalidSettings) {
      const response = await admin.call("PATCH", "/admin/providers/good", { body: { settings: c.settings } })
      expect(response.status, `${c.name}: ${response.text}`).toBe(400)
    }
    expect(remoteJson()).toBe(before)
    await waitForProvider(switchboard.url, "good", "connected")
  })

  it("the server is still healthy", expectHealthy)
})

describe("secret header values the API refuses (never stored)", () => {
  const values: ReadonlyArray<readonly [string, string]> = [
    ["CR/LF", `${TestSecrets.secretHeader}\r\nX-${EVIL}: 1`],
    ["a bare LF", `${TestSecrets.secretHeader}\nX-${EVIL}: 1`],
    ["NUL", `${TestSecrets.secretHeader}\u0000${EVIL}`],
    ["64 KiB", `${TestSecrets.secretHeader}${hugeValue}`]
  ]
  for (const [what, value] of values) {
    it(`a secret header value with ${what}: 400 for create, test connection and edit; the answer does not quote it`, async () => {
      const body = { preset: "custom", name: `Secret ${what}`, settings: settings(), secretHeaders: { [SECRET_HEADER]: value } }
      for (const response of [...await createAndTest(body), await admin.call("PATCH", "/admin/providers/good", { body: { secretHeaders: { [SECRET_HEADER]: value } } })]) {
        expectAdminError(response, 400)
        expect(response.text).not.toContain(EVIL)
      }
      expectFileClean()
    })
  }

  it("an API key with CR/LF: 400, never stored", async () => {
    const key = `${TestSecrets.upstreamKey}\r\nX-${EVIL}: 1`
    for (const response of [...await createAndTest({ preset: "custom", name: "Key CRLF", settings: settings({ auth: "apiKey" }), apiKey: key }), await admin.call("PATCH", "/admin/providers/good", { body: { apiKey: key } })]) {
      expectAdminError(response, 400, "apiKey")
    }
    expectFileClean()
  })

  it("the server is still healthy", expectHealthy)
})

describe("names, presets and ids", () => {
  it("a duplicate name is a 409, whatever its case and surrounding spaces, on create and rename", async () => {
    const first = await admin.call<{ id: string }>("POST", "/admin/providers", { body: { preset: "custom", name: "Twin", settings: settings() } })
    expect(first.status, first.text).toBe(201)
    for (const name of ["Twin", "twin", "  TWIN  "]) {
      expectAdminError(await admin.call("POST", "/admin/providers", { body: { preset: "custom", name, settings: settings() } }), 409, "name")
    }
    expectAdminError(await admin.call("PATCH", "/admin/providers/good", { body: { name: "twin" } }), 409, "name")
    // Neither provider changed; the second one was never added.
    const config = JSON.parse(remoteJson()) as { providers: Array<{ id: string; name: string }> }
    expect(config.providers.filter((p) => p.name.toLowerCase() === "twin")).toHaveLength(1)
    expect(config.providers.find((p) => p.id === "good")?.name).toBe("Good")
    expect((await admin.call("DELETE", `/admin/providers/${first.json.id}`)).status).toBe(200)
  })

  it("a name with a line break or a control character (a terminal escape) is a 400", async () => {
    for (const name of [`Line\n${EVIL}`, `Line\r${EVIL}`, `Line\u2028${EVIL}`, `\u001b[2J\u001b[31m${EVIL}`, `Tab\t${EVIL}`]) {
      expectAdminError(await admin.call("POST", "/admin/providers", { body: { preset: "custom", name, settings: settings() } }), 400, "name")
    }
    expectFileClean()
  })

  it("an unknown preset is a 400 naming preset", async () => {
    for (const response of await createAndTest({ preset: `${EVIL}-preset`, settings: settings() })) expectAdminError(response, 400, "preset")
    expectFileClean()
  })

  it("unknown providers are a 404 for every operation, whatever the id looks like", async () => {
    for (const id of ["nobody", "..%2F..%2Fetc", `${EVIL}%0D%0AX-Injected:%201`, "a".repeat(300)]) {
      for (const [method, path] of [["GET", ""], ["PATCH", ""], ["DELETE", ""], ["POST", "/enable"], ["POST", "/disable"], ["POST", "/reconnect"]] as const) {
        const response = await admin.call(method, `/admin/providers/${id}${path}`, method === "PATCH" ? { body: { name: "x" } } : {})
        expect(response.status, `${method} ${id}${path}: ${response.text}`).toBe(404)
      }
    }
    expectFileClean()
  })

  it("the server is still healthy", expectHealthy)
})

describe("bodies that are not what the API takes", () => {
  const raw = (method: string, path: string, body: string, contentType = "application/json") =>
    rawRequest(switchboard.url, path, { method, body, contentType }).then((response) => {
      capture(`${method} ${path}`, response.text)
      return response
    })

  for (const [method, path] of [["POST", "/admin/providers"], ["POST", "/admin/providers/test"], ["PATCH", "/admin/providers/good"]] as const) {
    it(`${method} ${path}: malformed JSON, non-objects, unknown fields and wrong types are 400; other content types 415`, async () => {
      for (const body of ["{", `{"name": "${EVIL}"`, "[]", `"${EVIL}"`, "null", "42", ""]) {
        const response = await raw(method, path, body)
        expect(response.status, `${body}: ${response.text}`).toBe(400)
        expect((response.json as AdminErrorBody).error.message.length).toBeGreaterThan(0)
      }
      for (const body of [{ apikey: EVIL }, { name: 12 }, { settings: "host=evil" }, { settings: { hostname: EVIL } }, { secretHeaders: [EVIL] }]) {
        const response = await raw(method, path, JSON.stringify(body))
        expect(response.status, `${JSON.stringify(body)}: ${response.text}`).toBe(400)
      }
      const form = await raw(method, path, `name=${EVIL}`, "application/x-www-form-urlencoded")
      expect(form.status, form.text).toBe(415)
      expectFileClean()
    })
  }

  it("a body over the size limit is a 413, whatever the endpoint", async () => {
    const body = JSON.stringify({ preset: "custom", name: `Huge ${EVIL}`, settings: { headers: { "X-Pad": "p".repeat(MAX_BODY_BYTES) } } })
    for (const [method, path] of [["POST", "/admin/providers"], ["POST", "/admin/providers/test"], ["PATCH", "/admin/providers/good"]] as const) {
      const response = await raw(method, path, body)
      expect(response.status, response.text).toBe(413)
      expect((response.json as AdminErrorBody).error.message.length).toBeGreaterThan(0)
    }
    expectFileClean()
  })

  it("the server is still healthy", expectHealthy)
})
