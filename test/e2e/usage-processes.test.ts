/**
 * The ledger as a user runs it: `switchboard serve` processes, the real SDKs, the admin API.
 *
 * - SQLite (the default): rows land in `$SWITCHBOARD_HOME/switchboard.db`, `/admin/usage` adds
 *   them up, `/admin/requests/{id}` finds one by the answer's request id, and they are still there
 *   after a restart; `/health` says where the ledger is.
 * - Postgres (`SWITCHBOARD_DATABASE_URL`): two gateway processes on one database (as behind a load
 *   balancer) write one ledger; each sees the other's requests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mkdtempSync, rmSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import type { UsageGroup } from "../../src/usage/Ledger.ts"
import { type FakeOpenAiUpstream, providerEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { describePostgres, usePostgres } from "../support/Postgres.ts"
import { getJson, startSwitchboard, type SwitchboardProcess, waitForProvider, waitUntil, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const USAGE = { input: 30, output: 7, cachedRead: 10, cacheWrite: 0, reasoning: 0 }

interface UsageAnswer {
  readonly groups: ReadonlyArray<UsageGroup>
}

/** One chat completion through the OpenAI SDK; the answer's request id. */
const ask = async (url: string, stream: boolean): Promise<string> => {
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
  if (!stream) {
    const { response } = await openai.chat.completions.create({ model: "oa/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }).withResponse()
    return response.headers.get("x-switchboard-request-id")!
  }
  const { data, response } = await openai.chat.completions.create({ model: "oa/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], stream: true }).withResponse()
  for await (const _ of data) void _
  return response.headers.get("x-switchboard-request-id")!
}

/** The row of a request, once the gateway has written it (batches go out every 250 ms). */
const rowOf = (url: string, id: string) =>
  waitUntil(`the ledger row of ${id}`, async () => {
    const response = await fetch(`${url}/admin/requests/${id}`)
    return response.ok ? await response.json() as RequestRecord : undefined
  })

describe("the ledger in SQLite, as `switchboard serve` keeps it", () => {
  let upstream: FakeOpenAiUpstream
  let home: string
  let gateway: SwitchboardProcess | undefined

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ usage: USAGE })
    home = mkdtempSync(join(tmpdir(), "switchboard-ledger-"))
    writeRemoteConfig(home, { version: 1, providers: [providerEntry(upstream, "oa")] })
  })

  afterAll(async () => {
    await gateway?.stop()
    await upstream?.close()
    rmSync(home, { recursive: true, force: true })
  })

  it("records each request, adds them up, and keeps them across a restart", async () => {
    gateway = await startSwitchboard({ home })
    await waitForProvider(gateway.url, "oa", "connected")
    const ids = [await ask(gateway.url, false), await ask(gateway.url, true), await ask(gateway.url, true)]
    for (const id of ids) {
      expect(await rowOf(gateway.url, id)).toMatchObject({ id, provider: "oa", model: "oa/gpt-4o-mini", status: 200, outcome: "ok", tokens: { input: 30, output: 7, cachedRead: 10 } })
    }
    const health = await getJson<{ ledger: { backend: string; location: string; ok: boolean } }>(gateway.url, "/health")
    expect(health.ledger).toMatchObject({ backend: "sqlite", location: join(home, "switchboard.db"), ok: true })
    expect(existsSync(join(home, "switchboard.db"))).toBe(true)

    const usage = await getJson<UsageAnswer>(gateway.url, "/admin/usage?since=1h&by=model")
    expect(usage.groups).toEqual([expect.objectContaining({ group: "oa/gpt-4o-mini", requests: 3, errors: 0, tokens: { input: 90, output: 21, cachedRead: 30, cacheWrite: 0, reasoning: 0 } })])

    await gateway.stop()
    gateway = await startSwitchboard({ home })
    expect(await rowOf(gateway.url, ids[0]!)).toMatchObject({ id: ids[0] })
    const again = await getJson<UsageAnswer>(gateway.url, "/admin/usage?since=1h&by=provider")
    expect(again.groups).toEqual([expect.objectContaining({ group: "oa", requests: 3 })])
  }, 60_000)
})

