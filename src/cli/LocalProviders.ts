/**
 * The provider operations on remote.json and the secret store directly, for when no server runs:
 * `ProviderCatalog` does the work, exactly as the admin API would. There are no live states, so a
 * provider shows as `not running` (or `disabled`), with its manual models only; `test` runs one
 * model discovery in this process with the saved settings and secrets.
 */
import { Effect, Layer } from "effect"
import { type ConfigError, ConfigStore } from "../config/ConfigStore.ts"
import { ProviderCatalog, UnknownProvider } from "../config/ProviderCatalog.ts"
import { baseUrl, type ProviderConfig } from "../config/RemoteConfig.ts"
import * as Gateway from "../Gateway.ts"
import { discoverModels } from "../providers/ModelDiscovery.ts"
import { resolveAuth } from "../providers/UpstreamAuth.ts"
import { SecretStore, statusOf } from "../secrets/SecretStore.ts"
import { CliFailure } from "./Operation.ts"
import type { ProviderBackend, ProviderRow, TestOutcome } from "./ProviderBackend.ts"

/** A catalog or config failure as the line the user sees; a broken file is named by its path. */
export const toFailure = (error: { readonly message: string } | ConfigError) =>
  new CliFailure({ message: "_tag" in error && error._tag === "ConfigError" ? `${error.path}: ${error.message}` : error.message })

const row = (entry: ProviderConfig): ProviderRow => ({
  id: entry.id,
  name: entry.name,
  state: entry.enabled ? "not running" : "disabled",
  error: null,
  models: entry.models ?? [],
  baseUrl: baseUrl(entry)
})

export const localBackend = (url: string) =>
  Effect.gen(function*() {
    const catalog = yield* ProviderCatalog
    const store = yield* ConfigStore
    const secrets = yield* SecretStore

    const entryFor = (id: string) =>
      Effect.flatMap(store.load, (config) => {
        const entry = config.providers.find((p) => p.id === id)
        return entry === undefined ? Effect.fail(new UnknownProvider({ id })) : Effect.succeed(entry)
      }).pipe(Effect.mapError(toFailure))

    const test = (id: string) =>
      Effect.gen(function*() {
        const entry = yield* entryFor(id)
        if (!entry.enabled) return yield* new CliFailure({ message: `provider ${id} is disabled: enable it first` })
        return yield* resolveAuth(entry).pipe(
          Effect.flatMap((auth) => discoverModels(entry, auth)),
          Effect.match({
            onSuccess: (models): TestOutcome => ({ ok: true, models }),
            onFailure: (error): TestOutcome => ({ ok: false, error: error.message })
          }),
          Effect.provide(Layer.merge(Gateway.layerUpstreamClient, Layer.succeed(SecretStore, secrets)))
        )
      })

    return {
      running: false,
      url,
      list: Effect.map(store.inspect, (report) => report.config.providers.map(row)),
      configNotes: Effect.map(store.inspect, (report) => ({ path: store.path, error: report.error?.message ?? null, warnings: report.warnings })),
      headersOf: (id) => Effect.map(entryFor(id), (entry) => ({ headers: entry.headers, secretHeaders: entry.secretHeaders })),
      add: (input) => Effect.map(catalog.add(input), (entry) => entry.id).pipe(Effect.mapError(toFailure)),
      edit: (id, edit) => Effect.asVoid(catalog.edit(id, edit)).pipe(Effect.mapError(toFailure)),
      setEnabled: (id, enabled) => Effect.asVoid(enabled ? catalog.enable(id) : catalog.disable(id)).pipe(Effect.mapError(toFailure)),
      remove: (id) => catalog.remove(id).pipe(Effect.mapError(toFailure)),
      test,
      secretStore: Effect.succeed(statusOf(secrets))
    } satisfies ProviderBackend
  })
