/**
 * Builds the web page into `web/dist/`, which Switchboard serves at `/` (src/web/WebRoutes.ts).
 * Run by `npm install` (the `prepare` script) and `npm run build:web`; nothing is fetched at run
 * time, so the page works without internet.
 */
import preact from "@preact/preset-vite"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The page's CSP forbids inline scripts; the polyfill is not needed by the browsers we target.
    modulePreload: { polyfill: false },
    // Tiny assets would otherwise be inlined as data: URLs, which the CSP does not allow.
    assetsInlineLimit: 0
  }
})
