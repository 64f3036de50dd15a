/**
 * The `switchboard` command line: `serve`, `providers remove`, and `secrets set|delete` to manage
 * provider secrets in the keychain (read from stdin or a hidden prompt — never from a flag, where
 * they would land in the shell history and the process list).
 */
import { Config, Console, Effect, Layer, Option, Redacted } from "effect"
import { Argument, Command, Flag, Prompt } from "effect/cli"
import { resolveHome } from "../config/ConfigStore.ts"
import { ProviderCatalog } from "../config/ProviderCatalog.ts"
import * as Gateway from "../Gateway.ts"
import { apiKey, header, SecretStore, type SecretName } from "../secrets/SecretStore.ts"
import * as SecretStoreLive from "../secrets/SecretStoreLive.ts"

const host = Flag.String("host").pipe(
  Flag.withDescription("Address to listen on (env SWITCHBOARD_HOST)"),
  Flag.withFallbackConfig(Config.String("SWITCHBOARD_HOST")),
  Flag.withDefault("127.0.0.1")
)
const port = Flag.Int("port").pipe(
  Flag.withDescription("Port to listen on (env SWITCHBOARD_PORT)"),
  Flag.withFallbackConfig(Config.Int("SWITCHBOARD_PORT")),
  Flag.withDefault(1337)
)

const home = Effect.sync(() => resolveHome(process.env))

/**
 * Runs a one-shot command against remote.json and the chosen secret store. A failure the user can
 * act on (unknown provider, broken config, unreachable keychain) prints one sentence and exits 1,
 * without a stack trace.
 */
const operation = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(home, (dir) =>
    effect.pipe(
      Effect.provide(Gateway.layerConfig({ home: dir }).pipe(Layer.provideMerge(SecretStoreLive.layer))),
      Effect.catch((error) =>
        Effect.andThen(Console.error(`switchboard: ${error.message}`), Effect.sync(() => void (process.exitCode = 1)))
      )
    ))

const serve = Command.make("serve", { host, port }, ({ host, port }) =>
  Effect.gen(function*() {
    const dir = yield* home
    return yield* Layer.launch(Gateway.layer({ host, port, home: dir }).pipe(Layer.provide(SecretStoreLive.layer)))
  })).pipe(Command.withDescription("Run the gateway"))

const providerId = Argument.String("provider-id").pipe(Argument.withDescription("The provider's id (its model prefix)"))
const headerName = Flag.String("header").pipe(
  Flag.withDescription("Set the value of this secret header instead of the API key"),
  Flag.optional
)

const secretName = (name: Option.Option<string>): SecretName => Option.isSome(name) ? header(name.value) : apiKey
const describe = (id: string, name: SecretName) => name._tag === "ApiKey" ? `the API key of ${id}` : `secret header ${name.name} of ${id}`

/** Stdin when piped (scripts, CI), a hidden prompt on a terminal. */
const readSecret = (what: string) =>
  process.stdin.isTTY
    ? Prompt.run(Prompt.Hidden({ message: `Value for ${what}` }))
    : Effect.promise(async () => {
      let text = ""
      for await (const chunk of process.stdin) text += String(chunk)
      return Redacted.make(text.replace(/\r?\n$/, ""))
    })

const secretsSet = Command.make("set", { providerId, header: headerName }, ({ providerId, header }) =>
  operation(Effect.gen(function*() {
    const name = secretName(header)
    const value = yield* readSecret(describe(providerId, name))
    if (Redacted.value(value) === "") return yield* Effect.fail({ message: "empty value: nothing stored" })
    const store = yield* SecretStore
    yield* store.set(providerId, name, value)
    yield* Console.log(`stored ${describe(providerId, name)} in ${store.backend}`)
  }))).pipe(
    Command.withDescription("Store a provider's API key (or a secret header value), read from stdin or a hidden prompt")
  )

const secretsDelete = Command.make("delete", { providerId, header: headerName }, ({ providerId, header }) =>
  operation(Effect.gen(function*() {
    const name = secretName(header)
    const store = yield* SecretStore
    yield* store.delete(providerId, name)
    yield* Console.log(`deleted ${describe(providerId, name)} from ${store.backend}`)
  }))).pipe(Command.withDescription("Delete a provider's API key or secret header value"))

const providersRemove = Command.make("remove", { providerId }, ({ providerId }) =>
  operation(Effect.gen(function*() {
    const catalog = yield* ProviderCatalog
    yield* catalog.remove(providerId)
    yield* Console.log(`removed provider ${providerId} and its secrets`)
  }))).pipe(
    Command.withDescription("Remove a provider from remote.json and delete its secrets from the keychain")
  )

const providers = Command.make("providers").pipe(
  Command.withDescription("Manage remote providers"),
  Command.withSubcommands([providersRemove])
)

const secrets = Command.make("secrets").pipe(
  Command.withDescription("Manage provider secrets in the OS keychain"),
  Command.withSubcommands([secretsSet, secretsDelete])
)

export const switchboard = Command.make("switchboard").pipe(
  Command.withDescription("A local LLM gateway: one URL for every model"),
  Command.withSubcommands([serve, providers, secrets])
)

export const run = Command.run(switchboard, { version: "0.1.0" })
