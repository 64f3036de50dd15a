/**
 * The web page in a real browser (Debian's Chromium driven by playwright-core), against the real
 * `switchboard serve` with its keychain and a fake OpenAI upstream, the way a user goes: add a
 * provider through the form (a preset asks only for a name and a key; the custom one shows the
 * address, an API key and a secret header), test it, save it and watch it turn green live; chat
 * with its models (streamed answer, reasoning, stop, switching models mid-conversation); edit it
 * (Test connection with the stored secrets; a changed address asks, in plain words, before the
 * stored secrets follow it); delete it. Screenshots go to test-artifacts/web/.
 *
 * Skipped, with the reason printed, without Chromium or without the private keychain `npm test`
 * starts (the form stores secrets) — except in CI, where it must run.
 */
import { randomBytes } from "node:crypto"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { Browser, Locator, Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { adminClient } from "../support/AdminClient.ts"
import { ARTIFACTS, browserSkip, launchChromium, requiredInCi } from "../support/Browser.ts"
import { endless, type FakeOpenAiUpstream, reply, replyWithReasoning, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { startSwitchboard, type SwitchboardProcess, waitUntil } from "../support/SwitchboardProcess.ts"
import { ensurePageBuilt } from "./PageBuild.ts"

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service (the form stores secrets)"
const skip = browserSkip ?? keychainSkip
if (skip !== undefined && !requiredInCi) console.warn(`[switchboard] SKIPPED web page browser test: ${skip}`)

const API_KEY = `sk-web-${randomBytes(12).toString("hex")}`
const TOKEN = `tok-web-${randomBytes(12).toString("hex")}`
// The keychain is shared by the whole test run: a name no other test uses.
const NAME = `Web Fake ${process.pid}`
const RENAMED = `${NAME} renamed`

// In CI a missing browser or keychain is a failure, not a skip.
if (skip !== undefined && requiredInCi) {
  describe("the web page in a browser (CI)", () => {
    it("must run in CI", () => {
      throw new Error(`the web page browser test is required in CI but cannot run: ${skip}`)
    })
  })
}

describe.skipIf(skip !== undefined)("the web page in a browser", () => {
  let upstream: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let browser: Browser
  let page: Page
  const pageErrors: Array<string> = []

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
  const card = (name: string): Locator => page.getByRole("listitem", { name, exact: true })
  /** Waits for the card's state, which the page writes next to the dot. */
  const cardState = (name: string, state: string) => card(name).locator(`.state[data-state="${state}"]`).waitFor()
  const lastAnswer = () => page.locator(".turn.assistant").last()

  beforeAll(async () => {
    ensurePageBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    upstream = await startFakeOpenAiUpstream({
      apiKey: API_KEY,
      models: {
        "fake-think": replyWithReasoning("The user greets me, so I greet back."),
        "fake-plain": reply(),
        "fake-slow": endless(150)
      }
    })
    switchboard = await startSwitchboard({ config: { version: 1, providers: [] }, env: { SWITCHBOARD_SECRETS: "keychain" } })
    browser = await launchChromium()
    // A new context is a fresh temporary profile: no state from earlier runs.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.on("pageerror", (error) => pageErrors.push(error.message))
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text())
    })
  }, 60_000)

  // What the page showed when a step failed, beside the step screenshots.
  afterEach(async ({ task }) => {
    if (task.result?.state !== "fail") return
    await shot("failure").catch(() => undefined)
    const providers = await adminClient(switchboard.port).call("GET", "/v1/providers").catch((error: unknown) => ({ text: String(error) }))
    console.error(`server's providers at failure: ${providers.text}\nserver output:\n${switchboard.output()}`)
  })

  afterAll(async () => {
    await browser?.close()
    await switchboard?.stop()
    await upstream?.close()
  })

  it("adds a provider, chats with its models, edits and deletes it", async () => {
    await page.goto(switchboard.url)
    await page.getByText("No providers yet").waitFor()
    await shot("01-empty")

    // Add a provider through the form: custom preset, the fake's address, an API key, a secret header.
    await page.getByRole("button", { name: "Add provider" }).click()
    const form = page.getByRole("form", { name: "Add provider" })
    // A preset asks only for what it needs: a name and a key; its address waits under "Advanced".
    await form.getByLabel("Preset", { exact: true }).selectOption("openai")
    await expect.poll(() => form.getByLabel("Name", { exact: true }).inputValue()).toBe("OpenAI")
    await form.getByLabel("API key", { exact: true }).waitFor()
    expect(await form.getByLabel("Host", { exact: true }).isVisible()).toBe(false)
    expect(await form.locator(".advanced summary").textContent()).toContain("https://api.openai.com/v1")
    await shot("02a-form-preset")
    await form.locator(".advanced summary").click()
    expect(await form.getByLabel("Host", { exact: true }).inputValue()).toBe("api.openai.com")
    // The custom preset has no address: its Advanced part is open from the start.
    await form.locator(".advanced summary").click()
    await form.getByLabel("Host", { exact: true }).waitFor({ state: "hidden" })
    await form.getByLabel("Preset", { exact: true }).selectOption("custom")
    await form.getByLabel("Host", { exact: true }).waitFor()
    await form.getByLabel("Name", { exact: true }).fill(NAME)
    await form.getByLabel("Protocol", { exact: true }).selectOption("http")
    await form.getByLabel("Host", { exact: true }).fill(upstream.host)
    await form.getByLabel("Port", { exact: true }).fill(String(upstream.port))
    await form.getByLabel("Format", { exact: true }).selectOption("openai")
    await form.getByLabel("Authentication", { exact: true }).selectOption("apiKey")
    await form.getByLabel("API key", { exact: true }).fill(API_KEY)
    await form.getByRole("button", { name: "Add header" }).click()
    await form.getByLabel("Header 1 name", { exact: true }).fill("X-Secret-Token")
    await form.getByLabel("Secret", { exact: true }).check()
    await form.getByLabel("Header 1 value", { exact: true }).fill(TOKEN)
    // The Secret toggle stays on its header's line.
    const nameBox = (await form.getByLabel("Header 1 name", { exact: true }).boundingBox())!
    const secretBox = (await form.getByLabel("Secret", { exact: true }).boundingBox())!
    expect(secretBox.y).toBeGreaterThan(nameBox.y - secretBox.height)
    expect(secretBox.y).toBeLessThan(nameBox.y + nameBox.height)
    await form.getByRole("button", { name: "Test connection" }).click()
    await form.getByText("Connection works: 3 models").waitFor()
    await shot("02-form-tested")
    // The test call carried both secrets to the upstream.
    await upstream.waitFor((r) => r.path === "/v1/models" && r.headers["x-secret-token"] === TOKEN && r.headers.authorization === `Bearer ${API_KEY}`)

    await form.getByRole("button", { name: "Save" }).click()
    await form.waitFor({ state: "detached" })
    await cardState(NAME, "connected")
    // Runs in the page, where `getComputedStyle` exists (this file is typed for Node, without the DOM).
    type Styles = { getComputedStyle: (element: unknown) => { backgroundColor: string } }
    const dotColor = await card(NAME).locator(".dot").evaluate((dot) => (globalThis as unknown as Styles).getComputedStyle(dot).backgroundColor)
    expect(dotColor).toBe("rgb(31, 157, 85)")
    await card(NAME).getByText("3 models").waitFor()
    // The enable control is a drawn switch, not a bare checkbox.
    type Looks = { getComputedStyle: (element: unknown) => { appearance: string; width: string; height: string } }
    const looks = await card(NAME).getByRole("switch").evaluate((input) => {
      const style = (globalThis as unknown as Looks).getComputedStyle(input)
      return { appearance: style.appearance, width: parseFloat(style.width), height: parseFloat(style.height) }
    })
    expect(looks.appearance).toBe("none")
    expect(looks.width).toBeGreaterThan(looks.height * 1.5)
    await shot("03-connected")

    // Secrets are write-only: nowhere in the page, only "stored" flags.
    const html = await page.content()
    expect(html).not.toContain(API_KEY)
    expect(html).not.toContain(TOKEN)
    await card(NAME).getByText("API key stored").waitFor()
    await card(NAME).getByText("X-Secret-Token stored").waitFor()

    // States are live: a change made elsewhere (the admin API) shows without a reload.
    const id = (await adminClient(switchboard.port).call<{ data: Array<{ id: string; name: string }> }>("GET", "/admin/providers")).json.data
      .find((p) => p.name === NAME)!.id
    await adminClient(switchboard.port).call("POST", `/admin/providers/${id}/disable`)
    await cardState(NAME, "disabled")
    await card(NAME).getByRole("switch").check()
    await cardState(NAME, "connected")

    // Chat: the models are grouped under the provider's name.
    const picker = page.getByLabel("Model", { exact: true })
    await waitUntil("the provider's models in the picker", async () => (await picker.locator("option").count()) >= 4 ? true : undefined)
    const grouped = await picker.locator(`optgroup[label="${NAME}"] option`).allTextContents()
    expect(grouped.sort()).toEqual(["fake-plain", "fake-slow", "fake-think"])
    await picker.selectOption(`${id}/fake-think`)
    const message = page.getByLabel("Message", { exact: true })
    await message.fill("Hello there")
    await page.getByRole("button", { name: "Send" }).click()
    await lastAnswer().locator(".content").getByText("You said: Hello there").waitFor()
    expect(await lastAnswer().locator(".reasoning").textContent()).toContain("The user greets me, so I greet back.")
    await lastAnswer().locator(".reasoning summary").click()
    await shot("04-chat-reasoning")

    // A slow stream shows its tokens as they arrive, and Stop ends it (and the upstream request).
    await picker.selectOption(`${id}/fake-slow`)
    await message.fill("Count for me")
    await message.press("Enter")
    await lastAnswer().locator(".content").getByText("tick 2").waitFor()
    await shot("05-streaming")
    await page.getByRole("button", { name: "Stop" }).click()
    await lastAnswer().getByText("Stopped.").waitFor()
    await upstream.waitFor((r) => (r.body as { model?: string } | undefined)?.model === "fake-slow" && r.closedEarly)

    // Switching models keeps the conversation: the next model gets the whole history.
    await picker.selectOption(`${id}/fake-plain`)
    await message.fill("And now?")
    await page.getByRole("button", { name: "Send" }).click()
    await lastAnswer().locator(".content").getByText("You said: And now?").waitFor()
    expect(await page.locator(".turn").count()).toBe(6)
    const last = await upstream.waitFor((r) => (r.body as { model?: string } | undefined)?.model === "fake-plain")
    const sent = (last.body as { messages: Array<{ role: string; content: string }> }).messages
    expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"])
    expect(sent[0]!.content).toBe("Hello there")
    expect(sent[1]!.content).toBe("You said: Hello there")
    await shot("06-conversation")

    // Edit: a new name; the stored secrets stay (empty fields keep them).
    await page.getByRole("button", { name: `Edit ${NAME}` }).click()
    const edit = page.getByRole("form", { name: `Edit ${NAME}` })
    expect(await edit.getByLabel("API key", { exact: true }).inputValue()).toBe("")
    // Test connection with the secret fields left empty uses the stored secrets.
    const tested = upstream.requests.length
    await edit.getByRole("button", { name: "Test connection" }).click()
    await edit.getByText("Connection works: 3 models").waitFor()
    expect(upstream.requests.slice(tested).some((r) => r.path === "/v1/models" && r.headers.authorization === `Bearer ${API_KEY}` && r.headers["x-secret-token"] === TOKEN))
      .toBe(true)
    // A changed address: saving asks, in plain words, before the stored secrets follow it.
    await edit.getByLabel("Port", { exact: true }).fill(String(upstream.port + 1))
    await edit.getByRole("button", { name: "Save" }).click()
    const move = edit.getByRole("alert").filter({ hasText: "You changed the address" })
    await move.waitFor()
    expect(await move.textContent()).toContain(
      `from http://${upstream.host}:${upstream.port} to http://${upstream.host}:${upstream.port + 1}. ` +
        "Saving as it is would send the API key and the X-Secret-Token header stored for the old address to the new one."
    )
    await move.getByRole("button", { name: "Keep the stored secrets and save" }).waitFor()
    await shot("07a-edit-secrets-would-move")
    await move.getByRole("button", { name: "Go back" }).click()
    await edit.getByLabel("Port", { exact: true }).fill(String(upstream.port))
    await edit.getByLabel("Name", { exact: true }).fill(RENAMED)
    await shot("07-edit")
    await edit.getByRole("button", { name: "Save" }).click()
    await edit.waitFor({ state: "detached" })
    await cardState(RENAMED, "connected")
    await card(RENAMED).getByText("API key stored").waitFor()
    expect(await page.content()).not.toContain(API_KEY)

    // A failing provider turns red with the upstream's reason; Reconnect brings it back.
    upstream.setApiKey(`sk-rotated-${randomBytes(6).toString("hex")}`)
    await adminClient(switchboard.port).call("POST", `/admin/providers/${id}/reconnect`)
    await cardState(RENAMED, "error")
    await card(RENAMED).locator(".error-text").getByText("Incorrect API key provided").waitFor()
    await shot("08-error")
    upstream.setApiKey(API_KEY)
    await card(RENAMED).getByRole("button", { name: "Reconnect" }).click()
    await cardState(RENAMED, "connected")

    // Delete, with confirmation.
    await page.getByRole("button", { name: `Delete ${RENAMED}` }).click()
    const confirm = page.getByRole("alertdialog", { name: `Delete ${RENAMED}?` })
    await shot("09-delete-confirm")
    await confirm.getByRole("button", { name: "Delete" }).click()
    await card(RENAMED).waitFor({ state: "detached" })
    await page.getByText("No providers yet").waitFor()
    await shot("10-deleted")
    const left = await adminClient(switchboard.port).call<{ data: Array<unknown> }>("GET", "/admin/providers")
    expect(left.json.data).toEqual([])
    // Chromium logs every error status; the 409 of the changed address was the one expected.
    expect(pageErrors.filter((e) => !e.includes("status of 409"))).toEqual([])
  }, 120_000)
})

