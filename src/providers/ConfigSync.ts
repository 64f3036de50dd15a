/**
 * Keeps the running providers in step with remote.json: applies it at start-up and again after
 * every change on disk. A broken file is reported (log, /health) and otherwise ignored: the
 * providers keep running with the last good configuration until the file is fixed. Keys the
 * schema does not know (a misspelt `"protocl"`) are warned about the same way, and kept.
 */
import { Context, Effect, Layer, Ref, Stream } from "effect"
import { ConfigStore } from "../config/ConfigStore.ts"
import { configWarnings, type RemoteConfig } from "../config/RemoteConfig.ts"
import { Providers } from "./Providers.ts"

export interface ConfigStatus {
  readonly path: string
  /** Why the file on disk could not be used, or null when it is fine. */
  readonly error: string | null
  /** Unknown keys and broken price overrides in the configuration in use (see `configWarnings`). */
  readonly warnings: ReadonlyArray<string>
}

export class ConfigSync extends Context.Service<ConfigSync, {
  readonly status: Effect.Effect<ConfigStatus>
}>()("switchboard/ConfigSync") {
  static readonly layer = Layer.effect(
    ConfigSync,
    Effect.gen(function*() {
      const store = yield* ConfigStore
      const providers = yield* Providers
      const status = yield* Ref.make<ConfigStatus>({ path: store.path, error: null, warnings: [] })

      // The last good configuration stays in use, and so do its warnings.
      const invalid = (message: string) =>
        Effect.andThen(
          Ref.update(status, (current) => ({ ...current, error: message })),
          Effect.logError(`config ${store.path} is invalid, keeping the last good configuration: ${message}`)
        )

      // Unknown keys, and the virtual models left out (each with the field at fault).
      const applied = (config: RemoteConfig) =>
        Effect.gen(function*() {
          const warnings = [...configWarnings(config), ...(yield* providers.routingTable).virtual.problems.map((problem) => problem.message)]
          yield* Ref.set(status, { path: store.path, error: null, warnings })
          yield* Effect.forEach(warnings, (warning) => Effect.logWarning(`config ${store.path}: ${warning}`), { discard: true })
        })

      yield* store.load.pipe(
        Effect.flatMap((config) => Effect.andThen(providers.apply(config), applied(config))),
        Effect.catchTag("ConfigError", (error) => invalid(error.message))
      )

      yield* store.changes.pipe(
        Stream.runForEach((event) =>
          event._tag === "Loaded"
            ? Effect.andThen(
              Effect.andThen(Effect.logInfo(`config ${store.path} changed: applying`), providers.apply(event.config)),
              applied(event.config)
            )
            : invalid(event.error.message)
        ),
        Effect.forkScoped
      )

      return ConfigSync.of({ status: Ref.get(status) })
    })
  )
}
