/**
 * The virtual models on the web page, in a real browser (Debian's Chromium driven by
 * playwright-core) against the real `switchboard serve` and a fake OpenAI upstream whose one model
 * is rate-limited (429 with Retry-After) and the other answers: an entry of remote.json the server
 * left out is shown with its field; a virtual model added through the form (targets chosen, moved,
 * presets) is listed with its targets' states and offered in the chat's picker in its own group;
 * a chat through it falls over to the second target (the answer names it, and got the presets)
 * and the first one's breaker shows open with the upstream's reason; an edit with a wrong rule is
 * refused with the field named, a loop is refused by the server with the field named, a valid
 * edit (balance, weights, a rule) is listed; deleting takes it out of the list and the picker; the
 * entry left out is fixed through the page (its Edit shows what is wrong, a failed load is shown)
 * and then listed, no longer a problem. Screenshots go to test-artifacts/web/.
 *
 * Skipped, with the reason printed, without Chromium — except in CI, where it must run.
 */
import { mkdirSync } from "node:fs"
import type { Browser, Locator, Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { adminClient } from "../support/AdminClient.ts"
import { ARTIFACTS, browserSkip, launchChromium, openPage, requiredInCi } from "../support/Browser.ts"
import { failWith, type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"
import { ensurePageBuilt } from "./PageBuild.ts"

if (browserSkip !== undefined) {
  if (requiredInCi) throw new Error(`the virtual models browser test is required in CI but cannot run: ${browserSkip}`)
  console.warn(`[switchboard] SKIPPED virtual models browser test: ${browserSkip}`)
}

type Body = { model?: string; messages?: Array<{ role: string; content: string }>; max_completion_tokens?: number }

describe.skipIf(browserSkip !== undefined)("the virtual models on the page", () => {
  let alpha: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let browser: Browser
  let page: Page
  let shot: (name: string) => Promise<unknown>
  let errors: Array<string>

  const section = () => page.getByRole("region", { name: "Virtual models" })
  const card = (name: string): Locator => section().getByRole("listitem", { name, exact: true })
  const targets = (name: string) => card(name).getByRole("list", { name: `${name} targets` }).locator(":scope > li")
  const picker = () => page.getByLabel("Model", { exact: true })
  const targetRows = (form: Locator) => form.locator(".target-row .target-model").allTextContents()
  /** A model the form's target picker offers, by its label (an option's value is a property, not an attribute). */
  const choice = (form: Locator, label: string) => form.getByLabel("Add a target", { exact: true }).locator("option", { hasText: new RegExp(`^${label}$`) })
  const addTarget = async (form: Locator, model: string) => {
    await form.getByLabel("Add a target", { exact: true }).selectOption(model)
    await form.getByRole("button", { name: "Add", exact: true }).click()
  }

  beforeAll(async () => {
    ensurePageBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    alpha = await startFakeOpenAiUpstream({ models: { "alpha-busy": failWith(429), "alpha-ok": reply() } })
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [providerEntry(alpha, "alpha", { name: "Alpha" })],
        // Left out by the server, with the field at fault; the page shows why.
        virtualModels: [{ name: "broken", strategy: "sideways", targets: ["alpha/alpha-ok"] }]
      }
    })
    await waitForProvider(switchboard.url, "alpha", "connected")
    browser = await launchChromium()
    ;({ page, shot, errors } = await openPage(browser, { height: 1000 }))
  }, 60_000)

  afterEach(async ({ task }) => {
    if (task.result?.state !== "fail") return
    await shot("vm-failure").catch(() => undefined)
    const listed = await adminClient(switchboard.port).call("GET", "/admin/virtual-models").catch((error: unknown) => ({ text: String(error) }))
    console.error(`server's virtual models at failure: ${listed.text}\nserver output:\n${switchboard.output()}`)
  })

  afterAll(async () => {
    await browser?.close()
    await switchboard?.stop()
    await alpha?.close()
  })

  it("adds a virtual model, shows its targets' states, chats through it, edits and deletes it", async () => {
    await page.goto(switchboard.url)
    await section().getByText("No virtual models yet.").waitFor()
    const leftOut = section().getByRole("alert", { name: "Virtual models left out" })
    expect(await leftOut.textContent()).toMatch(/"broken".*strategy/)

    // Add: a name, two targets chosen from the served models, moved, and a preset.
    await section().getByRole("button", { name: "Add virtual model" }).click()
    const form = section().getByRole("form", { name: "Add virtual model" })
    await form.getByLabel("Name", { exact: true }).fill("smart")
    await choice(form, "alpha-ok").waitFor({ state: "attached" })
    await addTarget(form, "alpha/alpha-ok")
    await addTarget(form, "alpha/alpha-busy")
    expect(await targetRows(form)).toEqual(["alpha/alpha-ok", "alpha/alpha-busy"])
    await form.getByRole("button", { name: "Move alpha/alpha-busy up" }).click()
    expect(await targetRows(form)).toEqual(["alpha/alpha-busy", "alpha/alpha-ok"])
    await form.locator(".advanced summary", { hasText: "Presets" }).click()
    await form.getByLabel("System prompt (put before the caller's own)", { exact: true }).fill("Answer briefly.")
    await form.getByLabel("Max tokens", { exact: true }).fill("64")
    await shot("30-vm-form")
    await form.getByRole("button", { name: "Save" }).click()
    await form.waitFor({ state: "detached" })

    // Listed with its targets in order, each served and its breaker closed.
    await card("smart").waitFor()
    expect(await targets("smart").locator(".model-id").allTextContents()).toEqual(["alpha/alpha-busy", "alpha/alpha-ok"])
    expect(await targets("smart").first().locator(".serving").textContent()).toBe("served by alpha (connected)")
    expect(await targets("smart").first().locator(".breaker").textContent()).toBe("breaker closed")
    await card("smart").getByText("all 2 targets available").waitFor()
    expect(await card("smart").locator(".vm-presets").textContent()).toContain("Answer briefly.")
    expect(await card("smart").locator(".vm-presets").textContent()).toContain("max_tokens 64")

    // The chat offers it in its own group, first; a message through it falls over to the second target.
    await waitUntil("smart in the picker", async () => (await picker().locator(`optgroup[label="Virtual models"] option`).allTextContents()).includes("smart") ? true : undefined)
    expect(await picker().locator("optgroup").first().getAttribute("label")).toBe("Virtual models")
    await picker().selectOption("smart")
    await page.getByLabel("Message", { exact: true }).fill("Hello there")
    await page.getByRole("button", { name: "Send" }).click()
    await page.locator(".turn.assistant").last().locator(".content").getByText("You said: Hello there").waitFor()
    // The answer says which target gave it.
    expect(await page.locator(".turn.assistant").last().locator(".who").textContent()).toBe("smart → alpha/alpha-ok")
    await alpha.waitFor((r) => (r.body as Body | undefined)?.model === "alpha-busy")
    const answered = await alpha.waitFor((r) => (r.body as Body | undefined)?.model === "alpha-ok")
    const sent = answered.body as Body
    // The presets: the system prompt before the caller's messages, the token limit the caller did not set.
    expect(sent.messages?.[0]).toEqual({ role: "system", content: "Answer briefly." })
    expect(sent.max_completion_tokens).toBe(64)

    // The rate-limited target's breaker opened at once (Retry-After), with the upstream's reason; the list follows by itself.
    const busy = targets("smart").first()
    await busy.locator(`.breaker[data-state="open"]`).waitFor()
    expect(await busy.locator(".breaker").textContent()).toMatch(/^breaker open until /)
    expect(await busy.getAttribute("data-available")).toBe("false")
    expect(await busy.locator(".last-failure").textContent()).toMatch(/429/)
    await card("smart").getByText("1 of 2 targets available").waitFor()
    await shot("31-vm-breaker-open")
    await page.emulateMedia({ colorScheme: "dark" })
    await shot("31b-vm-breaker-open-dark")
    await page.emulateMedia({ colorScheme: "light" })
    // A narrow window stacks the panels; the cards keep their lines.
    await page.setViewportSize({ width: 760, height: 1000 })
    await card("smart").scrollIntoViewIfNeeded()
    await shot("31d-vm-narrow")
    await page.setViewportSize({ width: 1280, height: 1000 })

    // Edit: balance with weights; a rule that names an unknown format is refused, naming the field.
    await card("smart").getByRole("button", { name: "Edit smart" }).click()
    const edit = section().getByRole("form", { name: "Edit smart" })
    // The form opens once the entry is loaded from the server.
    await edit.waitFor()
    expect(await targetRows(edit)).toEqual(["alpha/alpha-busy", "alpha/alpha-ok"])
    expect(await edit.getByLabel("Max tokens", { exact: true }).inputValue()).toBe("64")
    await edit.getByLabel("Strategy", { exact: true }).selectOption("balance")
    await edit.getByLabel("Weight of alpha/alpha-ok", { exact: true }).fill("3")
    await edit.getByRole("heading", { name: "Edit smart" }).scrollIntoViewIfNeeded()
    await shot("31c-vm-edit-balance")
    await edit.locator(".advanced summary", { hasText: "Rules" }).click()
    const rules = edit.getByLabel("Rules (the first that matches picks the targets)", { exact: true })
    await rules.fill(`[{ "name": "tools", "when": { "format": "grpc" }, "targets": ["alpha/alpha-ok"] }]`)
    await edit.getByRole("button", { name: "Save" }).click()
    const problem = edit.getByRole("alert")
    expect(await problem.textContent()).toMatch(/^rules\.0\.when\.format: /)
    expect(await rules.getAttribute("aria-invalid")).toBe("true")
    await shot("32-vm-invalid-rule")
    await rules.fill(`[{ "name": "tools", "when": { "tools": true }, "targets": ["alpha/alpha-ok"] }]`)
    await edit.getByRole("button", { name: "Save" }).click()
    await edit.waitFor({ state: "detached" })
    await card("smart").locator(".strategy", { hasText: "balance" }).waitFor()
    expect(await targets("smart").nth(1).locator(".badge").textContent()).toBe("weight 3")
    expect(await card("smart").getByRole("list", { name: "smart rules" }).textContent()).toContain("tools: with tools → alpha/alpha-ok")

    // A loop only the server can see: "inner" falls back to smart, so smart may not fall back to inner.
    await section().getByRole("button", { name: "Add virtual model" }).click()
    const inner = section().getByRole("form", { name: "Add virtual model" })
    await inner.getByLabel("Name", { exact: true }).fill("inner")
    await choice(inner, "smart").waitFor({ state: "attached" })
    await addTarget(inner, "smart")
    await inner.getByRole("button", { name: "Save" }).click()
    await inner.waitFor({ state: "detached" })
    await card("inner").waitFor()
    await card("smart").getByRole("button", { name: "Edit smart" }).click()
    const looping = section().getByRole("form", { name: "Edit smart" })
    await choice(looping, "inner").waitFor({ state: "attached" })
    await addTarget(looping, "inner")
    await looping.getByRole("button", { name: "Save" }).click()
    const refused = looping.locator(".targets-field").getByRole("alert")
    expect(await refused.textContent()).toMatch(/targets: "?inner"? leads back|leads back to itself/)
    await shot("33-vm-loop-refused")
    await looping.getByRole("button", { name: "Cancel" }).click()

    // Delete both, with confirmation: gone from the list and the picker.
    for (const name of ["inner", "smart"]) {
      await card(name).getByRole("button", { name: `Delete ${name}` }).click()
      await shot(name === "smart" ? "34-vm-delete-confirm" : "34a-vm-delete-inner")
      await card(name).getByRole("alertdialog", { name: `Delete ${name}?` }).getByRole("button", { name: "Delete" }).click()
      await card(name).waitFor({ state: "detached" })
    }
    await section().getByText("No virtual models yet.").waitFor()
    await waitUntil("smart out of the picker", async () => (await picker().locator(`optgroup[label="Virtual models"]`).count()) === 0 ? true : undefined)
    const left = await adminClient(switchboard.port).call<{ data: Array<unknown> }>("GET", "/admin/virtual-models")
    expect(left.json.data).toEqual([])
    await shot("35-vm-deleted")

    // The entry left out is fixed from the page: its Edit opens the form with the entry as remote.json
    // holds it, what is wrong already shown under its field.
    expect(await leftOut.textContent()).toMatch(/"broken"/)
    // A failure to load it is shown in place of the form (a server fault, injected on the wire).
    await page.route("**/admin/virtual-models/broken/entry", (route) =>
      route.fulfill({
        status: 500,
        contentType: "application/json",
        body: JSON.stringify({ error: { message: "remote.json could not be read", type: "server_error", param: null, code: null } })
      }), { times: 1 })
    await leftOut.getByRole("button", { name: "Edit broken" }).click()
    const failed = section().getByRole("group", { name: "Edit broken", exact: true })
    expect(await failed.getByRole("alert").textContent()).toBe("Could not load broken: remote.json could not be read")
    await shot("36-vm-entry-load-failed")
    await failed.getByRole("button", { name: "Close" }).click()
    await failed.waitFor({ state: "detached" })

    await leftOut.getByRole("button", { name: "Edit broken" }).click()
    const fix = section().getByRole("form", { name: "Edit broken" })
    await fix.waitFor()
    const strategy = fix.getByLabel("Strategy", { exact: true })
    expect(await fix.getByRole("alert").textContent()).toMatch(/^strategy: /)
    expect(await strategy.getAttribute("aria-invalid")).toBe("true")
    expect(await strategy.inputValue()).toBe("sideways")
    expect(await targetRows(fix)).toEqual(["alpha/alpha-ok"])
    await shot("37-vm-fix-left-out")
    await page.emulateMedia({ colorScheme: "dark" })
    await shot("37b-vm-fix-left-out-dark")
    await page.emulateMedia({ colorScheme: "light" })
    await strategy.selectOption("fallback")
    await fix.getByRole("button", { name: "Save" }).click()
    await fix.waitFor({ state: "detached" })
    // Listed, and no longer a problem; remote.json holds the fixed entry.
    await card("broken").waitFor()
    expect(await targets("broken").locator(".model-id").allTextContents()).toEqual(["alpha/alpha-ok"])
    await leftOut.waitFor({ state: "detached" })
    const fixedList = await adminClient(switchboard.port).call<{ data: Array<{ id: string }>; problems: Array<unknown> }>("GET", "/admin/virtual-models")
    expect(fixedList.json.data.map((model) => model.id)).toEqual(["broken"])
    expect(fixedList.json.problems).toEqual([])
    const stored = await adminClient(switchboard.port).call("GET", "/admin/virtual-models/broken/entry")
    expect(stored.json).toEqual({ name: "broken", strategy: "fallback", targets: ["alpha/alpha-ok"] })
    await shot("38-vm-left-out-fixed")

    // Chromium logs every error status; the 400 of the refused loop and the injected 500 were the ones expected.
    expect(errors.filter((e) => !e.includes("status of 400") && !e.includes("status of 500"))).toEqual([])
  }, 120_000)
})
