/**
 * The secret store a user chose: `SWITCHBOARD_SECRETS=keychain` (the default) or `env`.
 * Anything else is a start-up error, never a guess.
 */
import { Effect, Layer } from "effect"
import * as Settings from "../config/Settings.ts"
import * as EnvSecretStore from "./EnvSecretStore.ts"
import * as KeychainSecretStore from "./KeychainSecretStore.ts"

export const SecretsBackend = Settings.secrets.config

export const layer = Layer.unwrap(
  Effect.map(SecretsBackend, (backend) => backend === "env" ? EnvSecretStore.layer : KeychainSecretStore.layer)
)
