/**
 * Switchboard with its pass-through fast lane turned off (`Gateway.layer({ fastLane: false })`):
 * every request through the Effect HttpServer → HttpRouter → HttpClient path, as before the fast
 * lane existed. Run by the bench as the `switchboard-effect` target, so the measured reason for
 * the fast lane (docs/performance.md) can be re-measured on any machine.
 *
 * Usage: switchboard-effect-path.ts <port>, with SWITCHBOARD_HOME and SWITCHBOARD_SECRETS=env.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import * as Gateway from "../src/Gateway.ts"
import * as SecretStoreLive from "../src/secrets/SecretStoreLive.ts"

const port = Number(process.argv[2])
const home = process.env["SWITCHBOARD_HOME"]
if (!Number.isInteger(port) || home === undefined) throw new Error("usage: SWITCHBOARD_HOME=… switchboard-effect-path.ts <port>")

Layer.launch(Gateway.layer({ host: "127.0.0.1", port, home, fastLane: false }).pipe(Layer.provide(SecretStoreLive.layer))).pipe(
  NodeRuntime.runMain
)
