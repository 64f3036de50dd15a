/**
 * Debian's Chromium for the page's browser tests, driven by playwright-core: whether it is there,
 * how it is started (headless, a fresh temporary profile, no background networking: this machine
 * has no network beyond loopback), and where screenshots go.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium } from "playwright-core"

export const CHROMIUM = "/usr/bin/chromium"

/** Why the browser tests cannot run here, or undefined. */
export const browserSkip = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`

/** Screenshots of the page, kept as test artifacts. */
export const ARTIFACTS = join(new URL("../../", import.meta.url).pathname, "test-artifacts", "web")

/** Whether this run is CI's, where a skipped browser test is a failure. */
export const requiredInCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false"

export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })

/** A page in a fresh context (a fresh profile: no storage from earlier tests), what it logged as errors, and its screenshots. */
export const openPage = async (browser: Browser, options: { readonly width?: number; readonly height?: number; readonly permissions?: ReadonlyArray<string> } = {}) => {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } })
  if (options.permissions !== undefined) await context.grantPermissions([...options.permissions])
  const page = await context.newPage()
  const errors: Array<string> = []
  page.on("pageerror", (error) => errors.push(error.message))
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text())
  })
  return {
    page,
    errors,
    /** A screenshot of the window as the user sees it, kept in test-artifacts/web/. */
    shot: (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })
  }
}
