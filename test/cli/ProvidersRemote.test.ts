/**
 * `switchboard providers …` and `models` while a server runs: the real binary finds it at
 * `http://127.0.0.1:$SWITCHBOARD_PORT` and goes through its admin API, so the server applies each
 * change at once and the CLI shows live states. The CLI runs with a home of its own that stays
 * empty: every change it makes must land in the server's remote.json, through the server.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"

let open: FakeOpenAiUpstream
let locked: FakeOpenAiUpstream
let server: SwitchboardProcess
let cliHome: string
let env: Record<string, string>

beforeAll(async () => {
  open = await startFakeOpenAiUpstream({ models: { "gpt-4o-mini": { _tag: "Reply" }, "gpt-4o": { _tag: "Reply" } } })
  locked = await startFakeOpenAiUpstream({ apiKey: "sk-never-sent" })
  server = await startSwitchboard({ config: { version: 1, providers: [] } })
  cliHome = mkdtempSync(join(tmpdir(), "switchboard-cli-home-"))
  env = { SWITCHBOARD_HOME: cliHome, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(server.port) }
})
afterAll(async () => {
  await server?.stop()
  await open?.close()
  await locked?.close()
  rmSync(cliHome, { recursive: true, force: true })
})

const serverConfig = (): { providers: Array<Record<string, unknown>> } =>
  JSON.parse(readFileSync(join(server.home, "providers", "remote.json"), "utf8"))

const cli = async (args: ReadonlyArray<string>, extra: Record<string, string> = {}) => {
  const result = await runCli(args, { env: { ...env, ...extra } })
  assert.strictEqual(result.status, 0, `${args.join(" ")}: ${result.stderr}`)
  return result.stdout
}

describe("providers with a server running", () => {
  it("add shows the provider connected in list and its models grouped in models", async () => {
    const id = await cli(["providers", "add", "custom", "--name", "Open Fake", "--protocol", "http", "--host", open.host, "--port", String(open.port)])
    assert.strictEqual(id.trim(), "open-fake")
    await waitForProvider(server.url, "open-fake", "connected")

    const list = await cli(["providers", "list"], { FORCE_COLOR: "1" })
    assert.include(list, "\u001b[32mconnected\u001b[39m")
    assert.match(list.replace(/\u001b\[\d+m/g, ""), /open-fake\s+Open Fake\s+connected\s+2\s+http:\/\/127\.0\.0\.1:\d+\/v1/)
    assert.notInclude(list, "not running")

    const models = await cli(["models"])
    assert.include(models, "Open Fake (open-fake)\n  open-fake/gpt-4o-mini\n  open-fake/gpt-4o")
    assert.notInclude(models, "not running")
    assert.isFalse(existsSync(join(cliHome, "providers", "remote.json")), "the CLI went through the server, not its own files")
    assert.strictEqual(serverConfig().providers[0]?.id, "open-fake")
  })

  it("test reports ok with the model count, or the upstream's real 401 text; list shows the error in red", async () => {
    const ok = await cli(["providers", "test", "open-fake"])
    assert.strictEqual(ok.trim(), "ok: open-fake serves 2 models")

    const id = await cli(["providers", "add", "custom", "--name", "Locked", "--protocol", "http", "--host", locked.host, "--port", String(locked.port)])
    assert.strictEqual(id.trim(), "locked")
    await waitForProvider(server.url, "locked", "error")
    const failed = await runCli(["providers", "test", "locked"], { env })
    assert.strictEqual(failed.status, 1)
    assert.match(failed.stderr, /^switchboard: locked: 401/)
    assert.include(failed.stderr, "You didn't provide an API key")
    assert.strictEqual(failed.stderr.trim().split("\n").length, 1)

    const list = await cli(["providers", "list"], { FORCE_COLOR: "1" })
    assert.include(list, "\u001b[31merror\u001b[39m")
    assert.include(list, "You didn't provide an API key")
  })

  it("edit, disable, enable and remove go through the server and show at once", async () => {
    await cli(["providers", "edit", "open-fake", "--name", "Open Renamed", "--header", "X-Team=ml"])
    assert.deepInclude(serverConfig().providers.find((p) => p.id === "open-fake"), { name: "Open Renamed", headers: { "X-Team": "ml" } })
    await waitUntil("the header upstream", async () => open.requests.find((r) => r.headers["x-team"] === "ml"))

    await cli(["providers", "disable", "open-fake"])
    assert.match(await cli(["providers", "list"]), /open-fake\s+Open Renamed\s+disabled\s+0/)
    await cli(["providers", "enable", "open-fake", "--url", server.url])
    await waitForProvider(server.url, "open-fake", "connected")

    await cli(["providers", "remove", "locked"])
    assert.deepStrictEqual(serverConfig().providers.map((p) => p.id), ["open-fake"])
    assert.notInclude(await cli(["providers", "list"]), "locked")
    assert.isFalse(existsSync(join(cliHome, "providers", "remote.json")))
  })

  it("failures from the server are one line: unknown id, duplicate name", async () => {
    const unknown = await runCli(["providers", "disable", "nope"], { env })
    assert.strictEqual(unknown.status, 1)
    assert.strictEqual(unknown.stderr.trim(), "switchboard: no provider with id nope")
    const duplicate = await runCli(["providers", "add", "custom", "--name", "open renamed", "--host", "x.example"], { env })
    assert.strictEqual(duplicate.status, 1)
    assert.include(duplicate.stderr, "already exists")
    assert.strictEqual(duplicate.stderr.trim().split("\n").length, 1)
  })
})

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED keychain CLI tests with a server: ${keychainSkip}`)

describe.skipIf(keychainSkip !== undefined)("providers with a server running (real keychain)", () => {
  it("the API key piped to add reaches the upstream through the server, never remote.json or any output", async () => {
    const keyed = await startSwitchboard({ config: { version: 1, providers: [] }, env: { SWITCHBOARD_SECRETS: "keychain" } })
    try {
      const keyEnv = { SWITCHBOARD_HOME: cliHome, SWITCHBOARD_PORT: String(keyed.port) }
      const name = `Locked ${process.pid}`
      const added = await runCli([
        "providers", "add", "custom", "--name", name, "--protocol", "http", "--host", locked.host, "--port", String(locked.port), "--api-key-stdin"
      ], { env: keyEnv, input: "sk-never-sent\n" })
      assert.strictEqual(added.status, 0, added.stderr)
      const id = added.stdout.trim()
      await waitForProvider(keyed.url, id, "connected")
      const tested = await runCli(["providers", "test", id], { env: keyEnv })
      assert.strictEqual(tested.stdout.trim(), `ok: ${id} serves 1 model`)
      const list = await runCli(["providers", "list"], { env: keyEnv })
      for (const output of [added.stdout, added.stderr, tested.stdout, tested.stderr, list.stdout, keyed.output()]) {
        assert.notInclude(output, "sk-never-sent")
      }
      assert.notInclude(readFileSync(join(keyed.home, "providers", "remote.json"), "utf8"), "sk-never-sent")
      const removed = await runCli(["providers", "remove", id], { env: keyEnv })
      assert.strictEqual(removed.status, 0, removed.stderr)
    } finally {
      await keyed.stop()
    }
  })
})
