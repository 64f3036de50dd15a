/**
 * The secret store a user chose: `SWITCHBOARD_SECRETS=keychain` (the default), `env` or `file`.
 * Anything else is a start-up error, never a guess.
 */
import { Effect, Layer } from "effect"
import * as Settings from "../config/Settings.ts"
import * as EnvSecretStore from "./EnvSecretStore.ts"
import * as FileSecretStore from "./FileSecretStore.ts"
import * as KeychainSecretStore from "./KeychainSecretStore.ts"

export const SecretsBackend = Settings.secrets.config

const layers = {
  keychain: KeychainSecretStore.layer,
  env: EnvSecretStore.layer,
  file: FileSecretStore.layer
} as const

export const layer = Layer.unwrap(Effect.map(SecretsBackend, (backend) => layers[backend]))
