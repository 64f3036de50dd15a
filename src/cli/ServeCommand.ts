/** `switchboard serve`: the gateway, until interrupted. */
import { Effect, Layer, Logger } from "effect"
import { Command, Flag } from "effect/cli"
import * as Settings from "../config/Settings.ts"
import * as Gateway from "../Gateway.ts"
import * as SecretStoreLive from "../secrets/SecretStoreLive.ts"
import { checkListen, listenProblem } from "./ListenCheck.ts"
import { CliFailure, home, reportFailure } from "./Operation.ts"

// A flag wins over its environment variable, which wins over the default (src/config/Settings.ts).
const host = Flag.String("host").pipe(
  Flag.withDescription(
    "Address to listen on (env SWITCHBOARD_HOST). Any but a loopback one (e.g. 0.0.0.0) makes every request but GET /health " +
      "need a gateway key: see `switchboard keys`"
  ),
  Flag.withFallbackConfig(Settings.host.config)
)
const port = Flag.Int("port").pipe(
  Flag.withDescription("Port to listen on (env SWITCHBOARD_PORT)"),
  Flag.withFallbackConfig(Settings.port.config)
)

// JSON lines are for log collectors (one object per line: message, level, timestamp, annotations);
// Effect's own JSON logger, so the shape is the one Effect documents.
const logFormat = Flag.Literals("log-format", ["text", "json"]).pipe(
  Flag.withDescription("Log lines as text or as JSON objects, one per line (env SWITCHBOARD_LOG_FORMAT)"),
  Flag.withFallbackConfig(Settings.logFormat.config)
)

/** A `listen` failure of the server itself (the port taken between the check and the server's own bind). */
const serveFailure = (error: { readonly cause: unknown }, host: string, port: number) => {
  const cause = error.cause instanceof Error ? error.cause as NodeJS.ErrnoException : new Error(String(error.cause))
  return new CliFailure({ message: listenProblem(cause, host, port) })
}

export const ServeCommand = Command.make("serve", { host, port, logFormat }, ({ host, port, logFormat }) =>
  reportFailure(Effect.gen(function*() {
    // Before anything is built: a port in use is one line, not a stack trace after the providers started.
    yield* checkListen(host, port)
    const dir = yield* home
    // The pass-through fast lane (`src/http/FastLane.ts`) is on unless turned off, to tell the
    // two lanes apart when chasing a problem.
    const fastLane = yield* Settings.fastLane.config
    const maxBodyBytes = yield* Settings.maxBodyBytes.config
    // `SWITCHBOARD_LEDGER=false`: no ledger at all (else the default: the database's).
    const ledger = (yield* Settings.ledger.config) ? undefined : false
    const gateway = Gateway.layer({ host, port, home: dir, fastLane, maxBodyBytes, ledger }).pipe(Layer.provide(SecretStoreLive.layer))
    return yield* Layer.launch(logFormat === "json" ? gateway.pipe(Layer.provide(Logger.layer([Logger.consoleJson]))) : gateway).pipe(
      Effect.catchTag("ServeError", (error) => Effect.fail(serveFailure(error, host, port)))
    )
  }))).pipe(Command.withDescription("Run the gateway"))
