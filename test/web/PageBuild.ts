/**
 * Builds the web page when `web/dist/` is missing (a checkout installed with `--ignore-scripts`),
 * so the browser test needs no manual step. `npm install` / `npm ci` build it already (`prepare`).
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"

const ROOT = new URL("../../", import.meta.url).pathname

export const ensurePageBuilt = (): void => {
  if (existsSync(join(ROOT, "web", "dist", "index.html"))) return
  const result = spawnSync(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "web/vite.config.ts", "--logLevel", "warn"], {
    cwd: ROOT,
    encoding: "utf8"
  })
  if (result.status !== 0) throw new Error(`building the web page failed (npm run build:web):\n${result.stdout}${result.stderr}`)
}
