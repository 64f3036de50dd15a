/**
 * `switchboard usage`, `usage requests` and `usage request <id>` through the real binary against a
 * real gateway whose ledger is a test double over canned rows: the table (tokens, errors,
 * latency, costs — "≥ $x (n unpriced)" and "price unknown", never $0) with its totals, `--json`
 * printing the admin API's answer, the latest requests with their routes, one request in full, a
 * 404 and a refused window in one line each, and what it says when no server runs.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import { adminClient } from "../support/AdminClient.ts"
import { cannedLedger, type GatewayWithLedger, requestRow, startGatewayWithLedger } from "../support/CannedLedger.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { freePort } from "../support/SwitchboardProcess.ts"

const HOUR = 3_600_000
const now = Date.now()
const tokens = (input: number, output: number, cachedRead = 0, reasoning = 0) => ({ input, output, cachedRead, cacheWrite: 0, reasoning })

const rows: ReadonlyArray<RequestRecord> = [
  requestRow({ id: "req_a1", startedAt: now - 1 * HOUR, tokens: tokens(12_000, 2_000, 4_000), costUsd: 0.0123, durationMs: 900, ttftMs: 250 }),
  requestRow({ id: "req_a2", startedAt: now - 2 * HOUR, tokens: tokens(500, 100), costUsd: 0.004, durationMs: 700, stream: true }),
  requestRow({
    id: "req_c1",
    startedAt: now - 3 * HOUR,
    provider: "anthropic",
    model: "anthropic/claude-sonnet-4-5",
    upstreamModel: "claude-sonnet-4-5",
    requestedModel: "smart",
    virtualModel: "smart",
    inboundFormat: "anthropic",
    path: "/v1/messages",
    mode: "translated",
    client: "claude-cli/2.0",
    tokens: tokens(2000, 800, 0, 300),
    costUsd: null,
    priceSource: "unknown",
    durationMs: 4000,
    ttftMs: 1200
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
  })
]

let gateway: GatewayWithLedger
let env: Record<string, string>

beforeAll(async () => {
  gateway = await startGatewayWithLedger(cannedLedger(() => rows).layer)
  env = { SWITCHBOARD_PORT: String(gateway.port), TZ: "UTC" }
}, 60_000)
afterAll(() => gateway?.stop())

const usage = async (...args: ReadonlyArray<string>) => {
  const result = await runCli(["usage", ...args], { env })
  assert.strictEqual(result.status, 0, `usage ${args.join(" ")}: ${result.stderr}`)
  // Kept in the test output: what a person sees.
  console.log(`$ switchboard usage ${args.join(" ")}\n${result.stdout}`)
  return result.stdout
}

describe("switchboard usage", () => {
  it("tabulates the last 24 hours by model with totals; unknown prices are never $0", { timeout: 60_000 }, async () => {
    const out = await usage()
    const lines = out.trimEnd().split("\n")
    assert.match(lines[0]!, /^Usage by model, \d{4}-\d{2}-\d{2} \d{2}:\d{2} → \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
    const table = lines.slice(2, 6)
    assert.deepStrictEqual(table.map((line) => line.split(/\s{2,}/)), [
      ["MODEL", "REQUESTS", "ERRORS", "INPUT", "OUTPUT", "CACHED", "REASONING", "P50", "P95", "COST"],
      ["openai/gpt-4.1-mini", "3", "1", "12,500", "2,100", "4,000", "0", "700 ms", "880 ms", "≥ $0.0163 (1 unpriced)"],
      ["anthropic/claude-sonnet-4-5", "1", "0", "2,000", "800", "0", "300", "4.00 s", "4.00 s", "price unknown"],
      ["TOTAL", "4", "1", "14,500", "2,900", "4,000", "300", "–", "–", "≥ $0.0163 (2 unpriced)"]
    ])
    assert.notInclude(out, "$0.00")
  })

  it("groups by provider over a given window, and for one key", { timeout: 60_000 }, async () => {
    const out = await usage("--since", "7d", "--by", "provider")
    assert.match(out, /^PROVIDER\s+REQUESTS/m)
    assert.match(out, /^anthropic\s+1\s/m)
    const none = await usage("--key", "key_nobody")
    assert.match(none.trim(), /^no requests from .* → .*, gateway key key_nobody$/)
  })

  it("--json prints the admin API's answer", { timeout: 60_000 }, async () => {
    const printed = JSON.parse(await usage("--by", "day", "--json"))
    const api = await adminClient(gateway.port).call<Record<string, unknown>>("GET", "/admin/usage?by=day")
    assert.deepStrictEqual(Object.keys(printed), ["since", "until", "by", "keyId", "groups", "totals"])
    assert.deepStrictEqual(printed.groups, api.json.groups)
    assert.deepStrictEqual(printed.totals, api.json.totals)
  })

  it("lists the latest requests with their routes, and shows one in full", { timeout: 60_000 }, async () => {
    const out = await usage("requests", "--limit", "3")
    const lines = out.trimEnd().split("\n")
    assert.strictEqual(lines.length, 4)
    assert.deepStrictEqual(lines[0]!.split(/\s{2,}/), ["TIME", "ID", "ROUTE", "MODE", "STATUS", "TTFT", "TOTAL", "IN / OUT", "COST"])
    assert.include(lines[1], "req_a1")
    assert.include(lines[1], "openai/gpt-4.1-mini via openai")
    assert.include(lines[1], "$0.0123")
    assert.include(lines[2], "pass-through, stream")
    assert.include(lines[3], "smart → anthropic/claude-sonnet-4-5 via anthropic")
    assert.include(lines[3], "price unknown")

    const searched = await usage("requests", "--search", "rate_limit")
    assert.include(searched, "429 rate_limit_error")
    assert.notInclude(searched, "req_a1")

    const one = await usage("request", "req_c1")
    assert.include(one, "route:               smart → anthropic/claude-sonnet-4-5 via anthropic")
    assert.include(one, "cost:                price unknown")
    assert.include(one, "  reasoning:         300")
    const asJson = JSON.parse(await usage("request", "req_c1", "--json"))
    assert.deepStrictEqual(asJson, rows[2])
  })

  it("says what is wrong in one line: an unknown request, a bad window", { timeout: 60_000 }, async () => {
    const missing = await runCli(["usage", "request", "req_nope"], { env })
    assert.strictEqual(missing.status, 1)
    assert.strictEqual(missing.stderr.trim(), "switchboard: no request req_nope in the ledger")
    const bad = await runCli(["usage", "--since", "yesterday"], { env })
    assert.strictEqual(bad.status, 1)
    assert.match(bad.stderr.trim(), /^switchboard: since: "yesterday" is not a time: use a span back from now \(30m, 24h, 7d, 2w\)/)
  })

  it("says so when no server runs", { timeout: 60_000 }, async () => {
    const port = await freePort()
    const result = await runCli(["usage"], { env: { SWITCHBOARD_PORT: String(port) } })
    assert.strictEqual(result.status, 1)
    assert.strictEqual(
      result.stderr.trim(),
      `switchboard: Switchboard is not running (no server at http://127.0.0.1:${port}): usage is kept by the server; start it with \`switchboard serve\``
    )
  })
})
