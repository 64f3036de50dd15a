/**
 * The port for provider secrets: API keys and secret header values.
 *
 * Implementations (each in its own module): the OS keychain (`KeychainSecretStore.layer`),
 * environment variables (`EnvSecretStore.layer`, chosen explicitly with `SWITCHBOARD_SECRETS=env`)
 * and memory (`MemorySecretStore.layer`, for tests). Values are `Redacted` end to end so they
 * cannot leak through logs or `toString`.
 */
import { Context, Schema } from "effect"
import type { Effect, Option, Redacted } from "effect"

/** Which secret of a provider: its API key, or the value of one secret header. */
export type SecretName =
  | { readonly _tag: "ApiKey" }
  | { readonly _tag: "Header"; readonly name: string }

export const apiKey: SecretName = { _tag: "ApiKey" }
export const header = (name: string): SecretName => ({ _tag: "Header", name })

/** The keychain account for a secret: `<providerId>.apiKey` / `<providerId>.header.<Name>`. */
export const accountFor = (providerId: string, name: SecretName): string =>
  name._tag === "ApiKey" ? `${providerId}.apiKey` : `${providerId}.header.${name.name}`

/** A secret store could not be read or written. Never carries a secret value. */
export class SecretStoreError extends Schema.TaggedError<SecretStoreError>()("SecretStoreError", {
  message: Schema.String,
  /** The backend that failed, e.g. "OS keychain (Secret Service)". */
  backend: Schema.String
}) {}

export class SecretStore extends Context.Service<SecretStore, {
  /** Human-readable name of the backend, for start-up messages and status. */
  readonly backend: string
  /** Why the backend cannot be used right now (e.g. no Secret Service running), or null. */
  readonly unavailable: string | null
  readonly get: (providerId: string, name: SecretName) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, SecretStoreError>
  readonly set: (providerId: string, name: SecretName, value: Redacted.Redacted<string>) => Effect.Effect<void, SecretStoreError>
  /** Removes one secret; removing one that does not exist succeeds. */
  readonly delete: (providerId: string, name: SecretName) => Effect.Effect<void, SecretStoreError>
}>()("switchboard/SecretStore") {}
