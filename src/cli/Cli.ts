/**
 * The `switchboard` command line: `serve`, `providers …`, `models`, `secrets …`, `keys …` and `usage …`, one module per
 * command group. Secrets are read from stdin or a hidden prompt — never from a flag, where they
 * would land in the shell history and the process list.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import * as HelpOutput from "./HelpOutput.ts"
import { KeysCommand } from "./KeysCommand.ts"
import { ModelsCommand } from "./ModelsCommand.ts"
import { ProvidersCommand } from "./ProvidersCommand.ts"
import { SecretsCommand } from "./SecretsCommand.ts"
import { ServeCommand } from "./ServeCommand.ts"
import { UsageCommand } from "./UsageCommand.ts"

export const switchboard = Command.make("switchboard").pipe(
  Command.withDescription("A local LLM gateway: one URL for every model"),
  Command.withSubcommands([ServeCommand, ProvidersCommand, ModelsCommand, SecretsCommand, KeysCommand, UsageCommand])
)

export const run = Command.run(switchboard, { version: "0.1.0" }).pipe(Effect.provide(HelpOutput.layer))
