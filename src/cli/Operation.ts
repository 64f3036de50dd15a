/**
 * What every one-shot command shares: the configuration folder, the config + secret store layer,
 * and the rule that a failure the user can act on (unknown provider, broken config, unreachable
 * keychain or server) prints one line `switchboard: …` and exits 1, without a stack trace.
 */
import { Console, Effect, Layer, Schema } from "effect"
import * as Settings from "../config/Settings.ts"
import * as Gateway from "../Gateway.ts"
import * as SecretStoreLive from "../secrets/SecretStoreLive.ts"

/** An expected failure of a command, already phrased for the user. */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String
}) {}

/** `$SWITCHBOARD_HOME`, or `~/.switchboard`. */
export const home = Settings.home.config

/** Prints `switchboard: <message>` on stderr and sets exit code 1 for any failure of `effect`. */
export const reportFailure = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catch(effect, (error) =>
    Effect.andThen(Console.error(`switchboard: ${forTheCommandLine(error.message)}`), Effect.sync(() => void (process.exitCode = 1))))

/** Catalog and admin messages name the API's field; on the command line the flag is what to type. */
const forTheCommandLine = (message: string) => message.replace(`set "confirmKeepSecrets": true`, "pass --confirm-keep-secrets")

/**
 * Runs a one-shot command with remote.json, `ProviderCatalog` and the chosen secret store at
 * hand, reporting failures with `reportFailure`. The layers only open files when used, so a
 * command that ends up talking to a running server pays nothing for them.
 */
export const operation = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(home, (dir) =>
    reportFailure(effect.pipe(
      Effect.provide(Gateway.layerConfig({ home: dir }).pipe(Layer.provideMerge(SecretStoreLive.layer)))
    )))
