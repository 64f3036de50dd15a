/**
 * `GET /admin/usage`, `GET /admin/requests` and `GET /admin/requests/{id}` of a real gateway whose
 * ledger is a test double over canned rows, called with the typed client the CLI and the page use:
 * the window and grouping as typed on the command line, totals that keep unknown prices unknown,
 * the requests newest first with search and paging, one request or a 404, a 400 naming a bad
 * parameter, a 503 with the reason when the ledger fails or is absent, and the loopback guard.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { InvalidRequest, ServiceUnavailable } from "../../src/admin/AdminApi.ts"
import type { AdminApiClient, AdminCallError } from "../../src/admin/AdminApiClient.ts"
import { callFailure, makeAdminApiClient } from "../../src/admin/AdminApiClient.ts"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import { adminClient } from "../support/AdminClient.ts"
import { cannedLedger, type GatewayWithLedger, requestRow, startGatewayWithLedger } from "../support/CannedLedger.ts"

const HOUR = 3_600_000
const now = Date.now()
const tokens = (input: number, output: number, cachedRead = 0) => ({ input, output, cachedRead, cacheWrite: 0, reasoning: 0 })

const rows: ReadonlyArray<RequestRecord> = [
  requestRow({ id: "req_a1", startedAt: now - 1 * HOUR, tokens: tokens(1000, 200, 400), costUsd: 0.0123, durationMs: 900 }),
  requestRow({ id: "req_a2", startedAt: now - 2 * HOUR, tokens: tokens(500, 100), costUsd: 0.004, durationMs: 700, keyId: "key_ci" }),
  requestRow({
    id: "req_c1",
    startedAt: now - 3 * HOUR,
    provider: "anthropic",
    model: "anthropic/claude-sonnet-4-5",
    requestedModel: "smart",
    virtualModel: "smart",
    inboundFormat: "anthropic",
    mode: "translated",
    client: "claude-cli/2.0",
    tokens: tokens(2000, 800),
    costUsd: null,
    priceSource: "unknown",
    durationMs: 4000
  }),
  requestRow({
    id: "req_e1",
    startedAt: now - 4 * HOUR,
    status: 429,
    outcome: "error",
    errorClass: "rate_limit_error",
    tokens: { input: null, output: null, cachedRead: null, cacheWrite: null, reasoning: null },
    costUsd: null,
    priceSource: "unknown",
    durationMs: 120,
    ttftMs: null
  }),
  // Outside the default window (24 h).
  requestRow({ id: "req_old", startedAt: now - 3 * 24 * HOUR, tokens: tokens(9000, 9000), costUsd: 1.5 })
]

const call = <A>(api: AdminApiClient, f: (api: AdminApiClient) => Effect.Effect<A, AdminCallError>) =>
  Effect.runPromise(Effect.result(f(api))).then((result) =>
    result._tag === "Success" ? { ok: true as const, value: result.success } : { ok: false as const, error: result.failure }
  )

const clientOf = (url: string) => Effect.runPromise(makeAdminApiClient({ baseUrl: url, headers: () => ({}) }))

describe("the usage endpoints over a ledger", () => {
  let gateway: GatewayWithLedger
  let api: AdminApiClient
  const ledger = cannedLedger(() => rows)

  beforeAll(async () => {
    gateway = await startGatewayWithLedger(ledger.layer)
    api = await clientOf(gateway.url)
  }, 60_000)
  afterAll(() => gateway?.stop())

  it("totals the last 24 hours by model, with the unpriced requests counted and the window said", async () => {
    const answer = await call(api, (api) => api.usage.totals({ query: {} }))
    if (!answer.ok) throw new Error(callFailure(answer.error).message)
    const report = answer.value
    expect(report.by).toBe("model")
    expect(report.keyId).toBeNull()
    expect(Date.parse(report.until) - Date.parse(report.since)).toBe(24 * HOUR)
    expect(report.groups.map((group) => [group.group, group.requests, group.errors, group.unpriced])).toEqual([
      ["openai/gpt-4.1-mini", 3, 1, 1],
      ["anthropic/claude-sonnet-4-5", 1, 0, 1]
    ])
    expect(report.totals).toMatchObject({
      requests: 4,
      errors: 1,
      tokens: { input: 3500, output: 1100, cachedRead: 400, cacheWrite: 0, reasoning: 0 },
      unpriced: 2,
      // Percentiles do not add up over several groups.
      p50Ms: null,
      p95Ms: null
    })
    expect(report.totals.costUsd).toBeCloseTo(0.0163, 10)
  })

  it("passes the window, grouping and key through as typed on the command line", async () => {
    const answer = await call(api, (api) => api.usage.totals({ query: { since: "7d", until: "2h", by: "day", key: "key_ci" } }))
    if (!answer.ok) throw new Error(callFailure(answer.error).message)
    expect(answer.value.by).toBe("day")
    expect(answer.value.keyId).toBe("key_ci")
    const asked = ledger.queries.at(-1) as { since: number; until: number; by: string; keyId: string }
    expect(asked.by).toBe("day")
    expect(asked.keyId).toBe("key_ci")
    expect(asked.until - asked.since).toBe(7 * 24 * HOUR - 2 * HOUR)
    expect(answer.value.groups.map((group) => group.requests)).toEqual([1])
    // One group: its percentiles are the totals' too.
    expect(answer.value.totals.p50Ms).toBe(700)
  })

  it.each([
    [{ since: "yesterday" }, "since"],
    [{ until: "soon" }, "until"],
    [{ since: "1h", until: "2h" }, "since"],
    [{ by: "week" }, "by"]
  ])("refuses %j with a 400 naming %s", async (query, param) => {
    const answer = await call(api, (api) => api.usage.totals({ query }))
    expect(answer.ok).toBe(false)
    if (answer.ok) return
    expect(answer.error).toBeInstanceOf(InvalidRequest)
    if (answer.error instanceof InvalidRequest) {
      expect(answer.error.error.param).toBe(param)
      expect(answer.error.error.code).toBe("invalid_query")
    }
  })

  it("lists requests newest first, limited, searched and paged back", async () => {
    const list = await call(api, (api) => api.usage.requests({ query: {} }))
    if (!list.ok) throw new Error(callFailure(list.error).message)
    expect(list.value.object).toBe("list")
    expect(list.value.data.map((row) => row.id)).toEqual(["req_a1", "req_a2", "req_c1", "req_e1", "req_old"])
    expect(list.value.data[2]).toEqual(rows[2])

    const two = await call(api, (api) => api.usage.requests({ query: { limit: "2" } }))
    expect(two.ok && two.value.data.map((row) => row.id)).toEqual(["req_a1", "req_a2"])
    const searched = await call(api, (api) => api.usage.requests({ query: { search: "CLAUDE" } }))
    expect(searched.ok && searched.value.data.map((row) => row.id)).toEqual(["req_c1"])
    const older = await call(api, (api) => api.usage.requests({ query: { before: String(rows[1]!.startedAt) } }))
    expect(older.ok && older.value.data.map((row) => row.id)).toEqual(["req_c1", "req_e1", "req_old"])
    const keyed = await call(api, (api) => api.usage.requests({ query: { key: "key_ci" } }))
    expect(keyed.ok && keyed.value.data.map((row) => row.id)).toEqual(["req_a2"])

    const bad = await call(api, (api) => api.usage.requests({ query: { limit: "0" } }))
    expect(!bad.ok && bad.error instanceof InvalidRequest && bad.error.error.param).toBe("limit")
  })

  it("answers one request, or a 404 in the admin error shape", async () => {
    const one = await call(api, (api) => api.usage.request({ params: { id: "req_e1" } }))
    expect(one.ok && one.value).toEqual(rows[3])
    const none = await call(api, (api) => api.usage.request({ params: { id: "req_nope" } }))
    expect(none.ok).toBe(false)
    if (!none.ok) expect(callFailure(none.error)).toEqual({ message: "no request req_nope in the ledger", code: "request_not_found", unreachable: false })
  })

  it("is guarded like the rest of /admin: a foreign Host is refused", async () => {
    const refused = await adminClient(gateway.port).call("GET", "/admin/usage", { headers: { host: "evil.example:80" } })
    expect(refused.status).toBe(403)
    const allowed = await adminClient(gateway.port).call<{ by: string }>("GET", "/admin/usage?by=provider")
    expect(allowed.status).toBe(200)
    expect(allowed.json.by).toBe("provider")
  })

  it("is in the OpenAPI document", async () => {
    const document = await adminClient(gateway.port).call<{ paths: Record<string, unknown> }>("GET", "/admin/openapi.json")
    expect(Object.keys(document.json.paths)).toEqual(expect.arrayContaining(["/admin/usage", "/admin/requests", "/admin/requests/{id}"]))
  })
})

describe("the usage endpoints without a working ledger", () => {
  it("answers 503 with the ledger's reason", async () => {
    const gateway = await startGatewayWithLedger(cannedLedger(() => [], { failing: "database is locked" }).layer)
    try {
      const api = await clientOf(gateway.url)
      for (const answer of [
        await call(api, (api) => api.usage.totals({ query: {} })),
        await call(api, (api) => api.usage.requests({ query: {} })),
        await call(api, (api) => api.usage.request({ params: { id: "x" } }))
      ]) {
        expect(!answer.ok && answer.error).toBeInstanceOf(ServiceUnavailable)
        if (!answer.ok) expect(callFailure(answer.error)).toEqual({ message: "the usage ledger cannot answer: database is locked", code: "ledger_unavailable", unreachable: false })
      }
      const raw = await adminClient(gateway.port).call("GET", "/admin/usage")
      expect(raw.status).toBe(503)
    } finally {
      await gateway.stop()
    }
  }, 60_000)

  it("answers 503 when the gateway keeps no ledger", async () => {
    const gateway = await startGatewayWithLedger(undefined)
    try {
      const api = await clientOf(gateway.url)
      const answer = await call(api, (api) => api.usage.totals({ query: {} }))
      expect(!answer.ok && callFailure(answer.error).message).toBe("the usage ledger cannot answer: this gateway keeps no ledger")
    } finally {
      await gateway.stop()
    }
  }, 60_000)
})
