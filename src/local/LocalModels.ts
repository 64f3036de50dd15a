/**
 * Models that run on this machine, served beside the remote ones. The service finds model files
 * (`$SWITCHBOARD_HOME/models/` and the config's `local.modelPaths`), loads a model on its first
 * request with the engine that claims it (`LocalEngine`: llama.cpp, MLX), keeps it warm until it
 * has been idle for `idleUnloadSeconds`, and runs one generation per model at a time
 * (`GenerationQueue`), each answer bounded (`outputLimit`). The folders are watched
 * (`ModelFolderWatch`) and looked at again every 30 seconds besides. Every model's state (unloaded, loading, loaded, error and why) is data,
 * published for the built-in `local` provider (`LocalProvider`) and shown on `/v1/models`.
 *
 * Engines come from the `LocalEngines` service (`LocalEngines.layerAuto`: the ones this machine can
 * run); tests give fakes.
 */
import { Context, Duration, Effect, FiberMap, FileSystem, Layer, Path, Schedule, Schema, Semaphore, Stream, SubscriptionRef } from "effect"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import type { LocalConfig } from "../config/RemoteConfig.ts"
import type { Request, StreamEvent } from "../formats/Canonical.ts"
import * as GenerationQueue from "./GenerationQueue.ts"
import { outputLimit } from "./LocalRequest.ts"
import * as ModelFolderWatch from "./ModelFolderWatch.ts"
import { LocalEngines } from "./LocalEngines.ts"
import { type EngineName, GenerationFailed, type LoadedModel, type LocalEngine, ModelLoadFailed, type ModelSource } from "./LocalEngine.ts"

export { GenerationFailed, ModelLoadFailed } from "./LocalEngine.ts"
export { QueueFull } from "./GenerationQueue.ts"

/** The `local` settings of remote.json with their defaults applied. */
export interface LocalSettings {
  readonly modelPaths: ReadonlyArray<string>
  readonly idleUnloadSeconds: number
  readonly maxQueue: number
  readonly engine: "auto" | "llama.cpp" | "mlx" | "none"
  /** The longest answer when the request gives no limit; undefined: the model's context size. */
  readonly maxOutputTokens: number | undefined
}

export const defaultSettings: LocalSettings = { modelPaths: [], idleUnloadSeconds: 300, maxQueue: 8, engine: "auto", maxOutputTokens: undefined }

export const settingsOf = (config: LocalConfig | undefined): LocalSettings => ({
  modelPaths: config?.modelPaths ?? defaultSettings.modelPaths,
  idleUnloadSeconds: config?.idleUnloadSeconds ?? defaultSettings.idleUnloadSeconds,
  maxQueue: config?.maxQueue ?? defaultSettings.maxQueue,
  engine: config?.engine ?? defaultSettings.engine,
  maxOutputTokens: config?.maxOutputTokens ?? defaultSettings.maxOutputTokens
})

export type ModelState = "unloaded" | "loading" | "loaded" | "error"

export interface LocalModelStatus {
  readonly id: string
  readonly path: string
  /** The engine that serves it; null when none can (a configured path that does not exist). */
  readonly engine: EngineName | null
  readonly state: ModelState
  /** Why the last load failed, while `state` is `error`. */
  readonly error: string | null
  readonly running: number
  readonly waiting: number
}

export interface LocalStatus {
  /** The engines in use (after the config's `engine` choice). */
  readonly engines: ReadonlyArray<EngineName>
  /** Why there are no engines, or null. */
  readonly unavailable: string | null
  /**
   * Whether the `local` provider exists: an engine runs and there is somewhere to look for models
   * (the models folder exists, or the config names paths). A gateway with neither shows no
   * `local` provider at all rather than an empty one.
   */
  readonly active: boolean
  readonly modelsDir: string
  readonly models: ReadonlyArray<LocalModelStatus>
  /** When the list of models last changed (epoch ms): the provider's "connected since". */
  readonly since: number
}

export class LocalModelNotFound extends Schema.TaggedError<LocalModelNotFound>()("LocalModelNotFound", {
  model: Schema.String
}) {
  override get message() {
    return `no local model ${this.model}`
  }
}

export type LocalModelError = LocalModelNotFound | GenerationQueue.QueueFull | ModelLoadFailed | GenerationFailed

/** A request admitted to a model's queue: how many requests are ahead of it. */
export interface Admission {
  readonly ahead: number
}

