/**
 * The chat on the web page, in a real browser (Debian's Chromium driven by playwright-core) against
 * the real `switchboard serve` and two fake OpenAI upstreams: replies rendered as sanitised
 * Markdown with highlighted code and a working Copy button; a system prompt, max tokens and
 * temperature per conversation; usage and time to first token under each answer; conversations
 * kept in the browser across reloads, renamed and deleted; the chat filling the window; and a send
 * that never goes to a model the picker no longer shows. Screenshots go to test-artifacts/web/.
 *
 * Skipped, with the reason printed, without Chromium — except in CI, where it must run.
 */
import { mkdirSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminClient } from "../support/AdminClient.ts"
import { ARTIFACTS, browserSkip, launchChromium, openPage, requiredInCi } from "../support/Browser.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"
import { ensurePageBuilt } from "./PageBuild.ts"

if (browserSkip !== undefined) {
  if (requiredInCi) throw new Error(`the chat browser test is required in CI but cannot run: ${browserSkip}`)
  console.warn(`[switchboard] SKIPPED chat browser test: ${browserSkip}`)
}

const CODE = "def greet(name):\n    return f\"hello {name}\""
/** A reply with Markdown, a fenced code block, and HTML a sanitiser must take apart. */
const MARKDOWN = [
  "Here is **bold** text and a list:",
  "",
  "- one",
  "- two",
  "",
  "```python",
  CODE,
  "```",
  "",
  "<img src=\"x\" onerror=\"window.pwned = true\"> <script>window.pwned = true</script> [link](javascript:alert(1))"
].join("\n")

type Body = { model?: string; messages?: Array<{ role: string; content: string }>; max_tokens?: number; temperature?: number }