describePostgres("one ledger for two gateways on one Postgres", () => {
  const postgres = usePostgres()
  let upstream: FakeOpenAiUpstream
  const gateways: Array<SwitchboardProcess> = []
  const homes: Array<string> = []

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ usage: USAGE })
    const database = postgres.freshDatabase()
    for (let i = 0; i < 2; i++) {
      const home = mkdtempSync(join(tmpdir(), "switchboard-pg-gateway-"))
      homes.push(home)
      writeRemoteConfig(home, { version: 1, providers: [providerEntry(upstream, "oa")] })
      gateways.push(await startSwitchboard({ home, env: { SWITCHBOARD_DATABASE_URL: database } }))
    }
    for (const gateway of gateways) await waitForProvider(gateway.url, "oa", "connected")
  }, 120_000)

  afterAll(async () => {
    for (const gateway of gateways) await gateway.stop()
    await upstream?.close()
    for (const home of homes) rmSync(home, { recursive: true, force: true })
  })

  it("requests through either gateway land in one ledger that both read", async () => {
    const [a, b] = gateways as [SwitchboardProcess, SwitchboardProcess]
    const fromA = [await ask(a.url, false), await ask(a.url, true)]
    const fromB = [await ask(b.url, true), await ask(b.url, false), await ask(b.url, false)]
    for (const id of fromA) await rowOf(b.url, id)
    for (const id of fromB) await rowOf(a.url, id)
    for (const gateway of gateways) {
      const usage = await getJson<UsageAnswer>(gateway.url, "/admin/usage?since=1h&by=model")
      expect(usage.groups).toEqual([expect.objectContaining({ group: "oa/gpt-4o-mini", requests: 5, tokens: expect.objectContaining({ input: 150, output: 35 }) })])
      const health = await getJson<{ ledger: { backend: string; location: string; ok: boolean } }>(gateway.url, "/health")
      expect(health.ledger).toMatchObject({ backend: "postgres", ok: true })
      // Where the database is, never who logs in with what.
      expect(JSON.stringify(health)).not.toContain(postgres.password)
      expect(JSON.stringify(health)).not.toContain(encodeURIComponent(postgres.password))
    }
  }, 60_000)

  it("one set of gateway keys and one budget for both: a key made on one is known to the other, and its rpm counts across both", async () => {
    const [a, b] = gateways as [SwitchboardProcess, SwitchboardProcess]
    const created = await fetch(`${a.url}/admin/keys`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "shared", limits: { rpm: 3 } })
    })
    expect(created.status).toBe(201)
    const { key, info } = await created.json() as { key: string; info: { id: string } }
    const ask = (url: string) =>
      new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions
        .create({ model: "oa/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] })
        .withResponse()
        .then(({ response }) => ({ status: response.status, id: response.headers.get("x-switchboard-request-id") }), (error: unknown) => ({ status: (error as { status?: number }).status, id: null }))
    // The other gateway learns of the key when its cached keys are next re-read (within seconds:
    // `GatewayKeys.REFRESH`); a request without a model makes each look now, and counts for nothing.
    await new Promise((resolve) => setTimeout(resolve, 3_500))
    for (const url of [a.url, b.url]) {
      await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" })
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    // Three requests within the minute, spread over both gateways, pass; the fourth, on either, is a 429.
    const answers = [await ask(a.url), await ask(b.url), await ask(a.url), await ask(b.url)]
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429])
    // The rows carry the key's id, whichever gateway wrote them.
    for (const answer of answers.slice(0, 3)) expect(await rowOf(b.url, answer.id!)).toMatchObject({ keyId: info.id })
  }, 60_000)
})
