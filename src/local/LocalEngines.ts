/**
 * The inference engines a gateway runs, as a service chosen at the edge (`Gateway`), replaceable
 * in tests and by embedders the way the secret store is:
 *
 * - `layerAuto`: what this machine can run — llama.cpp wherever node-llama-cpp is installed (Linux,
 *   macOS, Windows), MLX on Apple Silicon when `mlx_lm.server` is on the PATH;
 * - `layer(probes)`: engines of one's choice (e.g. `[LlamaCppEngine.probe()]`);
 * - `layerNone(reason)`: no local models; `layerTest(engines)`: fakes.
 *
 * With no engine, `LocalModels` runs with none: no `local` provider, and its status says why.
 */
import { NodeChildProcessSpawner, NodeFileSystem, NodeHttpClient, NodePath } from "@effect/platform-node"
import { Context, Effect, Layer, type Scope } from "effect"
import type { HttpClient } from "effect/http"
import type { ChildProcessSpawner } from "effect/process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import * as Settings from "../config/Settings.ts"
import * as LlamaCppEngine from "./LlamaCppEngine.ts"
import type { LocalEngine } from "./LocalEngine.ts"
import * as MlxEngine from "./MlxEngine.ts"

export class LocalEngines extends Context.Service<LocalEngines, {
  /** The engines in use, in order of preference. */
  readonly engines: ReadonlyArray<LocalEngine>
  /** Why an engine is missing (e.g. node-llama-cpp not installed), for the status. */
  readonly unavailable: ReadonlyArray<string>
}>()("switchboard/LocalEngines") {}

/** Whether an engine can run here: the engine, or why not. */
export type Probe = { readonly _tag: "Available"; readonly engine: LocalEngine } | { readonly _tag: "Unavailable"; readonly reason: string }

/** What the engines may need to start: an HTTP client for child servers, processes. */
type EngineRequirements = HttpClient.HttpClient | ChildProcessSpawner.ChildProcessSpawner | Scope.Scope

/** The engines of `probes` that are available, in their order (a probe of `undefined`: not for this platform, not mentioned). */
export const layer = (probes: ReadonlyArray<Effect.Effect<Probe | undefined, never, EngineRequirements>>) =>
  Layer.effect(
    LocalEngines,
    Effect.gen(function*() {
      const engines: Array<LocalEngine> = []
      const unavailable: Array<string> = []
      for (const probe of probes) {
        const result = yield* probe
        if (result?._tag === "Available") engines.push(result.engine)
        else if (result !== undefined) unavailable.push(result.reason)
      }
      return { engines, unavailable }
    })
  ).pipe(Layer.provide(Platform))

/** llama.cpp, when node-llama-cpp is installed. */
export const llamaCpp: Effect.Effect<Probe> = Effect.sync(() => {
  const available = LlamaCppEngine.available()
  return available.ok
    ? { _tag: "Available", engine: LlamaCppEngine.make() }
    : { _tag: "Unavailable", reason: `llama.cpp: ${available.reason}` }
})

/** Whether `command` is a file in one of the PATH's folders. */
const onPath = (command: string) =>
  Effect.map(Effect.orElseSucceed(Settings.searchPath.config, () => []), (folders) => folders.some((dir) => existsSync(join(dir, command))))

/** MLX, on Apple Silicon with `mlx_lm.server` on the PATH; elsewhere it is not even mentioned. */
export const mlx: Effect.Effect<Probe | undefined, never, EngineRequirements> = Effect.gen(function*() {
  if (process.platform !== "darwin" || process.arch !== "arm64") return undefined
  if (!(yield* onPath(MlxEngine.SERVER_COMMAND))) {
    return { _tag: "Unavailable", reason: `mlx: ${MlxEngine.SERVER_COMMAND} is not on the PATH (pip install mlx-lm)` } satisfies Probe
  }
  return { _tag: "Available", engine: yield* MlxEngine.make() } satisfies Probe
})

const Files = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)
const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeChildProcessSpawner.layer.pipe(Layer.provide(Files)))

/** What this machine can run. */
export const layerAuto = layer([llamaCpp, mlx])

/** No local models (for embedders and tests). */
export const layerNone = (reason = "local models are turned off") => Layer.succeed(LocalEngines, { engines: [], unavailable: [reason] })

/** The given engines (fakes in tests). */
export const layerTest = (engines: ReadonlyArray<LocalEngine>) => Layer.succeed(LocalEngines, { engines, unavailable: [] })
