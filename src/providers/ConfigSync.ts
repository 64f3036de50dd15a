/**
 * Keeps the running providers in step with remote.json: applies it at start-up and again after
 * every change on disk. A broken file is reported (log, /health) and otherwise ignored: the
 * providers keep running with the last good configuration until the file is fixed.
 */
import { Context, Effect, Layer, Ref, Stream } from "effect"
import { ConfigStore } from "../config/ConfigStore.ts"
import { Providers } from "./Providers.ts"

export interface ConfigStatus {
  readonly path: string
  /** Why the file on disk could not be used, or null when it is fine. */
  readonly error: string | null
}

export class ConfigSync extends Context.Service<ConfigSync, {
  readonly status: Effect.Effect<ConfigStatus>
}>()("switchboard/ConfigSync") {
  static readonly layer = Layer.effect(
    ConfigSync,
    Effect.gen(function*() {
      const store = yield* ConfigStore
      const providers = yield* Providers
      const status = yield* Ref.make<ConfigStatus>({ path: store.path, error: null })

      const invalid = (message: string) =>
        Effect.andThen(
          Ref.set(status, { path: store.path, error: message }),
          Effect.logError(`config ${store.path} is invalid, keeping the last good configuration: ${message}`)
        )

      yield* store.load.pipe(
        Effect.flatMap((config) => Effect.andThen(providers.apply(config), Ref.set(status, { path: store.path, error: null }))),
        Effect.catchTag("ConfigError", (error) => invalid(error.message))
      )

      yield* store.changes.pipe(
        Stream.runForEach((event) =>
          event._tag === "Loaded"
            ? Effect.andThen(
              Ref.set(status, { path: store.path, error: null }),
              Effect.andThen(Effect.logInfo(`config ${store.path} changed: applying`), providers.apply(event.config))
            )
            : invalid(event.error.message)
        ),
        Effect.forkScoped
      )

      return ConfigSync.of({ status: Ref.get(status) })
    })
  )
}
