/** `switchboard serve`: the gateway, until interrupted. */
import { Config, Effect, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import * as Gateway from "../Gateway.ts"
import * as SecretStoreLive from "../secrets/SecretStoreLive.ts"
import { home } from "./Operation.ts"

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

export const ServeCommand = Command.make("serve", { host, port }, ({ host, port }) =>
  Effect.gen(function*() {
    const dir = yield* home
    return yield* Layer.launch(Gateway.layer({ host, port, home: dir }).pipe(Layer.provide(SecretStoreLive.layer)))
  })).pipe(Command.withDescription("Run the gateway"))
