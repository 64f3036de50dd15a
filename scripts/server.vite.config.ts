/**
 * Bundles the server and CLI (`src/bin.ts` with Effect and the other pure-JS dependencies) into
 * one file, `dist/server/switchboard.mjs`, which bin/switchboard.js runs while it is newer than
 * every source file. Why: loading ~150 TypeScript modules plus Effect's own modules one by one
 * took most of the start-up time (≈ 430 ms to import `src/bin.ts`, ≈ 110 ms for the bundle, both
 * with Node's compile cache warm; docs/performance.md).
 *
 * Kept outside the bundle: packages with native code or that are found at run time
 * (`@napi-rs/keyring`, `node-llama-cpp`), and undici (a dependency the fast lane shares with
 * Effect's client; bundling it twice would gain nothing).
 *
 * The bundle sits two folders deep, like the sources (`src/web/`), so paths a module resolves
 * from its own location (`../../web/dist/` in src/web/WebRoutes.ts) stay right in both.
 */
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  logLevel: "warn",
  build: {
    ssr: "src/bin.ts",
    outDir: "dist/server",
    emptyOutDir: true,
    target: "node22",
    minify: false,
    sourcemap: true,
    rollupOptions: { output: { format: "esm", entryFileNames: "switchboard.mjs" } }
  },
  ssr: { noExternal: true, external: ["@napi-rs/keyring", "node-llama-cpp", "undici"] }
})
