/**
 * A child process for ConfigCrash.test.ts: `ConfigWriter.ts <home> loop` rewrites remote.json
 * through the real `ConfigStore` as fast as it can, each write a new generation (`faultCounter`,
 * and providers derived from it), printing each generation once it is written, until it is
 * killed. `ConfigWriter.ts <home> start` only builds the store (what every start of Switchboard
 * does) and exits.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import { ConfigStore } from "../../../src/config/ConfigStore.ts"
import { RemoteConfig } from "../../../src/config/RemoteConfig.ts"
import { generation } from "./ConfigGenerations.ts"

const [home, mode] = process.argv.slice(2)
if (home === undefined || (mode !== "loop" && mode !== "start")) {
  console.error("usage: ConfigWriter.ts <home> loop|start")
  process.exit(2)
}

const program = Effect.gen(function*() {
  const store = yield* ConfigStore
  if (mode === "start") return
  process.stdout.write("ready\n")
  for (;;) {
    const next = yield* store.update((config) => {
      const counter = typeof config.faultCounter === "number" ? config.faultCounter + 1 : 1
      return Schema.decodeUnknownSync(RemoteConfig)({ version: 1, ...generation(counter) })
    })
    process.stdout.write(`${String(next.faultCounter)}\n`)
  }
})

await Effect.runPromise(program.pipe(Effect.provide(ConfigStore.layer({ home }).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))))))
