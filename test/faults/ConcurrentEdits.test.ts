/**
 * Concurrent edits from the CLI and the admin API do not lose updates: many edits at the same
 * time, to different providers, to different fields and to different headers of the same providers, through the admin
 * API and through the real `switchboard` binary, then every one of them is in remote.json and in
 * what the server serves.
 *
 * Two ways the CLI meets a running server:
 * - it finds it (`--url`), and sends its edits through the admin API: the server applies every
 *   edit under one lock;
 * - it does not (the server listens on another port than the CLI looks at), and changes
 *   remote.json itself while the server writes the same file for API callers: two processes
 *   doing read-modify-write on one file, which only a lock shared between processes keeps whole.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient } from "../support/AdminClient.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type CliResult, runCli } from "../support/SwitchboardCli.ts"
import { freePort, type SwitchboardProcess, waitUntil } from "../support/SwitchboardProcess.ts"
import { capture, checkNoLeaksAfterAll, startCapturedSwitchboard } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

const PROVIDERS = 6
const ids = Array.from({ length: PROVIDERS }, (_, i) => `p${i}`)

let upstream: FakeOpenAiUpstream
let switchboard: SwitchboardProcess
let admin: AdminClient

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ models: { "m": reply("ok") } })
  switchboard = await startCapturedSwitchboard({
    config: { version: 1, providers: ids.map((id) => providerEntry(upstream, id, { name: `Original ${id}` })) }
  })
  admin = adminClient(switchboard.port)
}, 60_000)

afterAll(async () => {
  for (const text of admin?.seen ?? []) capture("admin response", text)
  await switchboard?.stop()
  await upstream?.close()
})

interface Entry {
  readonly id: string
  readonly name: string
  readonly timeoutSeconds?: number
  readonly headers?: Record<string, string>
  readonly models?: ReadonlyArray<string>
}

const fileEntries = (): Array<Entry> =>
  (JSON.parse(readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")) as { providers: Array<Entry> }).providers

const cli = async (args: ReadonlyArray<string>, env: Record<string, string>): Promise<CliResult> => {
  const result = await runCli(args, { env: { SWITCHBOARD_HOME: switchboard.home, SWITCHBOARD_SECRETS: "env", ...env } })
  capture(`switchboard ${args.join(" ")}`, result.stdout + result.stderr)
  return result
}

const expectOk = (what: string, result: { readonly status: number | null; readonly text?: string; readonly stderr?: string }, ok: ReadonlyArray<number>) =>
  expect(ok, `${what}: ${result.text ?? result.stderr}`).toContain(result.status)

/**
 * One round of edits, all at once: the API renames every provider and adds an `X-Api` header to
 * each; the CLI changes every timeout, adds an `X-Cli` header to each (so one provider's headers
 * are changed by both at once) and sets manual models; both add new providers. Then everything
 * must be there.
 */
const round = async (tag: string, cliEnv: Record<string, string>, cliArgs: ReadonlyArray<string>) => {
  const apiName = (id: string) => `API ${tag} ${id}`
  const timeout = (i: number) => 10 + i + (tag === "a" ? 0 : 100)
  const operations: Array<Promise<void>> = [
    ...ids.map(async (id) => {
      const response = await admin.call("PATCH", `/admin/providers/${id}`, { body: { name: apiName(id) } })
      expectOk(`rename ${id}`, response, [200])
    }),
    // Both tools add a header to every provider: each names only its own (`headerChanges`), so neither drops the other's.
    ...ids.map(async (id) => {
      const response = await admin.call("PATCH", `/admin/providers/${id}`, { body: { headerChanges: { "X-Api": `${tag}-${id}` } } })
      expectOk(`headers of ${id}`, response, [200])
    }),
    ...[1, 2, 3].map(async (k) => {
      const response = await admin.call("POST", "/admin/providers", {
        body: { preset: "custom", name: `Added by API ${tag}${k}`, settings: { protocol: "http", host: "127.0.0.1", port: upstream.port } }
      })
      expectOk(`API add ${k}`, response, [201])
    }),
    ...ids.map(async (id, i) => {
      const result = await cli(["providers", "edit", id, "--timeout", String(timeout(i)), ...cliArgs], cliEnv)
      expectOk(`CLI timeout of ${id}`, result, [0])
    }),
    ...ids.map(async (id) => {
      const result = await cli(["providers", "edit", id, "--header", `X-Cli=${tag}-${id}`, ...cliArgs], cliEnv)
      expectOk(`CLI header of ${id}`, result, [0])
    }),
    ...ids.filter((_, i) => i % 3 === 0).map(async (id) => {
      const result = await cli(["providers", "edit", id, "--models", `manual-${tag}-${id}`, ...cliArgs], cliEnv)
      expectOk(`CLI models of ${id}`, result, [0])
    }),
    ...[1, 2, 3].map(async (k) => {
      const result = await cli(["providers", "add", "custom", "--name", `Added by CLI ${tag}${k}`, "--host", "127.0.0.1", "--port", String(upstream.port), "--protocol", "http", ...cliArgs], cliEnv)
      expectOk(`CLI add ${k}`, result, [0])
    })
  ]
  await Promise.all(operations)

  const check = (entries: ReadonlyArray<Entry>) => {
    const lost: Array<string> = []
    for (const [i, id] of ids.entries()) {
      const entry = entries.find((e) => e.id === id)
      if (entry === undefined) {
        lost.push(`${id} is gone`)
        continue
      }
      if (entry.name !== apiName(id)) lost.push(`${id} name: ${entry.name}`)
      if (entry.timeoutSeconds !== timeout(i)) lost.push(`${id} timeout: ${entry.timeoutSeconds}`)
      if (entry.headers?.["X-Api"] !== `${tag}-${id}`) lost.push(`${id} X-Api: ${JSON.stringify(entry.headers)}`)
      if (entry.headers?.["X-Cli"] !== `${tag}-${id}`) lost.push(`${id} X-Cli: ${JSON.stringify(entry.headers)}`)
      if (i % 3 === 0 && !entry.models?.includes(`manual-${tag}-${id}`)) lost.push(`${id} models: ${JSON.stringify(entry.models)}`)
    }
    for (const k of [1, 2, 3]) {
      for (const by of ["API", "CLI"]) {
        if (!entries.some((e) => e.name === `Added by ${by} ${tag}${k}`)) lost.push(`the provider added by the ${by} (${tag}${k}) is gone`)
      }
    }
    const idsSeen = entries.map((e) => e.id)
    if (new Set(idsSeen).size !== idsSeen.length) lost.push(`duplicate ids: ${idsSeen.join(", ")}`)
    return lost
  }

  // On disk, and (once the server has seen the last write) in what the server serves.
  expect(check(fileEntries())).toEqual([])
  await waitUntil("the server to show every edit", async () => {
    const served = (await admin.call<{ data: Array<Entry & { settings: Record<string, unknown> }> }>("GET", "/admin/providers")).json.data
    const entries = served.map((p) => ({ id: p.id, name: p.name, ...p.settings }) as Entry)
    return check(entries).length === 0 ? true : undefined
  })
}

describe("concurrent edits", () => {
  it("CLI (through the server's admin API) and API callers at once: no update is lost", async () => {
    await round("a", {}, ["--url", switchboard.url])
  }, 120_000)

  it("CLI changing remote.json itself (it does not see the server) and API callers at once: no update is lost", async () => {
    // A port nobody listens on: the CLI finds no server and edits the files directly.
    await round("b", { SWITCHBOARD_PORT: String(await freePort()) }, [])
  }, 120_000)
})