/**
 * Listening on a non-loopback address, Switchboard answers 401 without the gateway key. The
 * server here listens on loopback, so the browser's requests are answered as such a server would
 * (the route below stands in for its key check; the page itself is unchanged): the page must ask
 * for the key, keep it for the tab, and send it on every request — the event stream included.
 */
describe.skipIf(browserSkip !== undefined)("the web page behind a gateway key", () => {
  const GATEWAY_KEY = `sbk-web-${randomBytes(12).toString("hex")}`
  let switchboard: SwitchboardProcess
  let browser: Browser

  beforeAll(async () => {
    ensurePageBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    switchboard = await startSwitchboard({ config: { version: 1, providers: [] } })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await switchboard?.stop()
  })

  it("asks for the key on a 401 and sends it on every request", async () => {
    const page = await (await browser.newContext()).newPage()
    const authorized: Array<string> = []
    await page.route(`${switchboard.url}/**`, async (route) => {
      const request = route.request()
      const path = new URL(request.url()).pathname
      // The page's own files are public in this stand-in; every API call needs the key.
      if (path === "/" || path.startsWith("/assets/")) return route.continue()
      const header = await request.headerValue("authorization")
      if (header === `Bearer ${GATEWAY_KEY}`) {
        authorized.push(path)
        return route.continue()
      }
      const code = header === null ? "gateway_key_required" : "invalid_gateway_key"
      return route.fulfill({
        status: 401,
        contentType: "application/json",
        body: JSON.stringify({ error: { message: "a gateway key is required", type: "invalid_request_error", param: null, code } })
      })
    })
    await page.goto(switchboard.url)
    const form = page.getByRole("form", { name: "Gateway key" })
    await form.getByText("requires a gateway key").waitFor()
    await form.getByLabel("Gateway key", { exact: true }).fill("sbk-wrong")
    await form.getByRole("button", { name: "Continue" }).click()
    await form.getByText("was not accepted").waitFor()
    await form.getByLabel("Gateway key", { exact: true }).fill(GATEWAY_KEY)
    await page.screenshot({ path: join(ARTIFACTS, "11-gateway-key.png"), fullPage: true })
    await form.getByRole("button", { name: "Continue" }).click()
    await page.getByText("No providers yet").waitFor()
    await waitUntil("the key on the event stream and the model list", async () =>
      authorized.includes("/admin/events") && authorized.includes("/v1/models") ? true : undefined)
    expect(await page.content()).not.toContain(GATEWAY_KEY)
  }, 60_000)
})
