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
import { Effect, Layer, Metric, Option } from "effect"
import { constTrue } from "effect/Function"
import { HttpClient, HttpRouter, HttpServer } from "effect/http"
import { NodeFileSystem, NodeHttpClient, NodeHttpServer, NodePath } from "@effect/platform-node"
import { AdminRoutes } from "./admin/AdminRoutes.ts"
import { ConfigStore } from "./config/ConfigStore.ts"
import { ProviderCatalog } from "./config/ProviderCatalog.ts"
import { DEFAULT_MAX_BODY_BYTES, MaxBodyBytes } from "./http/BodyReader.ts"
import { createServerHoldingEarlyRequests, type FrontHandler } from "./http/EarlyRequests.ts"
import { ServerLoad } from "./http/ServerLoad.ts"
import { ENDPOINTS, makeDispatcher, makeFastLane } from "./http/FastLane.ts"
import { COMPACT_PATHS } from "./http/ResponsesCompactRoute.ts"
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
import { Database, targetFrom } from "./database/Database.ts"
import * as Settings from "./config/Settings.ts"
import { ConfigSync } from "./providers/ConfigSync.ts"
import { SecretStore } from "./secrets/SecretStore.ts"
import * as LocalEngines from "./local/LocalEngines.ts"
import { LocalModels } from "./local/LocalModels.ts"
import * as LocalProvider from "./local/LocalProvider.ts"
import { LocalRoutes } from "./local/LocalRoutes.ts"
import { Providers } from "./providers/Providers.ts"
import { WebRoutes } from "./web/WebRoutes.ts"
import type { ApiFormat } from "./config/RemoteConfig.ts"
import type { Ledger } from "./usage/Ledger.ts"
import * as ResponseStoreSql from "./responses/ResponseStoreSql.ts"
import * as LedgerSql from "./usage/LedgerSql.ts"
import { MetricsRoute } from "./usage/MetricsRoute.ts"
import { PriceBook } from "./usage/PriceBook.ts"
import { ObservedMessage, observing, TappedResponse } from "./usage/RequestObserver.ts"
import type { IncomingMessage, ServerResponse } from "node:http"
import * as UsageMetrics from "./usage/UsageMetrics.ts"
import * as RequestTracing_ from "./usage/RequestTracing.ts"
import { RequestTracing } from "./usage/RequestTracing.ts"
import * as UsageRecorder_ from "./usage/UsageRecorder.ts"
import { UsageRecorder } from "./usage/UsageRecorder.ts"

/** The format of an API endpoint's path, for the ledger's observer (compaction is served by the app alone). */
const inboundOf = (path: string): ApiFormat | undefined => ENDPOINTS.get(path)?.api ?? (COMPACT_PATHS.includes(path) ? "responses" : undefined)

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
  /**
   * Where the usage ledger is kept; default the database of `src/database/` (SQLite in `home`, or
   * Postgres). `false`: no ledger at all — nothing is observed or recorded (`SWITCHBOARD_LEDGER=off`).
   */
  readonly ledger?: Layer.Layer<Ledger> | false | undefined
  /** Where the request spans go; default `RequestTracing.layer` (OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else none). */
  readonly tracing?: Layer.Layer<RequestTracing> | undefined
}

/** Every HTTP route of the gateway. */
export const Routes = Layer.mergeAll(ChatCompletionsRoutes, MessagesRoutes, ResponsesRoutes, ModelsRoutes, VirtualModelsRoutes, StatusRoutes, MetricsRoute, LocalRoutes, AdminRoutes, WebRoutes, NotFoundRoute)

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
    const recorder = yield* Effect.serviceOption(UsageRecorder)
    const budgets = yield* Budgets
    // Every API request is observed for the ledger, whichever lane answers it (unless it is off),
    // with the gateway key it presents when that is a known one (on loopback too: its usage counts).
    const observed = (front: FrontHandler | undefined) =>
      Option.isSome(recorder) ? observing(inboundOf, recorder.value.observed, front, budgets.identify) : front
    const classes = Option.isSome(recorder)
      ? { IncomingMessage: ObservedMessage as typeof IncomingMessage, ServerResponse: TappedResponse as typeof ServerResponse }
      : undefined
    if (options.fastLane === false) {
      return NodeHttpServer.layer(() => createServerHoldingEarlyRequests(observed(undefined), load.track, classes), { host: options.host, port: options.port })
    }
    const providers = yield* Providers
    const keys = isLoopbackHost(options.host) ? undefined : yield* GatewayKeys
    const dispatcher = yield* Effect.acquireRelease(Effect.sync(makeDispatcher), (agent) => Effect.promise(() => agent.destroy()))
    const health = yield* TargetHealth
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
    return NodeHttpServer.layer(() => createServerHoldingEarlyRequests(observed(fastLane), load.track, classes), { host: options.host, port: options.port })
  }))

