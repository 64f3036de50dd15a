/**
 * The whole gateway as one Layer: configuration, provider actors and the HTTP router, served on
 * a port. `main` uses it; so can any Effect program that wants Switchboard inside it:
 *
 * ```ts
 * import { Layer } from "effect"
 * import { NodeRuntime } from "@effect/platform-node"
 * import * as Gateway from "switchboard/src/Gateway.ts"
 * import * as KeychainSecretStore from "switchboard/src/secrets/KeychainSecretStore.ts"
 *
 * Gateway.layer({ host: "127.0.0.1", port: 1337, home: "/home/me/.switchboard" }).pipe(
 *   Layer.provide(KeychainSecretStore.layer),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * The secret store is left to the caller: it is the one choice that depends on the machine.
 */
import { Effect, Layer } from "effect"
import { constTrue } from "effect/Function"
import { HttpClient, HttpRouter, HttpServer } from "effect/http"
import { NodeFileSystem, NodeHttpClient, NodeHttpServer, NodePath } from "@effect/platform-node"
import { AdminRoutes } from "./admin/AdminRoutes.ts"
import { ConfigStore } from "./config/ConfigStore.ts"
import { ProviderCatalog } from "./config/ProviderCatalog.ts"
import { DEFAULT_MAX_BODY_BYTES, MaxBodyBytes } from "./http/BodyReader.ts"
import { createServerHoldingEarlyRequests } from "./http/EarlyRequests.ts"
import { ServerLoad } from "./http/ServerLoad.ts"
import { makeDispatcher, makeFastLane } from "./http/FastLane.ts"
import { ChatCompletionsRoutes } from "./http/ChatCompletionsRoute.ts"
import { MessagesRoutes } from "./http/MessagesRoute.ts"
import { ModelsRoutes } from "./http/ModelsRoute.ts"
import { NotFoundRoute } from "./http/NotFoundRoute.ts"
import { ResponsesRoutes } from "./http/ResponsesRoute.ts"
import { StatusRoutes } from "./http/StatusRoutes.ts"
import { VirtualModelsRoutes } from "./http/VirtualModelsRoute.ts"
import { TargetHealth } from "./router/TargetHealth.ts"
import { isLoopbackHost } from "./gateway-keys/GatewayKey.ts"
import { requireGatewayKey } from "./gateway-keys/GatewayKeyGuard.ts"
import { GatewayKeys } from "./gateway-keys/GatewayKeys.ts"
import { limitedKey } from "./gateway-keys/Admission.ts"
import { BudgetStore } from "./gateway-keys/BudgetStore.ts"
import { Budgets } from "./gateway-keys/Budgets.ts"
import { Database, sqliteFile } from "./database/Database.ts"
import * as Settings from "./config/Settings.ts"
import { ConfigSync } from "./providers/ConfigSync.ts"
import { SecretStore } from "./secrets/SecretStore.ts"
import * as LocalEngines from "./local/LocalEngines.ts"
import { LocalModels } from "./local/LocalModels.ts"
import * as LocalProvider from "./local/LocalProvider.ts"
import { LocalRoutes } from "./local/LocalRoutes.ts"
import { Providers } from "./providers/Providers.ts"
import { WebRoutes } from "./web/WebRoutes.ts"

export interface GatewayOptions {
  readonly host: string
  readonly port: number
  /** `$SWITCHBOARD_HOME`: remote.json lives in `<home>/providers/`. */
  readonly home: string
  /**
   * The engines that run local models (`src/local/`, models in `<home>/models/`); default
   * `LocalEngines.layerAuto` (what this machine can run). `LocalEngines.layerNone()` turns them
   * off; `LocalEngines.layerTest(engines)` gives fakes.
   */
  readonly engines?: Layer.Layer<LocalEngines.LocalEngines> | undefined
  /**
   * Serve same-format requests through the pass-through fast lane (`src/http/FastLane.ts`);
   * default true. On a non-loopback address it checks gateway keys as the app does (see `layerServer`).
   */
  readonly fastLane?: boolean
  /** The largest request body the API endpoints accept; default `BodyReader.DEFAULT_MAX_BODY_BYTES` (32 MiB). */
  readonly maxBodyBytes?: number | undefined
}

/** Every HTTP route of the gateway. */
export const Routes = Layer.mergeAll(ChatCompletionsRoutes, MessagesRoutes, ResponsesRoutes, ModelsRoutes, VirtualModelsRoutes, StatusRoutes, LocalRoutes, AdminRoutes, WebRoutes, NotFoundRoute)

/** remote.json on disk, and the add/remove operations that keep it and the secrets in step. Requires a `SecretStore`. */
export const layerConfig = (options: { readonly home: string }) =>
  ProviderCatalog.layer.pipe(
    Layer.provideMerge(ConfigStore.layer({ home: options.home })),
    Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
  )

/**
 * The client for upstream calls: undici, with pooled keep-alive connections per upstream. No
 * tracing: a span per request costs time on the hot path, and its `traceparent`/`b3` headers would
 * tell third-party providers about the caller's traces.
 */
export const layerUpstreamClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(
    HttpClient.HttpClient,
    (client): HttpClient.HttpClient =>
      HttpClient.transformResponse(client, Effect.provideService(HttpClient.TracerDisabledWhen, constTrue))
  )
).pipe(Layer.provide(NodeHttpClient.layerUndici))

/**
 * Providers kept in step with remote.json, calling upstreams through `layerUpstreamClient`, and
 * the local models as the `local` provider. Requires a `SecretStore`.
 */
