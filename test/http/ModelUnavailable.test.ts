/**
 * The error for `<providerId>/<model>` when the provider exists but does not serve it now: one
 * row per provider state, each naming the provider and what to do.
 */
import { describe, expect, it } from "vitest"
import type { ProviderId } from "../../src/config/RemoteConfig.ts"
import { modelUnavailable } from "../../src/http/ModelUnavailable.ts"
import type { ProviderStatus } from "../../src/providers/Providers.ts"
import { ProviderState } from "../../src/providers/ProviderState.ts"

const provider = (state: ProviderState): ProviderStatus => ({
  id: "alpha" as ProviderId,
  name: "Alpha",
  format: "openai",
  baseUrl: "http://alpha.test/v1",
  builtIn: false,
  state
})

describe("modelUnavailable", () => {
  it.each([
    [ProviderState.Disabled(), 404, "provider_disabled", /provider alpha \(Alpha\) is disabled\. Enable it \(`switchboard providers enable alpha`/, undefined],
    [ProviderState.Disconnected(), 404, "provider_disconnected", /provider alpha \(Alpha\) is disconnected\. Reconnect it/, undefined],
    [ProviderState.Connecting({ attempt: 2 }), 503, "provider_unavailable", /provider alpha \(Alpha\) is connecting \(attempt 2\)\. Try again/, "1"],
    [ProviderState.Error({ reason: "cannot reach alpha.test: connection refused", retrying: true, attempt: 3, at: 0 }), 503, "provider_unavailable", /is in error: cannot reach alpha\.test: connection refused \(it retries on its own\)/, "5"],
    [ProviderState.Error({ reason: "401 Unauthorized from alpha.test", retrying: false, attempt: 1, at: 0 }), 404, "provider_error", /is in error: 401 Unauthorized from alpha\.test$/, undefined],
    [ProviderState.Connected({ models: ["m1"], at: 0 }), 404, "model_not_found", /provider alpha \(Alpha\) does not serve `gpt-x`/, undefined]
  ])("%o → %i %s", (state, status, code, message, retryAfter) => {
    const error = modelUnavailable("alpha/gpt-x", provider(state))
    expect(error.status).toBe(status)
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
    expect(error.headers?.["retry-after"]).toBe(retryAfter)
  })
})
