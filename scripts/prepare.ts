/**
 * The `prepare` script (`npm install`, `npm ci`): builds the web page (`web/dist/`, served at `/`)
 * and the server bundle (`dist/server/`, see scripts/server.vite.config.ts) with Vite. An install
 * without dev dependencies has no Vite; that install must still succeed, so it only says so:
 * Switchboard then runs from its sources and serves a page explaining how to build the web page.
 */
import { fileURLToPath } from "node:url"

const vite = await import("vite").catch(() => undefined)
if (vite === undefined) {
  console.warn("[switchboard] web page and server bundle not built: Vite is not installed (dev dependencies omitted); run `npm run build` after `npm install`")
} else {
  // The server's config runs twice: the server, then its recording thread (`--mode worker`).
  for (const [config, mode] of [["../web/vite.config.ts", undefined], ["./server.vite.config.ts", undefined], ["./server.vite.config.ts", "worker"]] as const) {
    await vite.build({ configFile: fileURLToPath(new URL(config, import.meta.url)), logLevel: "warn", ...(mode === undefined ? {} : { mode }) })
  }
}