export const layerCore = (options: { readonly home: string; readonly engines?: Layer.Layer<LocalEngines.LocalEngines> | undefined }) =>
  ConfigSync.layer.pipe(
    Layer.provideMerge(Providers.layer),
    // The virtual models' circuit breakers: one registry for the gateway's life, across reloads.
    Layer.provideMerge(TargetHealth.layer),
    // The local models are one more provider, built in: the supervisor does not know what it is.
    Layer.provideMerge(LocalProvider.layer),
    Layer.provideMerge(LocalModels.layer({ home: options.home })),
    Layer.provide(options.engines ?? LocalEngines.layerAuto),
    Layer.provideMerge(layerConfig(options)),
    Layer.provideMerge(layerUpstreamClient)
  )

/** The HTTP router on top of the core services, without a server (for tests and embedding); no gateway keys. */
export const layerApp = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true })

/**
 * The HTTP router for a server listening on `host`: `layerApp` on a loopback address; anywhere
 * else every request (but `GET /health` and the page's static files) must present a gateway key
 * (`GatewayKeyGuard`), which needs `GatewayKeys`.
 */
export const layerAppFor = (options: { readonly host: string }) =>
  isLoopbackHost(options.host)
    ? layerApp
    : HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true, middleware: requireGatewayKey })

/**
 * Says where the gateway listens once the socket is bound (not before: the port may be taken),
 * and whether secrets can be read, so a missing keychain is the first thing a user sees.
 */
const logStartup = (options: GatewayOptions) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const secrets = yield* SecretStore
    if (secrets.unavailable !== null) yield* Effect.logError(secrets.unavailable)
    // What a store chosen on purpose means (env: read-only; file: plain text), said once.
    if (secrets.notice !== null) yield* Effect.logWarning(secrets.notice)
    yield* HttpServer.addressFormattedWith((address) =>
      Effect.logInfo(`Switchboard listening on ${address}/v1 (config ${options.home}/providers/remote.json, secrets in ${secrets.backend})`)
    )
    if (!isLoopbackHost(options.host)) yield* logGatewayKeys(options.host)
  }))

/** On a non-loopback address: that keys are required, and loudly when none exists yet. */
const logGatewayKeys = (host: string) =>
  Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const count = yield* Effect.match(keys.list, { onFailure: () => undefined, onSuccess: (list) => list.length })
    if (count === 0) {
      yield* Effect.logError(
        `${host} is not a loopback address and no gateway key exists: every request except GET /health will be refused ` +
          `until you run \`switchboard keys create\``
      )
    } else {
      yield* Effect.logInfo(`${host} is not a loopback address: every request needs a gateway key (${count ?? "?"} in ${keys.backend})`)
    }
  })

/**
 * The node server, with the pass-through fast lane in front of the Effect app. On a non-loopback
 * address (where `layerAppFor` puts the key guard in front of the app) the fast lane checks the
 * gateway key too, with the same synchronous check over the cached hashes: it serves requests
 * whose key is known to be current, refuses those without one, and hands the rest to the app.
 */
const layerServer = (options: GatewayOptions) =>
  Layer.unwrap(Effect.gen(function*() {
    const load = yield* ServerLoad
    if (options.fastLane === false) {
      return NodeHttpServer.layer(() => createServerHoldingEarlyRequests(undefined, load.track), { host: options.host, port: options.port })
    }
    const providers = yield* Providers
    const keys = isLoopbackHost(options.host) ? undefined : yield* GatewayKeys
    const dispatcher = yield* Effect.acquireRelease(Effect.sync(makeDispatcher), (agent) => Effect.promise(() => agent.destroy()))
    const health = yield* TargetHealth
    const budgets = yield* Budgets
    // The chains' log lines go through the gateway's logger, like the Effect path's.
    const logWith = Effect.runForkWith(yield* Effect.context<never>())
    const fastLane = makeFastLane({
      routingTable: () => Effect.runSync(providers.routingTable),
      health,
      log: (message) => void logWith(Effect.logWarning(message)),
      dispatcher,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      isKnownKey: keys?.isKnownCurrent,
      limitedKey: limitedKey(budgets)
    })
    return NodeHttpServer.layer(() => createServerHoldingEarlyRequests(fastLane, load.track), { host: options.host, port: options.port })
  }))

/** The database of `home` (SQLite), or the Postgres of `SWITCHBOARD_DATABASE_URL`. */
export const layerDatabase = (home: string) =>
  Layer.unwrap(Effect.map(
    Effect.orDie(Settings.databaseUrl.config),
    (url) => url._tag === "Some" ? Database.layerPostgres(url.value) : Database.layerSqlite(sqliteFile(home))
  ))

/** Gateway keys' rate limits and budgets, counted in the database. */
export const layerBudgets = (home: string) =>
  Budgets.layer.pipe(Layer.provide(BudgetStore.layerSql), Layer.provide(Layer.orDie(layerDatabase(home))))

/**
 * The gateway, listening on `host:port`. Requires a `SecretStore`. The core is built before the
 * port opens, so the first request already finds the configured providers starting.
 */
export const layer = (options: GatewayOptions) =>
  Layer.mergeAll(layerAppFor(options), logStartup(options)).pipe(
    Layer.provide(layerServer(options)),
    Layer.provideMerge(ServerLoad.layer),
    Layer.provide(Layer.succeed(MaxBodyBytes, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)),
    Layer.provide(layerCore(options)),
    Layer.provideMerge(layerBudgets(options.home)),
    Layer.provide(GatewayKeys.layer)
  )