export class LocalModels extends Context.Service<LocalModels, {
  /** Every model and its state, right now. */
  readonly status: Effect.Effect<LocalStatus>
  /** The status now, then after every change of the model list or a model's state. */
  readonly changes: Stream.Stream<LocalStatus>
  /** Applies the config's `local` settings (and looks for models again). */
  readonly configure: (config: LocalConfig | undefined) => Effect.Effect<void>
  /** Looks for model files again. */
  readonly rescan: Effect.Effect<void>
  /**
   * Makes sure `model` is loaded and its queue has room, before a response starts: so a corrupt
   * file or a full queue is an HTTP error, not a broken stream.
   */
  readonly prepare: (model: string) => Effect.Effect<Admission, LocalModelError>
  /** One answer, when the model's turn comes. Interrupting the stream aborts the generation. */
  readonly generate: (model: string, request: Request) => Stream.Stream<StreamEvent, LocalModelError>
}>()("switchboard/LocalModels") {
  static readonly layerWith = (options: MakeOptions) => Layer.effect(LocalModels, make(options))

  /** The models of `<home>/models/` and the config's paths, run by the gateway's `LocalEngines`. */
  static readonly layer = (options: { readonly home: string }) =>
    Layer.effect(
      LocalModels,
      Effect.gen(function*() {
        const { engines, unavailable } = yield* LocalEngines
        return yield* make({ home: options.home, engines, unavailable })
      })
    ).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))
}

export interface MakeOptions {
  readonly home: string
  /** Engines this machine can run, in order of preference. */
  readonly engines: ReadonlyArray<LocalEngine>
  /** Why an engine is missing (e.g. node-llama-cpp not installed), for the status. */
  readonly unavailable: ReadonlyArray<string>
  /** How often the folders are looked at again for new or removed models, besides watching them. */
  readonly rescanEvery?: Duration.Input
  /** How long the folders must be quiet after a change before they are looked at again. */
  readonly watchDebounce?: Duration.Input
}

interface Entry {
  readonly source: ModelSource
  readonly engine: LocalEngine | undefined
  /** Known before any load: e.g. the configured file does not exist. */
  readonly problem: string | undefined
  readonly queue: GenerationQueue.GenerationQueue
  readonly lock: Semaphore.Semaphore
  state: ModelState
  error: string | null
  loaded: LoadedModel | undefined
}

const fingerprint = (entry: Entry) => `${entry.source.path}\u0000${entry.engine?.name ?? ""}\u0000${entry.problem ?? ""}`

