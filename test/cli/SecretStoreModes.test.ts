/**
 * The two stores for machines without a keychain, end to end with the real server and CLI:
 * `SWITCHBOARD_SECRETS=env` (custom providers get `--auth apiKey` and the key is read from
 * `SWITCHBOARD_KEY_<ID>`; every message names that variable) and `SWITCHBOARD_SECRETS=file`
 * (secrets in secrets.json, mode 0600, never remote.json; a warning at start).
 */
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { type SwitchboardProcess, startSwitchboard, waitForProvider } from "../support/SwitchboardProcess.ts"

const ENV_KEY = "sk-env-mode-key-0123456789"
const FILE_KEY = "sk-file-mode-key-0123456789"

interface Provider {
  readonly id: string
  readonly state: string
  readonly error: string | null
  readonly apiKeySet: boolean | null
  readonly settings: { readonly auth: string }
}

const remoteJson = (home: string) => readFileSync(join(home, "providers", "remote.json"), "utf8")

describe("SWITCHBOARD_SECRETS=env", () => {
  let upstream: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let admin: AdminClient
  const cli = (args: ReadonlyArray<string>, input?: string) =>
    runCli([...args, "--url", switchboard.url], { env: { SWITCHBOARD_SECRETS: "env" }, ...(input === undefined ? {} : { input }) })
  const provider = async (id: string) => (await admin.call<Provider>("GET", `/admin/providers/${id}`)).json

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ apiKey: ENV_KEY })
    switchboard = await startSwitchboard({ config: { version: 1, providers: [] }, env: { SWITCHBOARD_KEY_MYPROV: ENV_KEY } })
    admin = adminClient(switchboard.port)
  })
  afterAll(async () => {
    await switchboard?.stop()
    await upstream?.close()
  })

  const at = () => ["--protocol", "http", "--host", upstream.host, "--port", String(upstream.port)]

  it("`providers add custom --auth apiKey` sends SWITCHBOARD_KEY_<ID>, and says where the key comes from", async () => {
    const add = await cli(["providers", "add", "custom", "--name", "MyProv", ...at(), "--auth", "apiKey"])
    expect(add.status, add.stderr).toBe(0)
    expect(add.stdout.trim()).toBe("myprov")
    expect(add.stderr).toContain("set it where Switchboard starts")
    expect(add.stderr).toContain("SWITCHBOARD_KEY_MYPROV")
    await waitForProvider(switchboard.url, "myprov", "connected")
    const view = await provider("myprov")
    expect(view.settings.auth).toBe("apiKey")
    expect(view.apiKeySet).toBe(true)
    expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${ENV_KEY}`)).toBe(true)
  }, 60_000)

  it("a provider whose variable is unset is an error naming the variable to set; `--auth none` and back on edit", async () => {
    const add = await cli(["providers", "add", "custom", "--name", "Unset Prov", ...at(), "--auth", "apiKey"])
    expect(add.status, add.stderr).toBe(0)
    const failed = await waitForProvider(switchboard.url, "unset-prov", "error")
    expect(failed.error).toContain("set SWITCHBOARD_KEY_UNSET_PROV where Switchboard starts")
    expect(failed.error).not.toContain("secrets set")
    expect((await provider("unset-prov")).apiKeySet).toBe(false)

    const off = await cli(["providers", "edit", "unset-prov", "--auth", "none"])
    expect(off.status, off.stderr).toBe(0)
    expect((await provider("unset-prov")).settings.auth).toBe("none")
    const on = await cli(["providers", "edit", "unset-prov", "--auth", "apiKey"])
    expect(on.status, on.stderr).toBe(0)
    expect(on.stderr).toContain("SWITCHBOARD_KEY_UNSET_PROV")
  }, 60_000)

  it("a key given to the CLI cannot be stored: exit 1 naming the variable, nothing written", async () => {
    const before = remoteJson(switchboard.home)
    const add = await cli(["providers", "add", "custom", "--name", "Piped", ...at(), "--api-key-stdin"], "sk-piped-never-stored")
    expect(add.status).toBe(1)
    expect(add.stderr).toContain("SWITCHBOARD_KEY_PIPED")
    expect(add.stderr).not.toContain("sk-piped-never-stored")
    expect(remoteJson(switchboard.home)).toBe(before)

    const contradiction = await cli(["providers", "add", "custom", "--name", "Both", ...at(), "--auth", "none", "--api-key-stdin"], "x")
    expect(contradiction.status).toBe(1)
    expect(contradiction.stderr).toContain("contradict")
  }, 60_000)

  it("GET /admin/secrets says the store is read-only and where secrets come from", async () => {
    const status = await admin.call<Record<string, unknown>>("GET", "/admin/secrets")
    expect(status.json).toMatchObject({ kind: "env", writable: false, problem: null })
    expect(String(status.json.notice)).toContain("SWITCHBOARD_KEY_<ID>")
  })
})

describe("SWITCHBOARD_SECRETS=file", () => {
  let upstream: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ apiKey: FILE_KEY })
    switchboard = await startSwitchboard({ config: { version: 1, providers: [] }, env: { SWITCHBOARD_SECRETS: "file" } })
  })
  afterAll(async () => {
    await switchboard?.stop()
    await upstream?.close()
  })

  it("warns once at start that secrets are plain text protected by file permissions", () => {
    const warnings = switchboard.output().split("\n").filter((line) => line.includes("SWITCHBOARD_SECRETS=file:"))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("plain text")
    expect(warnings[0]).toContain(join(switchboard.home, "secrets.json"))
  })

  it("a key added through the CLI lands in secrets.json (0600), not remote.json, and is sent", async () => {
    const add = await runCli([
      "providers", "add", "custom", "--name", "Filed", "--protocol", "http", "--host", upstream.host, "--port", String(upstream.port),
      "--api-key-stdin", "--url", switchboard.url
    ], { env: { SWITCHBOARD_SECRETS: "file" }, input: FILE_KEY })
    expect(add.status, add.stderr).toBe(0)
    await waitForProvider(switchboard.url, "filed", "connected")
    const path = join(switchboard.home, "secrets.json")
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(path, "utf8")).secrets["filed.apiKey"]).toBe(FILE_KEY)
    expect(remoteJson(switchboard.home)).not.toContain(FILE_KEY)
    expect(switchboard.output()).not.toContain(FILE_KEY)
  }, 60_000)
})