describe.skipIf(browserSkip !== undefined)("the chat in a browser", () => {
  let alpha: FakeOpenAiUpstream
  let beta: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let browser: Browser
  let page: Page
  let shot: (name: string) => Promise<unknown>
  let errors: Array<string>

  const lastAnswer = () => page.locator(".turn.assistant").last()
  const picker = () => page.getByLabel("Model", { exact: true })
  const message = () => page.getByLabel("Message", { exact: true })
  const conversations = () => page.getByRole("navigation", { name: "Conversations" })
  const titles = () => conversations().locator(".open").allTextContents()

  beforeAll(async () => {
    ensurePageBuilt()
    mkdirSync(ARTIFACTS, { recursive: true })
    alpha = await startFakeOpenAiUpstream({ models: { "alpha-md": reply(MARKDOWN), "alpha-echo": reply() } })
    beta = await startFakeOpenAiUpstream({ models: { "beta-echo": reply() } })
    switchboard = await startSwitchboard({
      config: { version: 1, providers: [providerEntry(alpha, "alpha", { name: "Alpha" }), providerEntry(beta, "beta", { name: "Beta" })] }
    })
    await waitForProvider(switchboard.url, "alpha", "connected")
    await waitForProvider(switchboard.url, "beta", "connected")
    browser = await launchChromium()
    ;({ page, shot, errors } = await openPage(browser, { height: 800, permissions: ["clipboard-read", "clipboard-write"] }))
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await switchboard?.stop()
    await Promise.all([alpha?.close(), beta?.close()])
  })

  it("renders a reply as sanitised Markdown with highlighted code and a Copy button", async () => {
    await page.goto(switchboard.url)
    await waitUntil("the models in the picker", async () => (await picker().locator("option").count()) >= 4 ? true : undefined)
    await picker().selectOption("alpha/alpha-md")
    await message().fill("Show me some Markdown")
    await message().press("Enter")
    const answer = lastAnswer()
    await answer.locator(".code-block").waitFor()
    await answer.locator(".stats").waitFor()
    expect(await answer.locator(".markdown strong").textContent()).toBe("bold")
    expect(await answer.locator(".markdown li").allTextContents()).toEqual(["one", "two"])
    expect(await answer.locator(".code-lang").textContent()).toBe("python")
    expect(await answer.locator("pre code .hljs-keyword").first().textContent()).toBe("def")
    // Nothing executable survived: no script, no handler, no javascript: link.
    expect(await answer.locator("script").count()).toBe(0)
    expect(await answer.locator("[onerror]").count()).toBe(0)
    expect(await answer.locator("a[href^='javascript']").count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as { pwned?: boolean }).pwned)).toBeUndefined()

    await answer.getByRole("button", { name: "Copy" }).click()
    await answer.getByRole("button", { name: "Copied" }).waitFor()
    type Clipboard = { navigator: { clipboard: { readText: () => Promise<string> } } }
    expect(await page.evaluate(() => (globalThis as unknown as Clipboard).navigator.clipboard.readText())).toBe(CODE)
    // The model that answered, its token usage and its time to first token.
    expect(await answer.locator(".who").textContent()).toBe("alpha/alpha-md")
    expect(await answer.locator(".stats").textContent()).toMatch(/^\d+ tokens \(\d+ in, \d+ out\) · first token [\d.]+ s · total [\d.]+ s$/)
    await shot("12-chat-markdown")
    // The code colors follow the system's dark mode too.
    await page.emulateMedia({ colorScheme: "dark" })
    await shot("12b-chat-markdown-dark")
    await page.emulateMedia({ colorScheme: "light" })
  }, 60_000)

  it("sends the conversation's system prompt, max tokens and temperature, and asks for usage in the stream", async () => {
    const sent: Array<Record<string, unknown>> = []
    page.on("request", (request) => {
      if (request.url().endsWith("/v1/chat/completions")) sent.push(request.postDataJSON() as Record<string, unknown>)
    })
    await page.getByRole("button", { name: "Settings" }).click()
    await page.getByLabel("System prompt", { exact: true }).fill("Answer in one line.")
    await page.getByLabel("Max tokens", { exact: true }).fill("64")
    await page.getByLabel("Temperature", { exact: true }).fill("0.3")
    await page.getByLabel("Temperature", { exact: true }).fill("3")
    await page.getByText("Temperature must be a number from 0 to 2.").waitFor()
    await page.getByLabel("Temperature", { exact: true }).fill("0.3")
    await picker().selectOption("alpha/alpha-echo")
    await message().fill("With settings")
    await page.getByRole("button", { name: "Send" }).click()
    await lastAnswer().getByText("You said: With settings").waitFor()
    await shot("13-chat-settings")
    expect(sent.at(-1)).toMatchObject({ model: "alpha/alpha-echo", stream: true, stream_options: { include_usage: true }, max_tokens: 64, temperature: 0.3 })
    const upstream = await alpha.waitFor((r) => (r.body as Body | undefined)?.model === "alpha-echo")
    const body = upstream.body as Body
    expect(body.messages?.[0]).toEqual({ role: "system", content: "Answer in one line." })
    expect(body.messages?.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"])
    expect(body).toMatchObject({ max_tokens: 64, temperature: 0.3 })
    await page.getByRole("button", { name: "Settings" }).click()
  }, 60_000)

  it("fills the window: the page does not scroll, the conversation scrolls inside", async () => {
    for (const n of [1, 2, 3]) {
      await message().fill(`Line ${n}\n\nmore\n\nand more`)
      await page.getByRole("button", { name: "Send" }).click()
      await lastAnswer().getByText(`You said: Line ${n}`).waitFor()
    }
    type Window = { innerHeight: number; document: { scrollingElement: { scrollHeight: number } } }
    const sizes = await page.evaluate(() => {
      const w = globalThis as unknown as Window
      return { window: w.innerHeight, page: w.document.scrollingElement.scrollHeight }
    })
    expect(sizes.page).toBeLessThanOrEqual(sizes.window)
    const chat = (await page.locator("section.chat").boundingBox())!
    expect(chat.y + chat.height).toBeGreaterThan(sizes.window - 40)
    const log = await page.getByRole("list", { name: "Conversation" }).evaluate((el) => {
      const box = el as unknown as { scrollHeight: number; clientHeight: number; scrollTop: number }
      return { scroll: box.scrollHeight, client: box.clientHeight, top: box.scrollTop }
    })
    expect(log.scroll).toBeGreaterThan(log.client)
    // It follows the answers to the end.
    expect(log.top + log.client).toBeGreaterThan(log.scroll - 48)
    await shot("14-chat-full-height")
    // A narrow window stacks the panels; the chat keeps most of the window's height.
    await page.setViewportSize({ width: 760, height: 800 })
    await page.locator("section.chat").scrollIntoViewIfNeeded()
    await shot("14b-chat-narrow")
    await page.setViewportSize({ width: 1280, height: 800 })
  }, 60_000)

  it("keeps conversations in the browser: listed, reopened after a reload, renamed and deleted", async () => {
    await expect.poll(titles).toEqual(["Show me some Markdown"])
    await conversations().getByRole("button", { name: "New chat" }).click()
    await expect.poll(() => page.locator(".turn").count()).toBe(0)
    // A new chat keeps the model and the settings.
    await expect.poll(() => picker().inputValue()).toBe("alpha/alpha-echo")
    await message().fill("A second conversation")
    await message().press("Enter")
    await lastAnswer().getByText("You said: A second conversation").waitFor()
    await expect.poll(titles).toEqual(["A second conversation", "Show me some Markdown"])

    await conversations().getByRole("button", { name: "Rename Show me some Markdown" }).click()
    await conversations().getByLabel("Conversation name").fill("Markdown demo")
    await conversations().getByLabel("Conversation name").press("Enter")
    await expect.poll(titles).toEqual(["A second conversation", "Markdown demo"])

    await page.reload()
    await waitUntil("the stored conversations", async () => (await titles()).length === 2 ? true : undefined)
    await expect.poll(titles).toEqual(["A second conversation", "Markdown demo"])
    await conversations().getByRole("button", { name: "Markdown demo", exact: true }).click()
    await page.locator(".turn.assistant .code-block").first().waitFor()
    expect(await page.locator(".turn").count()).toBe(10)
    await shot("15-conversations")

    await conversations().getByRole("button", { name: "Delete A second conversation" }).click()
    await conversations().getByRole("alertdialog", { name: "Delete A second conversation?" }).getByRole("button", { name: "Delete" }).click()
    await expect.poll(titles).toEqual(["Markdown demo"])
    await page.reload()
    await waitUntil("the stored conversations", async () => (await titles()).length > 0 ? true : undefined)
    await expect.poll(titles).toEqual(["Markdown demo"])
  }, 60_000)

  it("never sends to a model the picker no longer shows", async () => {
    await conversations().getByRole("button", { name: "New chat" }).click()
    await waitUntil("Beta's model in the picker", async () => (await picker().locator("option[value='beta/beta-echo']").count()) === 1 ? true : undefined)
    await picker().selectOption("beta/beta-echo")
    await message().fill("To Beta")
    await message().press("Enter")
    await lastAnswer().getByText("You said: To Beta").waitFor()

    await adminClient(switchboard.port).call("POST", "/admin/providers/beta/disable")
    await waitUntil("Beta's model to leave the picker", async () => (await picker().locator("option[value='beta/beta-echo']").count()) === 0 ? true : undefined)
    await expect.poll(() => picker().inputValue()).toBe("")
    const before = beta.requests.length
    await message().fill("Still there?")
    await message().press("Enter")
    await page.getByText("beta/beta-echo is not available now").waitFor()
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true)
    await shot("16-chat-model-gone")
    expect(await page.locator(".turn").count()).toBe(2)
    expect(beta.requests.length).toBe(before)
    expect(alpha.requests.filter((r) => JSON.stringify(r.body ?? "").includes("Still there?"))).toEqual([])

    // Choosing another model sends the kept draft there.
    await picker().selectOption("alpha/alpha-echo")
    await message().press("Enter")
    await lastAnswer().getByText("You said: Still there?").waitFor()
    expect(await lastAnswer().locator(".who").textContent()).toBe("alpha/alpha-echo")
    // Chromium reports the reply's `onerror` when the sanitiser parses it (in an inert document,
    // where the CSP blocks it anyway), and the sanitised `<img src="x">` is a 404: both expected.
    expect(errors.filter((e) => !e.startsWith("Executing inline event handler violates") && !e.includes("status of 404"))).toEqual([])
  }, 60_000)
})
