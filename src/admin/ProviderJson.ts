/**
 * A provider as the admin API shows it (`Provider` in AdminApi.ts): its live status (the same
 * fields as `/v1/providers`), its settings, and for secrets only whether each one is stored —
 * never a value.
 */
import { Effect, Option } from "effect"
import { ProviderCatalog } from "../config/ProviderCatalog.ts"
import { baseUrl, type ProviderConfig } from "../config/RemoteConfig.ts"
import { providerStatusJson } from "../http/StatusRoutes.ts"
import { type ProviderStatus, Providers } from "../providers/Providers.ts"
import { ProviderState } from "../providers/ProviderState.ts"
import type { Provider, ProviderSettings } from "./AdminApi.ts"

/** The settings of an entry, every known field present (`null` for an absent port or model list). */
export const settingsJson = (entry: ProviderConfig): ProviderSettings => ({
  preset: entry.preset,
  protocol: entry.protocol,
  host: entry.host,
  port: entry.port ?? null,
  basePath: entry.basePath,
  format: entry.format,
  auth: entry.auth,
  enabled: entry.enabled,
  autoConnect: entry.autoConnect,
  timeoutSeconds: entry.timeoutSeconds,
  headers: entry.headers,
  secretHeaders: entry.secretHeaders,
  models: entry.models ?? null
})

/**
 * The supervisor has not seen this entry yet (the config was just written and is being applied):
 * say what it is about to do rather than leave the state out.
 */
const pendingStatus = (entry: ProviderConfig): ProviderStatus => ({
  id: entry.id,
  name: entry.name,
  format: entry.format,
  baseUrl: baseUrl(entry),
  builtIn: false,
  state: !entry.enabled ? ProviderState.Disabled() : entry.autoConnect ? ProviderState.Connecting({ attempt: 0 }) : ProviderState.Disconnected()
})

export const providerJson = (entry: ProviderConfig) =>
  Effect.gen(function*() {
    const catalog = yield* ProviderCatalog
    const providers = yield* Providers
    const status = yield* Effect.option(providers.get(entry.id))
    const secrets = yield* catalog.secretPresence(entry)
    return {
      ...providerStatusJson(Option.getOrElse(status, () => pendingStatus(entry))),
      settings: settingsJson(entry),
      apiKeySet: secrets.apiKey,
      secretHeaders: secrets.headers
    } satisfies Provider
  })
