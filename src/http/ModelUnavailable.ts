/**
 * Why a qualified model (`<providerId>/<model>`) is not served, when its provider exists: the
 * error names the provider and what it is doing, so the caller knows whether to wait, fix or
 * enable something — not just "does not exist". A pure function of the provider's status.
 */
import type { ProviderStatus } from "../providers/Providers.ts"
import type { GatewayError } from "./GatewayError.ts"

export const modelUnavailable = (model: string, provider: ProviderStatus): GatewayError => {
  const who = `provider ${provider.id} (${provider.name})`
  const state = provider.state
  switch (state._tag) {
    case "Disabled":
      return {
        status: 404,
        kind: "not_found",
        message: `The model \`${model}\` is not served: ${who} is disabled. Enable it (\`switchboard providers enable ${provider.id}\`, or on the page) to use its models.`,
        param: "model",
        code: "provider_disabled"
      }
    case "Disconnected":
      return {
        status: 404,
        kind: "not_found",
        message: `The model \`${model}\` is not served: ${who} is disconnected. Reconnect it (\`POST /admin/providers/${provider.id}/reconnect\`, or on the page) to use its models.`,
        param: "model",
        code: "provider_disconnected"
      }
    case "Connecting":
      return {
        status: 503,
        kind: "overloaded",
        message: `The model \`${model}\` is not served yet: ${who} is connecting (attempt ${state.attempt}). Try again in a moment.`,
        code: "provider_unavailable",
        headers: { "retry-after": "1" }
      }
    case "Error":
      // Retrying: it may come back by itself (503, try later). Not retrying (a refused key): it
      // waits for the user, like a disabled provider — a 503 would only make SDKs retry in vain.
      return state.retrying
        ? {
          status: 503,
          kind: "overloaded",
          message: `The model \`${model}\` is not served: ${who} is in error: ${state.reason} (it retries on its own)`,
          code: "provider_unavailable",
          headers: { "retry-after": "5" }
        }
        : {
          status: 404,
          kind: "not_found",
          message: `The model \`${model}\` is not served: ${who} is in error: ${state.reason}`,
          param: "model",
          code: "provider_error"
        }
    case "Connected":
      return {
        status: 404,
        kind: "not_found",
        message: `The model \`${model}\` does not exist: ${who} does not serve \`${model.slice(provider.id.length + 1)}\`. GET /v1/models lists the models available.`,
        param: "model",
        code: "model_not_found"
      }
  }
}
