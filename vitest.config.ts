import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The fault suite has its own config and command (vitest.faults.config.ts, `npm run test:faults`).
    exclude: [...configDefaults.exclude, "test/faults/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // A passing test prints nothing: server logs (in-process gateways, the local engines) and
    // expected warnings are shown only for the tests that fail, where they explain the failure.
    silent: "passed-only"
  }
})