export const make = Effect.fnUntraced(function*(options: MakeOptions) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const modelsDir = path.join(options.home, "models")
  let settings = defaultSettings
  let entries = new Map<string, Entry>()
  let since = Date.now()
  let dirExists = false
  const scanLock = yield* Semaphore.make(1)
  // What the watchers look at, recomputed after every rescan (a folder may have appeared or gone).
  const watchTargets = yield* SubscriptionRef.make<ReadonlyArray<ModelFolderWatch.WatchTarget>>([])
  const files = Layer.mergeAll(Layer.succeed(FileSystem.FileSystem, fs), Layer.succeed(Path.Path, path))
  const idleTimers = yield* FiberMap.make<string>()

  const engines = () => {
    switch (settings.engine) {
      case "none":
        return []
      case "auto":
        return options.engines
      default:
        return options.engines.filter((engine) => engine.name === settings.engine)
    }
  }
  const unavailable = (): string | null => {
    if (settings.engine === "none") return "local models are turned off in the config (local.engine: none)"
    if (engines().length > 0) return null
    const why = options.unavailable.length > 0 ? options.unavailable.join("; ") : "no local engine runs on this machine"
    return settings.engine === "auto" ? why : `engine ${settings.engine} is not available: ${why}`
  }

  const statusOf = (entry: Entry) =>
    Effect.map(entry.queue.size, (size): LocalModelStatus => ({
      id: entry.source.id,
      path: entry.source.path,
      engine: entry.engine?.name ?? null,
      state: entry.state,
      error: entry.error,
      running: size.running,
      waiting: size.waiting
    }))

  const snapshot = Effect.gen(function*() {
    const models: Array<LocalModelStatus> = []
    for (const entry of entries.values()) models.push(yield* statusOf(entry))
    const active = engines().length > 0 && (dirExists || settings.modelPaths.length > 0)
    return { engines: engines().map((e) => e.name), unavailable: unavailable(), active, modelsDir, models, since } satisfies LocalStatus
  })
  const ref = yield* SubscriptionRef.make<LocalStatus>(yield* snapshot)
  const publish = Effect.flatMap(snapshot, (status) => SubscriptionRef.set(ref, status))

  const claim = (entryPath: string, isDirectory: boolean): { id: string; engine: LocalEngine } | undefined => {
    for (const engine of engines()) {
      const id = engine.claims({ path: entryPath, name: path.basename(entryPath), isDirectory })
      if (id !== undefined) return { id, engine }
    }
    return undefined
  }

  /** Every model under the models folder and the configured paths; the first of two with one id wins. */
  const discover = Effect.gen(function*() {
    const found: Array<{ source: ModelSource; engine: LocalEngine | undefined; problem: string | undefined }> = []
    const look = (entryPath: string) =>
      Effect.gen(function*() {
        const info = yield* Effect.option(fs.stat(entryPath))
        if (info._tag === "None") return
        const claimed = claim(entryPath, info.value.type === "Directory")
        if (claimed) found.push({ source: { id: claimed.id, path: entryPath }, engine: claimed.engine, problem: undefined })
      })
    const lookIn = (dir: string, explicit: boolean) =>
      Effect.gen(function*() {
        const info = yield* Effect.option(fs.stat(dir))
        if (info._tag === "None") {
          if (explicit) {
            // A path the user named that is not there is a model in error, not silence.
            const id = path.basename(dir).replace(/\.gguf$/i, "")
            found.push({ source: { id, path: dir }, engine: claim(dir, false)?.engine, problem: `${dir} does not exist` })
          }
          return false
        }
        const isDirectory = info.value.type === "Directory"
        if (explicit && !isDirectory && claim(dir, false) === undefined) {
          found.push({ source: { id: path.basename(dir), path: dir }, engine: undefined, problem: `no local engine serves ${dir}` })
          return true
        }
        if (!isDirectory || claim(dir, true) !== undefined) {
          yield* look(dir)
          return true
        }
        const names = yield* Effect.orElseSucceed(fs.readDirectory(dir), () => [] as Array<string>)
        for (const name of names.toSorted()) if (!name.startsWith(".")) yield* look(path.join(dir, name))
        return true
      })
    dirExists = yield* lookIn(modelsDir, false)
    for (const extra of settings.modelPaths) yield* lookIn(path.resolve(options.home, extra), true)
    return found
  })

  const rescan = scanLock.withPermit(Effect.gen(function*() {
    const found = engines().length > 0 ? yield* discover : []
    const next = new Map<string, Entry>()
    for (const model of found) {
      if (next.has(model.source.id)) {
        yield* Effect.logWarning(`local model ${model.source.id}: ${model.source.path} ignored, ${next.get(model.source.id)!.source.path} has the same name`)
        continue
      }
      const entry: Entry = {
        source: model.source,
        engine: model.engine,
        problem: model.problem,
        queue: yield* GenerationQueue.make(model.source.id, () => settings.maxQueue),
        lock: yield* Semaphore.make(1),
        state: model.problem !== undefined ? "error" : "unloaded",
        error: model.problem ?? null,
        loaded: undefined
      }
      const existing = entries.get(model.source.id)
      // A model already known (maybe loaded, maybe busy) keeps its entry, queue and memory.
      next.set(model.source.id, existing && fingerprint(existing) === fingerprint(entry) ? existing : entry)
    }
    const changed = next.size !== entries.size || Array.from(next.keys()).some((id) => next.get(id) !== entries.get(id))
    for (const [id, old] of entries) if (next.get(id) !== old) yield* unload(old)
    entries = next
    if (changed) {
      since = Date.now()
      yield* Effect.logInfo(`local models: ${entries.size === 0 ? "none" : Array.from(entries.keys()).join(", ")}`)
    }
    yield* publish
    const targets = engines().length > 0
      ? yield* ModelFolderWatch.targetsOf([modelsDir, ...settings.modelPaths.map((extra) => path.resolve(options.home, extra))]).pipe(Effect.provide(files))
      : []
    if (!ModelFolderWatch.sameTargets(targets, yield* SubscriptionRef.get(watchTargets))) yield* SubscriptionRef.set(watchTargets, targets)
  }))

  const unload = (entry: Entry) =>
    entry.lock.withPermit(Effect.uninterruptible(Effect.suspend(() => {
      const loaded = entry.loaded
      if (!loaded) return Effect.void
      entry.loaded = undefined
      entry.state = "unloaded"
      return Effect.andThen(loaded.unload, Effect.logInfo(`local model ${entry.source.id}: unloaded`))
    })))

  const ensureLoaded = (entry: Entry) =>
    entry.lock.withPermit(Effect.suspend((): Effect.Effect<LoadedModel, ModelLoadFailed> => {
      if (entry.loaded) return Effect.succeed(entry.loaded)
      const model = entry.source.id
      if (entry.problem !== undefined) return Effect.fail(new ModelLoadFailed({ model, reason: entry.problem }))
      if (!entry.engine) return Effect.fail(new ModelLoadFailed({ model, reason: "no engine serves this file" }))
      const engine = entry.engine
      // A load outlives a caller that went away: its result serves the next request, and an
      // interrupted load would leave the memory it took behind (and the state at `loading`).
      return Effect.sync(() => entry.state = "loading").pipe(
        Effect.andThen(publish),
        Effect.andThen(engine.load(entry.source)),
        Effect.tap((loaded) => {
          entry.loaded = loaded
          entry.state = "loaded"
          entry.error = null
          return Effect.andThen(publish, Effect.logInfo(`local model ${model}: loaded from ${entry.source.path}`))
        }),
        Effect.tapError((error) => {
          entry.state = "error"
          entry.error = error.reason
          return Effect.andThen(publish, Effect.logWarning(error.message))
        }),
        Effect.uninterruptible
      )
    }))

  /** After a generation: unload when nothing else came for `idleUnloadSeconds`. */
  const scheduleIdleUnload = (entry: Entry) =>
    FiberMap.run(
      idleTimers,
      entry.source.id,
      Effect.sleep(Duration.seconds(settings.idleUnloadSeconds)).pipe(
        Effect.andThen(entry.queue.size),
        Effect.flatMap((size) => size.running + size.waiting === 0 ? Effect.andThen(unload(entry), publish) : Effect.void)
      )
    ).pipe(Effect.asVoid)

  const find = (model: string) =>
    Effect.suspend(() => {
      const entry = entries.get(model)
      return entry ? Effect.succeed(entry) : Effect.fail(new LocalModelNotFound({ model }))
    })

  const prepare = (model: string) =>
    Effect.gen(function*() {
      const entry = yield* find(model)
      const size = yield* entry.queue.size
      const busy = size.running + size.waiting > 0
      if (busy && size.waiting >= settings.maxQueue) {
        return yield* new GenerationQueue.QueueFull({ model, waiting: size.waiting, maxWaiting: settings.maxQueue })
      }
      yield* ensureLoaded(entry)
      return { ahead: size.running + size.waiting }
    })

  const generate = (model: string, request: Request): Stream.Stream<StreamEvent, LocalModelError> =>
    Stream.unwrap(Effect.gen(function*() {
      const entry = yield* find(model)
      // The queue's counts are part of the status (the page's Local card): told when a turn
      // starts and, added first so it runs last, once it is given back.
      yield* Effect.addFinalizer(() => publish)
      yield* entry.queue.turn()
      yield* publish
      yield* FiberMap.remove(idleTimers, entry.source.id)
      // Finalizers run in reverse: this one runs while the turn is still held, and the timer it
      // starts checks the queue only when it fires.
      yield* Effect.addFinalizer(() => scheduleIdleUnload(entry))
      const loaded = yield* ensureLoaded(entry)
      const maxTokens = outputLimit({ requested: request.maxTokens, configured: settings.maxOutputTokens, context: loaded.contextTokens })
      return loaded.generate({ ...request, maxTokens })
    }))

  yield* rescan
  yield* rescan.pipe(Effect.repeat(Schedule.spaced(options.rescanEvery ?? Duration.seconds(30))), Effect.forkScoped)
  // New watchers whenever the targets change; a rescan after every burst of changes.
  yield* SubscriptionRef.changes(watchTargets).pipe(
    Stream.switchMap((targets) => ModelFolderWatch.changes(targets, options.watchDebounce ?? Duration.millis(200))),
    Stream.runForEach(() => rescan),
    Effect.provide(files),
    Effect.forkScoped
  )
  // Closing the gateway frees every model (and stops MLX servers).
  yield* Effect.addFinalizer(() => Effect.forEach(Array.from(entries.values()), unload, { discard: true }))

  return LocalModels.of({
    status: snapshot,
    changes: SubscriptionRef.changes(ref),
    configure: (config) =>
      Effect.suspend(() => {
        settings = settingsOf(config)
        return rescan
      }),
    rescan,
    prepare,
    generate
  })
})
