/**
 * The port for provider secrets: API keys and secret header values.
 *
 * Implementations (each in its own module): the OS keychain (`KeychainSecretStore.layer`),
 * environment variables (`EnvSecretStore.layer`, chosen explicitly with `SWITCHBOARD_SECRETS=env`),
 * a file of its own (`FileSecretStore.layer`, `SWITCHBOARD_SECRETS=file`) and memory
 * (`MemorySecretStore.layer`, for tests). Values are `Redacted` end to end so they cannot leak
 * through logs or `toString`.
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

/** Which kind of store: the value of `SWITCHBOARD_SECRETS`, or `memory` (tests, embedding programs). */
export type SecretStoreKind = "keychain" | "env" | "file" | "memory"

export class SecretStore extends Context.Service<SecretStore, {
  readonly kind: SecretStoreKind
  /** Human-readable name of the backend, for start-up messages and status. */
  readonly backend: string
  /** Why the backend cannot be used right now (e.g. no Secret Service running), or null. */
  readonly unavailable: string | null
  /**
   * What a user of this store should know although it works, or null: where env-mode secrets come
   * from, that a file store holds plain text. Logged at start and shown on the page.
   */
  readonly notice: string | null
  /** Whether `set` can store a secret (the environment is read-only). */
  readonly writable: boolean
  /** What to do to give a provider this secret, e.g. "set SWITCHBOARD_KEY_OPENAI where Switchboard starts". */
  readonly howToSet: (providerId: string, name: SecretName) => string
  readonly get: (providerId: string, name: SecretName) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, SecretStoreError>
  readonly set: (providerId: string, name: SecretName, value: Redacted.Redacted<string>) => Effect.Effect<void, SecretStoreError>
  /** Removes one secret; removing one that does not exist succeeds. */
  readonly delete: (providerId: string, name: SecretName) => Effect.Effect<void, SecretStoreError>
}>()("switchboard/SecretStore") {}

/** The `switchboard secrets set` command line for a secret: the way to give one to a writable store. */
export const setCommand = (providerId: string, name: SecretName): string =>
  `run \`switchboard secrets set ${providerId}${name._tag === "Header" ? ` --header ${name.name}` : ""}\``

/** What a store tells its users (the admin API's `GET /admin/secrets`, the CLI): never a secret. */
export const statusOf = (store: SecretStore["Service"]) => ({
  kind: store.kind,
  backend: store.backend,
  writable: store.writable,
  problem: store.unavailable,
  notice: store.notice
})
