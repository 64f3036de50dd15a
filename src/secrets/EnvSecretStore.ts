/**
 * Secrets from environment variables, for machines without a keychain (a headless Linux server
 * with no Secret Service), chosen explicitly with `SWITCHBOARD_SECRETS=env` — never a silent
 * fallback. Read-only: the values belong to whoever starts the process.
 *
 * - API key of provider `<id>`: `SWITCHBOARD_KEY_<ID>`
 * - secret header `<Name>` of provider `<id>`: `SWITCHBOARD_HEADER_<ID>_<NAME>`
 *
 * upper-cased, every character other than A–Z and 0–9 replaced by `_` (`Settings.providerKey`,
 * `Settings.providerHeader`). They are read through the `ConfigProvider` at hand when the layer is
 * built: the environment, or the one a test gives.
 */
import { ConfigProvider, Effect, Layer, Option } from "effect"
import * as Settings from "../config/Settings.ts"
import { SecretStore, SecretStoreError, type SecretName } from "./SecretStore.ts"

/** The variable that holds a secret, e.g. `SWITCHBOARD_KEY_MY_PROVIDER`. */
export const variableFor = (providerId: string, name: SecretName): string =>
  name._tag === "ApiKey" ? Settings.providerKey.name(providerId) : Settings.providerHeader.name(providerId, name.name)

const configFor = (providerId: string, name: SecretName) =>
  name._tag === "ApiKey" ? Settings.providerKey.config(providerId) : Settings.providerHeader.config(providerId, name.name)

const BACKEND = "environment variables (SWITCHBOARD_SECRETS=env)"

const NOTICE = "Secrets come from environment variables set where Switchboard starts (SWITCHBOARD_KEY_<ID>, " +
  "SWITCHBOARD_HEADER_<ID>_<NAME>): they cannot be stored from here."

export const layer = Layer.effect(SecretStore, Effect.gen(function*() {
  const provider = yield* ConfigProvider.ConfigProvider
  const read = (providerId: string, name: SecretName) =>
    configFor(providerId, name).parse(provider).pipe(
      // Never the value: a variable that cannot be read is named, nothing more.
      Effect.mapError(() => new SecretStoreError({ backend: BACKEND, message: `cannot read ${variableFor(providerId, name)}` }))
    )
  return SecretStore.of({
    kind: "env",
    backend: BACKEND,
    unavailable: null,
    notice: NOTICE,
    writable: false,
    howToSet: (providerId, name) => `set ${variableFor(providerId, name)} where Switchboard starts`,
    get: read,
    set: (providerId, name) =>
      Effect.fail(new SecretStoreError({
        backend: BACKEND,
        message: `secrets come from the environment here: set ${variableFor(providerId, name)} where Switchboard starts`
      })),
    // Nothing to delete is success (removing a provider removes whatever secrets it has).
    delete: (providerId, name) =>
      Effect.flatMap(read(providerId, name), (value) =>
        Option.isNone(value)
          ? Effect.void
          : Effect.fail(new SecretStoreError({
            backend: BACKEND,
            message: `secrets come from the environment here: unset ${variableFor(providerId, name)} where Switchboard starts`
          })))
  })
}))
