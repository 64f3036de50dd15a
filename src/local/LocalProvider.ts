/**
 * The local models as one provider, `local` ("Local"), beside the remote ones: in the provider
 * list and status endpoints, in the routing table (`local/<model>`), on `/v1/models` grouped
 * under "Local". It exists only while `LocalModels` is active (an engine runs and there is a
 * models folder or configured paths); a gateway without either shows no `local` provider.
 */
import { Redacted } from "effect"
import type { ProviderId } from "../config/RemoteConfig.ts"
import { ProviderState } from "../providers/ProviderState.ts"
import type { UpstreamAuth } from "../providers/UpstreamAuth.ts"
import type { RoutableProvider, RouteFormat } from "../router/RoutingTable.ts"
import type { LocalStatus } from "./LocalModels.ts"

/** Reserved: a remote provider configured with this id is shadowed by the local models. */
export const LOCAL_PROVIDER_ID = "local" as ProviderId
export const LOCAL_PROVIDER_NAME = "Local"

/** Local models need no credentials. */
const noAuth: UpstreamAuth = { headers: Redacted.make({}), secrets: Redacted.make([]) }

/** The provider status of the local models, or undefined while they are inactive. */
export const localProviderStatus = (status: LocalStatus): {
  readonly id: ProviderId
  readonly name: string
  readonly format: RouteFormat
  readonly baseUrl: string
  readonly state: ProviderState
} | undefined =>
  status.active
    ? {
      id: LOCAL_PROVIDER_ID,
      name: LOCAL_PROVIDER_NAME,
      format: "local",
      baseUrl: `local:${status.engines.join("+")}`,
      state: ProviderState.Connected({ models: status.models.map((model) => model.id), at: status.since })
    }
    : undefined

/** The local models as the routing table takes a provider. */
export const localRoutable = (models: ReadonlyArray<string>): RoutableProvider => ({
  id: LOCAL_PROVIDER_ID,
  name: LOCAL_PROVIDER_NAME,
  format: "local",
  baseUrl: "local:",
  host: "local",
  // Not used on the local path: queueing and generation bound themselves.
  timeoutSeconds: 600,
  auth: noAuth,
  models
})
