/** `switchboard serve`: the gateway, until interrupted. */
import { Config, Effect, Layer, Logger } from "effect"
import { Command, Flag } from "effect/cli"
import * as Gateway from "../Gateway.ts"
import { DEFAULT_MAX_BODY_BYTES } from "../http/BodyReader.ts"
import * as SecretStoreLive from "../secrets/SecretStoreLive.ts"
import { home } from "./Operation.ts"

const host = Flag.String("host").pipe(
  Flag.withDescription(
    "Address to listen on (env SWITCHBOARD_HOST). Any but a loopback one (e.g. 0.0.0.0) makes every request but GET /health " +
      "need a gateway key: see `switchboard keys`"
  ),
  Flag.withFallbackConfig(Config.String("SWITCHBOARD_HOST")),
  Flag.withDefault("127.0.0.1")
)
const port = Flag.Int("port").pipe(
  Flag.withDescription("Port to listen on (env SWITCHBOARD_PORT)"),
  Flag.withFallbackConfig(Config.Int("SWITCHBOARD_PORT")),
  Flag.withDefault(1337)
)

// JSON lines are for log collectors (one object per line: message, level, timestamp, annotations);
// Effect's own JSON logger, so the shape is the one Effect documents.
const logFormat = Flag.Literals("log-format", ["text", "json"]).pipe(
  Flag.withDescription("Log lines as text or as JSON objects, one per line (env SWITCHBOARD_LOG_FORMAT)"),
  Flag.withFallbackConfig(Config.Literals(["text", "json"], "SWITCHBOARD_LOG_FORMAT")),
  Flag.withDefault("text" as const)
)

/**
 * The pass-through fast lane (`src/http/FastLane.ts`) is on by default; `SWITCHBOARD_FAST_LANE=false`
 * sends every request through the Effect app, to tell the two apart when chasing a problem.
 */
const FastLane = Config.Boolean("SWITCHBOARD_FAST_LANE").pipe(Config.withDefault(true))

/** The largest request body accepted (413 past it); `SWITCHBOARD_MAX_BODY_BYTES`, default 32 MiB. */
const MaxBodyBytes = Config.Int("SWITCHBOARD_MAX_BODY_BYTES").pipe(Config.withDefault(DEFAULT_MAX_BODY_BYTES))

export const ServeCommand = Command.make("serve", { host, port, logFormat }, ({ host, port, logFormat }) =>
  Effect.gen(function*() {
    const dir = yield* home
    const fastLane = yield* FastLane
    const maxBodyBytes = yield* MaxBodyBytes
    const gateway = Gateway.layer({ host, port, home: dir, fastLane, maxBodyBytes }).pipe(Layer.provide(SecretStoreLive.layer))
    return yield* Layer.launch(logFormat === "json" ? gateway.pipe(Layer.provide(Logger.layer([Logger.consoleJson]))) : gateway)
  })).pipe(Command.withDescription("Run the gateway"))
