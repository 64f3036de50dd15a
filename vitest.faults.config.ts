import { defineConfig } from "vitest/config"

/**
 * The fault and abuse suite (`npm run test:faults`): bad input, upstream and client faults, soak,
 * crashes and secret leaks, against the real server. Kept out of `npm test` (it is slower and
 * starts many processes); CI runs both.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A passing test prints nothing: server logs (in-process gateways, the local engines) and
    // expected warnings are shown only for the tests that fail, where they explain the failure.
    silent: "passed-only"
  }
})
