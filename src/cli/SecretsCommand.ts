/**
 * `switchboard secrets set|delete`: a provider's API key or secret header value in the chosen
 * secret store, read from stdin or a hidden prompt (see `SecretInput`).
 */
import { Console, Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ConfigStore } from "../config/ConfigStore.ts"
import { apiKey, header, SecretStore, type SecretName } from "../secrets/SecretStore.ts"
import { CliFailure, operation } from "./Operation.ts"
import { readSecret } from "./SecretInput.ts"

const providerId = Argument.String("provider-id").pipe(Argument.withDescription("The provider's id (its model prefix)"))
const headerName = Flag.String("header").pipe(
  Flag.withDescription("Set the value of this secret header instead of the API key"),
  Flag.optional
)

const secretName = (name: Option.Option<string>): SecretName => Option.isSome(name) ? header(name.value) : apiKey
const describe = (id: string, name: SecretName) => name._tag === "ApiKey" ? `the API key of ${id}` : `secret header ${name.name} of ${id}`

const set = Command.make("set", { providerId, header: headerName }, ({ providerId, header }) =>
  operation(Effect.gen(function*() {
    const name = secretName(header)
    const value = yield* readSecret(describe(providerId, name))
    if (Redacted.value(value) === "") return yield* new CliFailure({ message: "empty value: nothing stored" })
    const store = yield* SecretStore
    yield* store.set(providerId, name, value)
    yield* Console.log(`stored ${describe(providerId, name)} in ${store.backend}`)
  }))).pipe(
    Command.withDescription("Store a provider's API key (or a secret header value), read from stdin or a hidden prompt")
  )

const remove = Command.make("delete", { providerId, header: headerName }, ({ providerId, header }) =>
  operation(Effect.gen(function*() {
    const name = secretName(header)
    const store = yield* SecretStore
    // A typo in the id must not look like success: a provider neither configured nor holding
    // this secret is an error. (A broken remote.json still lets a stored secret be deleted.)
    const configured = yield* Effect.map((yield* ConfigStore).load, (config) => config.providers.some((p) => p.id === providerId)).pipe(
      Effect.orElseSucceed(() => false)
    )
    if (!configured && Option.isNone(yield* store.get(providerId, name))) {
      return yield* new CliFailure({
        message: `unknown provider ${providerId}: it is not in remote.json and ${describe(providerId, name)} is not stored ` +
          "(`switchboard providers list` shows the providers)"
      })
    }
    yield* store.delete(providerId, name)
    yield* Console.log(`deleted ${describe(providerId, name)} from ${store.backend}`)
  }))).pipe(Command.withDescription("Delete a provider's API key or secret header value"))

export const SecretsCommand = Command.make("secrets").pipe(
  Command.withDescription("Manage provider secrets in the chosen secret store (SWITCHBOARD_SECRETS: keychain, env or file)"),
  Command.withSubcommands([set, remove])
)
