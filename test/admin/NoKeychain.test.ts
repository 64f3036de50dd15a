/**
 * A machine without a keychain (here: a D-Bus address that leads nowhere, so it holds with or
 * without the private Secret Service `npm test` starts): the real `switchboard serve` with the
 * default store keeps managing providers. Listing never reads secrets (key presence is `null`,
 * unknown), `GET /admin/secrets` names the problem and the ways out, and an add or edit that
 * needs the keychain fails having written nothing, while one that does not succeeds and is saved.
 * The CLI, through the server and on the files directly, agrees.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, providerEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { freePort, type SwitchboardProcess, startSwitchboard, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const NO_KEYCHAIN = { SWITCHBOARD_SECRETS: "keychain", DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/switchboard-test-bus" }
const KEY = "sk-no-keychain-never-stored"

interface Provider {
  readonly id: string
  readonly apiKeySet: boolean | null
  readonly secretHeaders: ReadonlyArray<{ readonly name: string; readonly set: boolean | null }>
}

const remoteJson = (home: string) => readFileSync(join(home, "providers", "remote.json"), "utf8")

describe("serve without a keychain", () => {
  let upstream: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let admin: AdminClient

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream()
    switchboard = await startSwitchboard({
      config: { version: 1, providers: [providerEntry(upstream, "plain"), providerEntry(upstream, "keyed", { auth: "apiKey", secretHeaders: ["X-Token"] })] },
      env: NO_KEYCHAIN
    })
    admin = adminClient(switchboard.port)
  })
  afterAll(async () => {
    await switchboard?.stop()
    await upstream?.close()
  })

  it("lists providers with key presence unknown, and says why in GET /admin/secrets", async () => {
    const list = await admin.call<{ data: ReadonlyArray<Provider> }>("GET", "/admin/providers")
    expect(list.status).toBe(200)
    const keyed = list.json.data.find((p) => p.id === "keyed")
    expect(keyed?.apiKeySet).toBeNull()
    expect(keyed?.secretHeaders).toEqual([{ name: "X-Token", set: null }])
    expect(list.json.data.find((p) => p.id === "plain")?.apiKeySet).toBeNull()

    const status = await admin.call<Record<string, unknown>>("GET", "/admin/secrets")
    expect(status.status).toBe(200)
    expect(status.json).toMatchObject({ kind: "keychain", writable: false, notice: null })
    expect(String(status.json.problem)).toContain("is not reachable")
    expect(String(status.json.problem)).toContain("SWITCHBOARD_SECRETS=env")
    expect(String(status.json.problem)).toContain("SWITCHBOARD_SECRETS=file")
    // A provider without secrets works as ever.
    await waitForProvider(switchboard.url, "plain", "connected")
  })

  it("adds a provider without a key (201, saved, running) and refuses one with a key having written nothing", async () => {
    const created = await admin.call<Provider>("POST", "/admin/providers", {
      body: { name: "Open", settings: { protocol: "http", host: upstream.host, port: upstream.port } }
    })
    expect(created.status).toBe(201)
    expect(created.json.apiKeySet).toBeNull()
    expect(remoteJson(switchboard.home)).toContain(`"id": "open"`)
    await waitForProvider(switchboard.url, "open", "connected")

    const before = remoteJson(switchboard.home)
    const refused = await admin.call<{ error: { code: string; message: string } }>("POST", "/admin/providers", {
      body: { name: "Keyed Two", settings: { protocol: "http", host: upstream.host, port: upstream.port }, apiKey: KEY }
    })
    expect(refused.status).toBe(500)
    expect(refused.json.error.code).toBe("secret_store_error")
    expect(remoteJson(switchboard.home)).toBe(before)

    const edit = await admin.call("PATCH", "/admin/providers/plain", { body: { name: "Plain Renamed", apiKey: KEY } })
    expect(edit.status).toBe(500)
    expect(remoteJson(switchboard.home)).toBe(before)
    expect(admin.seen.join("\n")).not.toContain(KEY)
  })

  it("the CLI lists (exit 0, the problem on stderr) and adds through the server; a key it cannot store changes nothing", async () => {
    const url = ["--url", switchboard.url]
    const list = await runCli(["providers", "list", ...url], { env: NO_KEYCHAIN })
    expect(list.status).toBe(0)
    expect(list.stdout).toContain("plain")
    expect(list.stderr).toContain("is not reachable")

    const add = await runCli(["providers", "add", "custom", "--name", "Cli Plain", "--host", "127.0.0.1", ...url], { env: NO_KEYCHAIN })
    expect(add.status, add.stderr).toBe(0)
    expect(add.stdout.trim()).toBe("cli-plain")
    expect(remoteJson(switchboard.home)).toContain(`"id": "cli-plain"`)

    const before = remoteJson(switchboard.home)
    const keyed = await runCli(["providers", "add", "custom", "--name", "Cli Keyed", "--host", "127.0.0.1", "--api-key-stdin", ...url], {
      env: NO_KEYCHAIN,
      input: KEY
    })
    expect(keyed.status).toBe(1)
    expect(keyed.stderr).toContain("is not reachable")
    expect(remoteJson(switchboard.home)).toBe(before)
  }, 60_000)
})

describe("the CLI on the files without a keychain", () => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-no-keychain-"))
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  it("adds and lists providers without secrets; an add with a key fails and writes nothing", async () => {
    writeRemoteConfig(home, { version: 1, providers: [] })
    // Nothing listens there: the CLI works on the files.
    const env = { ...NO_KEYCHAIN, SWITCHBOARD_HOME: home, SWITCHBOARD_PORT: String(await freePort()) }
    const add = await runCli(["providers", "add", "custom", "--name", "Local Plain", "--host", "127.0.0.1"], { env })
    expect(add.status, add.stderr).toBe(0)
    const list = await runCli(["providers", "list"], { env })
    expect(list.status).toBe(0)
    expect(list.stdout).toContain("local-plain")

    const before = remoteJson(home)
    const keyed = await runCli(["providers", "add", "openai", "--api-key-stdin"], { env, input: KEY })
    expect(keyed.status).toBe(1)
    expect(keyed.stderr).toContain("is not reachable")
    expect(keyed.stderr + keyed.stdout).not.toContain(KEY)
    expect(remoteJson(home)).toBe(before)

    // A preset that wants a key, none given (stdin closed): saved, and told why there is none.
    const openai = await runCli(["providers", "add", "openai"], { env })
    expect(openai.status, openai.stderr).toBe(0)
    expect(openai.stderr).toContain("no API key stored for openai")
    expect(remoteJson(home)).toContain(`"id": "openai"`)
  }, 60_000)
})
