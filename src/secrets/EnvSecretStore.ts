/**
 * Secrets from environment variables, for machines without a keychain (a headless Linux server
 * with no Secret Service), chosen explicitly with `SWITCHBOARD_SECRETS=env` — never a silent
 * fallback. Read-only: the values belong to whoever starts the process.
 *
 * - API key of provider `<id>`: `SWITCHBOARD_KEY_<ID>`
 * - secret header `<Name>` of provider `<id>`: `SWITCHBOARD_HEADER_<ID>_<NAME>`
 *
 * upper-cased, every character other than A–Z and 0–9 replaced by `_`.
 */
import { Effect, Layer, Option, Redacted } from "effect"
import { SecretStore, SecretStoreError, type SecretName } from "./SecretStore.ts"

const envName = (part: string) => part.toUpperCase().replace(/[^A-Z0-9]/g, "_")

/** The variable that holds a secret, e.g. `SWITCHBOARD_KEY_MY_PROVIDER`. */
export const variableFor = (providerId: string, name: SecretName): string =>
  name._tag === "ApiKey"
    ? `SWITCHBOARD_KEY_${envName(providerId)}`
    : `SWITCHBOARD_HEADER_${envName(providerId)}_${envName(name.name)}`

const BACKEND = "environment variables (SWITCHBOARD_SECRETS=env)"

export const layer = (env: Readonly<Record<string, string | undefined>> = process.env) =>
  Layer.succeed(SecretStore, SecretStore.of({
    backend: BACKEND,
    unavailable: null,
    get: (providerId, name) =>
      Effect.sync(() => {
        const value = env[variableFor(providerId, name)]
        return value === undefined || value === "" ? Option.none() : Option.some(Redacted.make(value))
      }),
    set: (providerId, name) =>
      Effect.fail(new SecretStoreError({
        backend: BACKEND,
        message: `secrets come from the environment here: set ${variableFor(providerId, name)} where Switchboard starts`
      })),
    // Nothing to delete is success (removing a provider removes whatever secrets it has).
    delete: (providerId, name) =>
      env[variableFor(providerId, name)] === undefined
        ? Effect.void
        : Effect.fail(new SecretStoreError({
          backend: BACKEND,
          message: `secrets come from the environment here: unset ${variableFor(providerId, name)} where Switchboard starts`
        }))
  }))