/**
 * The database (`src/database/`). Opened lazily by its users; one that cannot be opened fails no
 * request.
 */
const layerDatabase = (options: { readonly home: string }) =>
  Layer.unwrap(Effect.map(targetFrom(options.home), Database.layerFor))

type DatabaseLayer = ReturnType<typeof layerDatabase>

/**
 * The usage ledger and its recorder, or nothing when the ledger is off (`GatewayOptions.ledger`).
 * The gateway's own ledger is recorded on a thread of its own (`UsageRecorder.layerThread`), with
 * its own connection to the same database; a ledger given in the options, inline.
 */
const layerUsage = (options: GatewayOptions, database: DatabaseLayer) => {
  const given = options.ledger
  return given === false
    ? Layer.empty
    : Layer.unwrap(Effect.gen(function*() {
      const tracing = yield* RequestTracing
      const budgets = yield* Budgets
      // What follows the ledger: the metrics, the traces, and the budgets (a reservation settled
      // with the real cost).
      const recorder: UsageRecorder_.RecorderOptions = {
        wantRecords: tracing.enabled,
        onRecorded: (recorded) =>
          Effect.gen(function*() {
            yield* UsageMetrics.apply(recorded.tally)
            if (recorded.records !== undefined) yield* tracing.export(recorded.records)
            for (const { admission, used } of recorded.settlements) yield* budgets.settle(admission, used)
          })
      }
      if (given !== undefined) return UsageRecorder_.layer(recorder).pipe(Layer.provideMerge(given))
      const retentionDays = yield* Settings.retentionDays.config
      return UsageRecorder_.layerThread({ ...recorder, database: yield* targetFrom(options.home), retentionDays }).pipe(
        // The thread deletes past retention; this side only reads (and shows the database's state).
        Layer.provide(LedgerSql.layerWith({ retentionDays, retain: false }).pipe(Layer.provide(database)))
      )
    })).pipe(
      Layer.provideMerge(options.tracing ?? RequestTracing_.layer)
    )
}

/**
 * Gateway keys' rate limits and budgets, counted in the database; an estimate priced as the ledger
 * prices (`PriceBook`).
 */
const layerBudgets = (database: DatabaseLayer) =>
  Layer.unwrap(Effect.map(PriceBook, (book) => Budgets.layerWith(book.estimate))).pipe(
    Layer.provide(BudgetStore.layerSql),
    Layer.provide(Layer.orDie(database))
  )

/**
 * The responses stored with `store: true` (src/responses/), in the database, kept as long as the
 * ledger's rows (`SWITCHBOARD_RETENTION_DAYS`).
 */
const layerResponseStore = (database: DatabaseLayer) =>
  Layer.unwrap(Effect.map(Settings.retentionDays.config, (retentionDays) => ResponseStoreSql.layerWith({ retentionDays }))).pipe(
    Layer.provide(Layer.orDie(database))
  )

/**
 * This gateway's own metric registry: `/metrics` shows its requests only, also when several
 * gateways share a process (tests, an embedding program).
 */
const layerMetricRegistry = Layer.sync(Metric.MetricRegistry, () => new Map())

/**
 * The gateway, listening on `host:port`. Requires a `SecretStore`. The core is built before the
 * port opens, so the first request already finds the configured providers starting.
 */
export const layer = (options: GatewayOptions) => {
  // One layer value, so one database (one SQLite connection, one Postgres pool) for the ledger, the budgets and the keys.
  const database = layerDatabase(options)
  return Layer.mergeAll(layerAppFor(options), logStartup(options)).pipe(
    Layer.provide(layerServer(options)),
    Layer.provideMerge(ServerLoad.layer),
    Layer.provideMerge(layerUsage(options, database)),
    Layer.provideMerge(layerBudgets(database)),
    Layer.provideMerge(layerResponseStore(database)),
    Layer.provideMerge(PriceBook.layer),
    Layer.provideMerge(layerMetricRegistry),
    Layer.provide(Layer.succeed(MaxBodyBytes, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)),
    Layer.provide(layerCore(options)),
    Layer.provide(GatewayKeys.layerFor(database))
  )
}
