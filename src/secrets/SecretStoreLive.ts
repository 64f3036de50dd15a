/**
 * The secret store a user chose: `SWITCHBOARD_SECRETS=keychain` (the default) or `env`.
 * Anything else is a start-up error, never a guess.
 */
import { Config, Effect, Layer } from "effect"
import * as EnvSecretStore from "./EnvSecretStore.ts"
import * as KeychainSecretStore from "./KeychainSecretStore.ts"

export const SecretsBackend = Config.Literals(["keychain", "env"], "SWITCHBOARD_SECRETS").pipe(
  Config.withDefault("keychain" as const)
)

export const layer = Layer.unwrap(
  Effect.map(SecretsBackend, (backend) => backend === "env" ? EnvSecretStore.layer() : KeychainSecretStore.layer)
)
