/** Process entry point: wiring only. */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { run } from "./cli/Cli.ts"

run.pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
