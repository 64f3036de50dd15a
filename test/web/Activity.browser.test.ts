/**
 * The page's Activity, in a real browser (Debian's Chromium driven by playwright-core) against a
 * real gateway whose usage ledger is a test double over canned rows: empty at first (the empty
 * state), then rows arrive and the page shows them without a reload (live); totals with unknown
 * prices shown as a lower bound, the tokens-and-cost chart (uPlot), latency and error rate per
 * model, the latest requests with their routes, searchable, a row opening its details; the window
 * picker switching to day buckets. Screenshots go to test-artifacts/web/40-*.png.
 *
 * Skipped, with the reason printed, without Chromium — except in CI, where it must run.
 */
import { mkdirSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import { ARTIFACTS, browserSkip, launchChromium, openPage, requiredInCi } from "../support/Browser.ts"
import { cannedLedger, type GatewayWithLedger, requestRow, startGatewayWithLedger } from "../support/CannedLedger.ts"
import { waitUntil } from "../support/SwitchboardProcess.ts"
import { ensurePageBuilt } from "./PageBuild.ts"

if (browserSkip !== undefined) {
  if (requiredInCi) throw new Error(`the Activity browser test is required in CI but cannot run: ${browserSkip}`)
  console.warn(`[switchboard] SKIPPED Activity browser test: ${browserSkip}`)
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const tokens = (input: number, output: number, cachedRead = 0) => ({ input, output, cachedRead, cacheWrite: 0, reasoning: 0 })

/** A day of traffic: three models, a virtual one, a stream, an error, a client gone, a price unknown. */
const day = (now: number): Array<RequestRecord> => {
  const rows: Array<RequestRecord> = []
  for (let i = 0; i < 18; i++) {
    rows.push(requestRow({
      id: `req_gpt_${i}`,
      startedAt: now - (i * 80 + 7) * MINUTE,
      tokens: tokens(1500 + i * 220, 300 + i * 40, i % 3 === 0 ? 800 : 0),
      costUsd: 0.0009 + i * 0.0004,
      durationMs: 600 + i * 70,
      ttftMs: 180 + i * 15,
      stream: i % 2 === 0
    }))
  }
  for (let i = 0; i < 6; i++) {
    rows.push(requestRow({
      id: `req_claude_${i}`,
      startedAt: now - (i * 190 + 25) * MINUTE,
      provider: "anthropic",
      model: "anthropic/claude-sonnet-4-5",
      upstreamModel: "claude-sonnet-4-5",
      requestedModel: "smart",
      virtualModel: "smart",
      inboundFormat: "anthropic",
      path: "/v1/messages",
      mode: "translated",
      client: "claude-cli/2.0.14",
      tokens: tokens(9000 + i * 1000, 1200 + i * 100, 4000),
      costUsd: 0.021 + i * 0.003,
      durationMs: 3200 + i * 400,
      ttftMs: 900 + i * 60,
      stream: true
    }))
  }
  rows.push(requestRow({
    id: "req_local_0",
    startedAt: now - 50 * MINUTE,
    provider: "local",
    model: "local/qwen3-8b",
    upstreamModel: "qwen3-8b",
    requestedModel: "local/qwen3-8b",
    mode: "local",
    tokens: tokens(700, 220),
    costUsd: 0,
    priceSource: "local",
    durationMs: 5200,
    ttftMs: 400
  }))
  rows.push(requestRow({
    id: "req_mystery_0",
    startedAt: now - 3 * HOUR,
    provider: "acme",
    model: "acme/mystery-1",
    upstreamModel: "mystery-1",
    requestedModel: "acme/mystery-1",
    tokens: tokens(4000, 900),
    costUsd: null,
    priceSource: "unknown",
    durationMs: 2100,
    ttftMs: 700
  }))
  rows.push(requestRow({
    id: "req_limited_0",
    startedAt: now - 2 * HOUR,
    status: 429,
    outcome: "error",
    errorClass: "rate_limit_error",
    tokens: { input: null, output: null, cachedRead: null, cacheWrite: null, reasoning: null },
    costUsd: null,
    priceSource: "unknown",
    durationMs: 140,
    ttftMs: null
  }))
  rows.push(requestRow({ id: "req_gone_0", startedAt: now - 4 * HOUR, status: 200, outcome: "client_closed", tokens: tokens(800, 40), costUsd: 0.0005, durationMs: 2500, stream: true }))
  // Older, for the longer windows.
  for (let d = 2; d < 7; d++) {
    rows.push(requestRow({ id: `req_old_${d}`, startedAt: now - d * 24 * HOUR, tokens: tokens(20_000 * d, 3_000 * d), costUsd: 0.05 * d, durationMs: 900 }))
  }
  return rows
}

describe.skipIf(browserSkip !== undefined)("Activity on the page", () => {
  const rows: Array<RequestRecord> = []
  let gateway: GatewayWithLedger
  let browser: Browser
  let page: Page
  let shot: (name: string) => Promise<unknown>
  let errors: Array<string>

  const section = () => page.getByRole("region", { name: "Activity" })
  const requestRows = () => section().locator("tbody tr.request-row")

  beforeAll(async () => {
    ensurePageBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    gateway = await startGatewayWithLedger(cannedLedger(() => rows).layer)
    browser = await launchChromium()
    ;({ page, shot, errors } = await openPage(browser, { height: 1100 }))
  }, 60_000)

  afterEach(async ({ task }) => {
    if (task.result?.state === "fail") await shot("40-activity-failure").catch(() => undefined)
  })

  afterAll(async () => {
    await browser?.close()
    await gateway?.stop()
  })

  it("shows the empty state, then the requests as they arrive, their totals, chart and latency per model", async () => {
    await page.goto(`${gateway.url}/#activity`)
    await section().getByText("No requests in this window.").waitFor()
    await section().getByText("No requests yet.").waitFor()
    expect(await page.getByRole("link", { name: "Activity" }).getAttribute("aria-current")).toBe("page")
    await shot("40-activity-empty")

    // Recorded while the page is open: it follows without a reload.
    rows.push(...day(Date.now()))
    await section().locator("dl[aria-label=Totals]").waitFor({ timeout: 15_000 })
    const totals = section().locator("dl[aria-label=Totals]")
    const inWindow = rows.filter((row) => row.startedAt >= Date.now() - 24 * HOUR)
    await waitUntil("the totals", async () => (await totals.textContent())?.includes(`Requests${inWindow.length}`) ? true : undefined)
    // Two requests have no known price: the cost is a lower bound, never a plain sum that looks exact.
    expect(await totals.textContent()).toMatch(/Cost≥ \$0\.\d{4}2 requests of unknown price/)
    expect(await totals.textContent()).toContain("Errors1 (")

    // The chart is drawn by uPlot, in hour buckets for a day.
    await section().locator(".activity-chart canvas").waitFor()
    expect(await section().getByText("Tokens and cost per hour").count()).toBe(1)
    expect(await section().locator(".u-legend").textContent()).toContain("Output tokens")
    // Without a cursor the legend says nothing of prices (not "price unknown").
    expect(await section().locator(".u-legend").textContent()).not.toContain("price unknown")

    // Per model: latency and error rate; the unknown price reads as such.
    const perModel = section().getByRole("table", { name: "Per model" })
    const mystery = perModel.getByRole("row", { name: "acme/mystery-1" })
    expect(await mystery.locator("td").allTextContents()).toEqual(["acme/mystery-1", "1", "0 %", "2.10 s", "2.10 s", "700 ms", "4,000 / 900", "price unknown"])
    const gpt = await perModel.getByRole("row", { name: "openai/gpt-4.1-mini" }).locator("td").allTextContents()
    expect(gpt[2]).toMatch(/^\d+(\.\d)? %$/)
    expect(gpt[2]).not.toBe("0 %")
    expect(await perModel.getByRole("row", { name: "local/qwen3-8b" }).locator("td").last().textContent()).toBe("$0.00")

    // The latest requests, newest first, with their routes.
    await waitUntil("the requests", async () => (await requestRows().count()) > 0 ? true : undefined)
    const newest = [...rows].sort((a, b) => b.startedAt - a.startedAt).slice(0, 3)
    expect(await requestRows().locator("button.route").allTextContents().then((all) => all.slice(0, 3))).toEqual(
      newest.map((row) => row.model === row.requestedModel ? `${row.model} via ${row.provider}` : `${row.requestedModel} → ${row.model} via ${row.provider}`)
    )
    await section().getByText("smart → anthropic/claude-sonnet-4-5 via anthropic").first().waitFor()
    await shot("41-activity")
    // In the system's dark colours, the chart drawn again in them.
    await page.emulateMedia({ colorScheme: "dark" })
    await section().locator(".activity-chart canvas").waitFor()
    await shot("44-activity-dark")
    await page.emulateMedia({ colorScheme: "light" })
    expect(errors).toEqual([])
  }, 60_000)

  it("searches the requests and opens one's details", async () => {
    await section().getByLabel("Search requests").fill("claude")
    await waitUntil("only claude's requests", async () => {
      const routes = await requestRows().locator("button.route").allTextContents()
      return routes.length === 6 && routes.every((route) => route.includes("claude")) ? true : undefined
    })
    await section().getByLabel("Search requests").fill("rate_limit")
    await waitUntil("the rate-limited request", async () => (await requestRows().count()) === 1 ? true : undefined)
    expect(await requestRows().locator(".status").textContent()).toBe("429 rate_limit_error")

    await section().getByLabel("Search requests").fill("mystery")
    await waitUntil("the unpriced request", async () => (await requestRows().count()) === 1 ? true : undefined)
    await requestRows().getByRole("button", { name: "acme/mystery-1 via acme" }).click()
    const details = section().locator("dl[aria-label='Request req_mystery_0']")
    await details.waitFor()
    expect(await details.textContent()).toContain("Costprice unknown")
    expect(await details.textContent()).toContain("Time to first token700 ms")
    expect(await details.textContent()).toContain("Served byacme/mystery-1 (mystery-1 at acme)")
    expect(await requestRows().getByRole("button", { name: "acme/mystery-1 via acme" }).getAttribute("aria-expanded")).toBe("true")
    await shot("42-activity-details")

    await section().getByLabel("Search requests").fill("nothing-like-this")
    await section().getByText("No requests match “nothing-like-this”.").waitFor()
    await section().getByLabel("Search requests").fill("")
    await waitUntil("every request again", async () => (await requestRows().count()) > 6 ? true : undefined)
  }, 60_000)

  it("switches the window: a week in day buckets", async () => {
    await section().getByRole("group", { name: "Time window" }).getByRole("button", { name: "7 d" }).click()
    await section().getByText("Tokens and cost per day").waitFor()
    const totals = section().locator("dl[aria-label=Totals]")
    const inWeek = rows.filter((row) => row.startedAt >= Date.now() - 7 * 24 * HOUR)
    await waitUntil("the week's totals", async () => (await totals.textContent())?.includes(`Requests${inWeek.length}`) ? true : undefined)
    expect(await section().getByRole("button", { name: "7 d" }).getAttribute("aria-pressed")).toBe("true")
    await section().locator(".activity-chart canvas").waitFor()
    await shot("43-activity-7d")
    // A narrow window: the tables scroll sideways, the chart follows the width.
    await page.setViewportSize({ width: 760, height: 1000 })
    await section().locator(".activity-chart canvas").waitFor()
    await shot("45-activity-narrow")
    await page.setViewportSize({ width: 1280, height: 1100 })

    // Back to the gateway view and again: the Activity view is a place in the address.
    await page.getByRole("link", { name: "Models & chat" }).click()
    await page.getByRole("region", { name: "Virtual models" }).waitFor()
    await page.goBack()
    await section().waitFor()
    expect(errors).toEqual([])
  }, 60_000)
})
