/**
 * What a new user meets first on the command line, with the real binary: `serve` where it cannot
 * listen, mistakes on the command line, empty lists, help screens, a broken or misspelt
 * remote.json, and an old Node. Every failure is one line that says what to change.
 */
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { join } from "node:path"
import { assert, describe, it } from "vitest"
import { runCli } from "../support/SwitchboardCli.ts"
import { freePort, getJson, startSwitchboard, waitUntil, writeRemoteConfig } from "../support/SwitchboardProcess.ts"
import { tempDir } from "../support/TempDir.ts"

/** A home with no server on the port the CLI looks at, so commands work on the files. */
const offline = async () => ({
  SWITCHBOARD_HOME: tempDir("switchboard-first-"),
  SWITCHBOARD_SECRETS: "env",
  SWITCHBOARD_PORT: String(await freePort())
})

const lines = (text: string) => text.trimEnd().split("\n")

describe("serve where it cannot listen: one line, the fix, exit 1, before anything starts", () => {
  const refuses = async (args: ReadonlyArray<string>, env: Record<string, string>, says: ReadonlyArray<string>) => {
    const result = await runCli(["serve", ...args], { env })
    assert.strictEqual(result.status, 1, result.stdout + result.stderr)
    assert.strictEqual(result.stdout, "")
    assert.lengthOf(lines(result.stderr), 1, result.stderr)
    for (const text of says) assert.include(result.stderr, text)
  }

  it("a port out of range, from the flag or the variable", async () => {
    const env = await offline()
    await refuses(["--port", "99999"], env, ["switchboard: port 99999", "--port", "SWITCHBOARD_PORT"])
    await refuses([], { ...env, SWITCHBOARD_PORT: "70000" }, ["port 70000", "--port", "SWITCHBOARD_PORT"])
  })

  it("a port in use", async () => {
    const env = await offline()
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    try {
      const port = (taken.address() as { port: number }).port
      await refuses(["--port", String(port)], env, [`port ${port} on 127.0.0.1 is already in use`, "--port", "SWITCHBOARD_PORT"])
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it("an address this machine does not have (TEST-NET-1, never assigned)", async () => {
    const env = await offline()
    await refuses(["--host", "192.0.2.1", "--port", env.SWITCHBOARD_PORT], env, ["cannot listen on 192.0.2.1", "--host", "SWITCHBOARD_HOST"])
  })
})

describe("mistakes and help", () => {
  it("an unknown subcommand: the error first, then a short usage, on stderr", async () => {
    const result = await runCli(["providers", "lst"], { env: await offline() })
    assert.strictEqual(result.status, 1)
    assert.strictEqual(result.stdout, "")
    const error = result.stderr.indexOf("Unknown subcommand \"lst\"")
    assert.isAtLeast(error, 0, result.stderr)
    assert.isAbove(result.stderr.indexOf("usage: switchboard providers"), error)
    assert.include(result.stderr, "subcommands: list, add")
    assert.notInclude(result.stderr, "DESCRIPTION")
    assert.isBelow(lines(result.stderr).length, 12)
  })

  it("help shows the command's own flags and subcommands before the global ones", async () => {
    const serve = await runCli(["serve", "--help"])
    assert.isBelow(serve.stdout.indexOf("--port"), serve.stdout.indexOf("--log-level"))
    assert.notInclude(serve.stdout, "GLOBAL FLAGS")
    assert.include(serve.stdout, "see `switchboard --help`")
    const root = await runCli(["--help"])
    assert.isBelow(root.stdout.indexOf("SUBCOMMANDS"), root.stdout.indexOf("GLOBAL FLAGS"))
    assert.include(root.stdout, "--log-level")
  })

  it("secrets delete of a provider that does not exist is an error", async () => {
    const result = await runCli(["secrets", "delete", "nope"], { env: await offline() })
    assert.strictEqual(result.status, 1)
    assert.strictEqual(result.stderr.trim(), "switchboard: unknown provider nope: it is not in remote.json and the API key of nope is not stored (`switchboard providers list` shows the providers)")
  })

  it("empty lists are one line", async () => {
    const env = await offline()
    for (const command of [["providers", "list"], ["models"]]) {
      const result = await runCli(command, { env })
      assert.strictEqual(result.status, 0, result.stderr)
      assert.lengthOf(lines(result.stdout), 1, result.stdout)
    }
  })
})

describe("a broken or misspelt remote.json", () => {
  const provider = { id: "mine", name: "Mine", protocol: "http", host: "127.0.0.1", port: 9, autoConnect: false }

  it("without a server: list shows the file's error with line and column, and the entries that can be read", async () => {
    const env = await offline()
    writeRemoteConfig(env.SWITCHBOARD_HOME, {})
    writeFileSync(join(env.SWITCHBOARD_HOME, "providers", "remote.json"), "{\n  \"version\": 1,\n  \"providers\": [\n")
    const broken = await runCli(["providers", "list"], { env })
    assert.strictEqual(broken.status, 0, broken.stderr)
    assert.include(broken.stderr, "remote.json: not valid JSON at line 4, column 1")
    assert.include(broken.stderr, "no provider entry could be read")

    writeRemoteConfig(env.SWITCHBOARD_HOME, { version: 1, providers: [{ ...provider, protocl: "https" }, { ...provider, id: "Bad Id" }] })
    const partly = await runCli(["providers", "list"], { env })
    assert.include(partly.stdout, "mine")
    assert.include(partly.stderr, "[\"providers\"][1][\"id\"]")
  }, 30_000)

  it("with a server: unknown keys in the log, /health and list; a broken file keeps the last good configuration", async () => {
    const home = tempDir("switchboard-first-")
    writeRemoteConfig(home, { version: 1, providers: [{ ...provider, protocl: "https" }] })
    const server = await startSwitchboard({ home })
    try {
      const warning = "unknown key \"protocl\" in provider mine (did you mean \"protocol\"?)"
      const health = await getJson<{ config: { error: string | null; warnings: Array<string> } }>(server.url, "/health")
      assert.include(health.config.warnings[0], warning)
      assert.include(server.output(), warning)
      const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(server.port) }
      assert.include((await runCli(["providers", "list"], { env })).stderr, warning)

      writeFileSync(join(home, "providers", "remote.json"), "{\"version\": 1, \"providers\": [")
      await waitUntil("the server to see the broken file", async () =>
        (await getJson<{ config: { error: string | null } }>(server.url, "/health")).config.error ?? undefined)
      const list = await runCli(["providers", "list"], { env })
      assert.strictEqual(list.status, 0, list.stderr)
      assert.include(list.stdout, "mine")
      assert.include(list.stderr, "not valid JSON at line 1, column")
      assert.include(list.stderr, "last good configuration")
    } finally {
      await server.stop()
    }
  }, 60_000)
})

describe("an old Node", () => {
  // The machine's own `node` may be older than the one npm installs for the project.
  const old = ["/usr/bin/node", "/usr/local/bin/node"].find((node) => {
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? ""
    return /^v(1\d|2[01])\./.test(version)
  })

  it.skipIf(old === undefined)("is named in one line with the version needed", () => {
    const result = spawnSync(old!, [join(new URL("../../", import.meta.url).pathname, "bin/switchboard.js"), "--help"], { encoding: "utf8" })
    assert.strictEqual(result.status, 1)
    assert.match(result.stderr.trim(), /^switchboard: needs Node 22\.19 or newer; this is Node \d+\.\d+\.\d+ \(.*\)$/)
  })
})
