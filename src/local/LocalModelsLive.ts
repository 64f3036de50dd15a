/**
 * The engines this machine can run, chosen once at start-up: llama.cpp wherever node-llama-cpp is
 * installed (Linux, macOS, Windows), MLX on Apple Silicon when `mlx_lm.server` is on the PATH.
 * With neither, `LocalModels` runs with no engine: no `local` provider, and its status says why.
 */
import { NodeChildProcessSpawner, NodeFileSystem, NodeHttpClient, NodePath } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { existsSync } from "node:fs"
import { delimiter, join } from "node:path"
import * as LlamaCppEngine from "./LlamaCppEngine.ts"
import type { LocalEngine } from "./LocalEngine.ts"
import { LocalModels, make as makeLocalModels } from "./LocalModels.ts"
import * as MlxEngine from "./MlxEngine.ts"

/** Whether `command` is an executable file in one of the PATH's folders. */
const onPath = (command: string): boolean =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, command)))

const Files = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)
/** What discovery and the MLX engine need: files, an HTTP client for the child servers, processes. */
const Platform = Layer.mergeAll(Files, NodeHttpClient.layerUndici, NodeChildProcessSpawner.layer.pipe(Layer.provide(Files)))

export const layer = (options: { readonly home: string }) =>
  Layer.effect(
    LocalModels,
    Effect.gen(function*() {
      const engines: Array<LocalEngine> = []
      const unavailable: Array<string> = []
      const llama = LlamaCppEngine.available()
      if (llama.ok) engines.push(LlamaCppEngine.make())
      else unavailable.push(`llama.cpp: ${llama.reason}`)
      if (process.platform === "darwin" && process.arch === "arm64") {
        if (onPath(MlxEngine.SERVER_COMMAND)) engines.push(yield* MlxEngine.make())
        else unavailable.push(`mlx: ${MlxEngine.SERVER_COMMAND} is not on the PATH (pip install mlx-lm)`)
      }
      return yield* makeLocalModels({ home: options.home, engines, unavailable })
    })
  ).pipe(Layer.provide(Platform))

/** Local models turned off: no engine, no `local` provider (for embedders and tests). */
export const layerNone = (options: { readonly home: string }) =>
  Layer.effect(LocalModels, makeLocalModels({ home: options.home, engines: [], unavailable: ["local models are turned off"] })).pipe(
    Layer.provide(Files)
  )
