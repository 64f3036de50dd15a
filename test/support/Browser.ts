/**
 * Debian's Chromium for the page's browser tests, driven by playwright-core: whether it is there,
 * how it is started (headless, a fresh temporary profile, no background networking: this machine
 * has no network beyond loopback), and where screenshots go.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { chromium } from "playwright-core"

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
