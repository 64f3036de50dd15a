/**
 * The local models' card on the page, in a real browser against the real `switchboard serve` with
 * a real tiny GGUF (stories260K) and a file that only looks like one: the built-in "Local" provider
 * is listed beside the configured ones, with each model's state — unloaded, then loaded after a
 * request, and the broken file's load error — following live. Screenshots go to test-artifacts/web/.
 *
 * Skipped, with the reason printed, without Chromium, node-llama-cpp or the model — except in CI.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ARTIFACTS, browserSkip, launchChromium, requiredInCi } from "../support/Browser.ts"
import { garbageModel, localModelSkip, MODEL } from "../support/LocalModel.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"
import { ensurePageBuilt } from "./PageBuild.ts"

const skip = browserSkip ?? localModelSkip
if (skip !== undefined) {
  if (requiredInCi) throw new Error(`the local card browser test is required in CI but cannot run: ${skip}`)
  console.warn(`[switchboard] SKIPPED local card browser test: ${skip}`)
}

describe.skipIf(skip !== undefined)("the local models' card", () => {
  let home: string
  let switchboard: SwitchboardProcess
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    ensurePageBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    home = mkdtempSync(join(tmpdir(), "switchboard-localcard-"))
    mkdirSync(join(home, "models"))
    symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    writeFileSync(join(home, "models", "broken.gguf"), garbageModel())
    writeRemoteConfig(home, { version: 1, providers: [] })
    switchboard = await startSwitchboard({ home })
    await waitForProvider(switchboard.url, "local", "connected")
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await switchboard?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  it("lists the local models with their states, which follow requests live", async () => {
    await page.goto(switchboard.url)
    const card = page.getByRole("listitem", { name: "Local", exact: true })
    await card.locator('.state[data-state="connected"]').waitFor()
    const model = (id: string) => card.getByRole("list", { name: "Local models" }).locator("li", { hasText: id })
    await model("stories260K").locator(".model-state", { hasText: "unloaded" }).waitFor()
    expect(await card.locator(".url").textContent()).toMatch(/built in/)
    // Nothing to edit or delete: its settings are remote.json's `local` block.
    expect(await card.getByRole("button").count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, "20-local-unloaded.png"), fullPage: true })

    const openai = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const answer = await openai.chat.completions.create({ model: "local/stories260K", messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 8 })
    expect(answer.choices[0]?.message.content).toBeTruthy()
    await model("stories260K").locator(".model-state", { hasText: "loaded" }).waitFor()
    expect(await model("stories260K").getAttribute("data-model-state")).toBe("loaded")

    await expect(openai.chat.completions.create({ model: "local/broken", messages: [{ role: "user", content: "Hi" }] })).rejects.toThrow()
    await model("broken").locator(".model-error").waitFor()
    expect(await model("broken").getAttribute("data-model-state")).toBe("error")
    await page.screenshot({ path: join(ARTIFACTS, "21-local-loaded-and-error.png"), fullPage: true })
  })
})
