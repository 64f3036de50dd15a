/**
 * `providers add --models` and `providers edit --models / --clear-models / --remove-api-key /
 * --remove-header`, run through the real binary against both backends — the config files
 * directly (no server) and a running server's admin API — with the same scenario, which must
 * leave the same remote.json behind. The upstream here has no `GET /models` (it answers 404), the
 * case manual model lists exist for.
 */
import { Effect, Option, Redacted } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import type { Server } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import * as KeychainSecretStore from "../../src/secrets/KeychainSecretStore.ts"
import { apiKey, header, type SecretName, SecretStore } from "../../src/secrets/SecretStore.ts"
import { closeServer, createRecordingServer, listenOnLoopback } from "../support/FakeServer.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { freePort, startSwitchboard, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

let noModels: Server
let noModelsPort: number
let deadPort: number
const homes: Array<string> = []
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-cli-edit-"))
  homes.push(home)
  return home
}

beforeAll(async () => {
  // An OpenAI-compatible host without a models endpoint.
  noModels = createRecordingServer((_record, _req, res) => {
    res.writeHead(404, { "content-type": "text/plain" })
    res.end("Not Found")
  }).server
  noModelsPort = await listenOnLoopback(noModels)
  deadPort = await freePort()
})
afterAll(async () => {
  await closeServer(noModels)
  homes.forEach((home) => rmSync(home, { recursive: true, force: true }))
})

const initialConfig = () => ({
  version: 1,
  providers: [{
    id: "corp",
    name: "Corp",
    protocol: "http",
    host: "127.0.0.1",
    port: deadPort,
    auth: "apiKey",
    autoConnect: false,
    headers: { "X-Team": "ml", "X-Env": "dev" },
    secretHeaders: ["X-Token"]
  }]
})

const providersOf = (home: string): Array<Record<string, unknown>> =>
  JSON.parse(readFileSync(join(home, "providers", "remote.json"), "utf8")).providers

/**
 * The scenario, with `env` pointing the CLI at one backend and `configHome` the folder whose
 * remote.json that backend changes; `afterAdd` checks what only a running server can show.
 */
const scenario = async (env: Record<string, string>, configHome: string, afterAdd: (id: string) => Promise<void>) => {
  const cli = async (args: ReadonlyArray<string>) => {
    const result = await runCli(args, { env })
    assert.strictEqual(result.status, 0, `${args.join(" ")}: ${result.stderr}`)
    return result.stdout
  }
  const fails = async (args: ReadonlyArray<string>, message: string) => {
    const result = await runCli(args, { env })
    assert.strictEqual(result.status, 1, args.join(" "))
    assert.strictEqual(result.stderr.trim().split("\n").length, 1, result.stderr)
    assert.include(result.stderr, message)
  }

  const id = (await cli([
    "providers", "add", "custom", "--name", "Listless", "--protocol", "http", "--host", "127.0.0.1", "--port", String(noModelsPort),
    "--models", "m-1, m-2,,m-1"
  ])).trim()
  assert.strictEqual(id, "listless")
  assert.deepStrictEqual(providersOf(configHome).find((p) => p.id === id)?.models, ["m-1", "m-2"])
  await afterAdd(id)

  await cli(["providers", "edit", id, "--models", "m-3"])
  assert.deepStrictEqual(providersOf(configHome).find((p) => p.id === id)?.models, ["m-3"])
  await fails(["providers", "edit", id, "--models", " , "], "--models: expected model ids")
  await fails(["providers", "edit", id, "--models", "x", "--clear-models"], "contradict")
  await cli(["providers", "edit", id, "--clear-models"])
  assert.notProperty(providersOf(configHome).find((p) => p.id === id), "models")

  await fails(["providers", "edit", "corp", "--remove-header", "X-Nope"], "provider corp has no such header")
  await fails(["providers", "edit", "corp", "--remove-api-key", "--api-key-stdin"], "contradict")
  // Header names are case-insensitive; a secret header goes with its value, a plain one simply goes.
  await cli(["providers", "edit", "corp", "--remove-api-key", "--remove-header", "x-token", "--remove-header", "X-Env"])
  const corp = providersOf(configHome).find((p) => p.id === "corp")
  assert.deepInclude(corp, { auth: "none", headers: { "X-Team": "ml" }, secretHeaders: [] })
  return providersOf(configHome)
}

