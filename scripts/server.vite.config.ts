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
 * The usage ledger's recording thread (src/usage/RecordingWorker.ts, a `worker_threads` worker) is
 * a bundle of its own beside it, `dist/server/recording-worker.mjs`, built by a second run of this
 * config (`--mode worker`): a worker is started from a file, and one file each keeps both
 * self-contained (one build with two entries would split their shared code into chunks).
 *
 * The bundle sits two folders deep, like the sources (`src/web/`), so paths a module resolves
 * from its own location (`../../web/dist/` in src/web/WebRoutes.ts) stay right in both.
 */
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

export default defineConfig(({ mode }) => {
  const worker = mode === "worker"
  return {
    root: fileURLToPath(new URL("..", import.meta.url)),
    logLevel: "warn",
    build: {
      ssr: worker ? "src/usage/RecordingWorker.ts" : "src/bin.ts",
      outDir: "dist/server",
      // The server's run empties the folder; the worker's, after it, adds its file.
      emptyOutDir: !worker,
      target: "node22",
      minify: false,
      sourcemap: true,
      rollupOptions: { output: { format: "esm", entryFileNames: worker ? "recording-worker.mjs" : "switchboard.mjs" } }
    },
    ssr: { noExternal: true, external: ["@napi-rs/keyring", "node-llama-cpp", "undici"] }
  }
})