describe("providers add/edit: manual models, removing the API key and headers (SWITCHBOARD_SECRETS=env)", () => {
  // What the scenario left in remote.json on the files directly, to compare with the server's.
  let local: Array<Record<string, unknown>> | undefined

  // Many CLI runs, each a process start: generous timeouts, never assertions on time.
  it("work on the files directly", { timeout: 90_000 }, async () => {
    const localHome = newHome()
    writeRemoteConfig(localHome, initialConfig())
    local = await scenario(
      { SWITCHBOARD_HOME: localHome, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) },
      localHome,
      async (id) => {
        const list = await runCli(["providers", "list"], { env: { SWITCHBOARD_HOME: localHome, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(deadPort) } })
        assert.match(list.stdout, new RegExp(`${id}\\s+Listless\\s+not running\\s+2 manual`))
      }
    )
  })

  it("work the same through a running server, leaving the same remote.json", { timeout: 90_000 }, async () => {
    const server = await startSwitchboard({ config: initialConfig() })
    try {
      const cliHome = newHome()
      const remote = await scenario(
        { SWITCHBOARD_HOME: cliHome, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(server.port) },
        server.home,
        async (id) => {
          // No GET /models upstream: the manual list is what the provider serves.
          const status = await waitForProvider(server.url, id, "connected")
          assert.deepStrictEqual(status.models, ["m-1", "m-2"])
          const models = await runCli(["models"], { env: { SWITCHBOARD_HOME: cliHome, SWITCHBOARD_PORT: String(server.port) } })
          assert.include(models.stdout, `Listless (${id})\n  ${id}/m-1\n  ${id}/m-2`)
        }
      )
      assert.isDefined(local, "the files-directly run went first")
      assert.deepStrictEqual(remote, local)
    } finally {
      await server.stop()
    }
  })
})

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED keychain CLI edit tests: ${keychainSkip}`)

const readSecret = (id: string, name: SecretName) =>
  Effect.runPromise(Effect.provide(
    Effect.flatMap(SecretStore, (store) => store.get(id, name)).pipe(Effect.map(Option.map(Redacted.value))),
    KeychainSecretStore.layer
  ))

describe.skipIf(keychainSkip !== undefined)("providers edit --remove-api-key / --remove-header (real keychain)", () => {
  const addKeyed = async (env: Record<string, string>, name: string) => {
    const added = await runCli([
      "providers", "add", "custom", "--name", name, "--protocol", "http", "--host", "127.0.0.1", "--port", String(noModelsPort),
      "--models", "m-1", "--api-key-stdin", "--secret-header", "X-Token"
    ], { env, input: "sk-to-remove\ntoken-to-remove\n" })
    assert.strictEqual(added.status, 0, added.stderr)
    const id = added.stdout.trim()
    assert.deepStrictEqual(await readSecret(id, apiKey), Option.some("sk-to-remove"))
    assert.deepStrictEqual(await readSecret(id, header("X-Token")), Option.some("token-to-remove"))
    return id
  }
  const removeSecrets = async (env: Record<string, string>, id: string) => {
    const edited = await runCli(["providers", "edit", id, "--remove-api-key", "--remove-header", "X-Token"], { env })
    assert.strictEqual(edited.status, 0, edited.stderr)
    assert.isTrue(Option.isNone(await readSecret(id, apiKey)))
    assert.isTrue(Option.isNone(await readSecret(id, header("X-Token"))))
  }

  it("delete the stored values from the keychain, on the files directly", { timeout: 60_000 }, async () => {
    const home = newHome()
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_PORT: String(deadPort) }
    const id = await addKeyed(env, `Edit Local ${process.pid}`)
    await removeSecrets(env, id)
    assert.deepInclude(providersOf(home).find((p) => p.id === id), { auth: "none", secretHeaders: [] })
    assert.strictEqual((await runCli(["providers", "remove", id], { env })).status, 0)
  })

  it("delete the stored values from the keychain, through a running server", { timeout: 60_000 }, async () => {
    const server = await startSwitchboard({ config: { version: 1, providers: [] }, env: { SWITCHBOARD_SECRETS: "keychain" } })
    try {
      const env = { SWITCHBOARD_HOME: newHome(), SWITCHBOARD_PORT: String(server.port) }
      const id = await addKeyed(env, `Edit Remote ${process.pid}`)
      await waitForProvider(server.url, id, "connected")
      await removeSecrets(env, id)
      assert.deepInclude(providersOf(server.home).find((p) => p.id === id), { auth: "none", secretHeaders: [] })
      // Reconnected without the key and the header: the upstream saw neither.
      await waitForProvider(server.url, id, "connected")
      assert.strictEqual((await runCli(["providers", "remove", id], { env })).status, 0)
    } finally {
      await server.stop()
    }
  })
})
