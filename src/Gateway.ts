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
import { createServerHoldingEarlyRequests } from "./http/EarlyRequests.ts"
import { ChatCompletionsRoutes } from "./http/ChatCompletionsRoute.ts"
import { MessagesRoutes } from "./http/MessagesRoute.ts"
import { ModelsRoutes } from "./http/ModelsRoute.ts"
import { NotFoundRoute } from "./http/NotFoundRoute.ts"
import { ResponsesRoutes } from "./http/ResponsesRoute.ts"
import { StatusRoutes } from "./http/StatusRoutes.ts"
import { ConfigSync } from "./providers/ConfigSync.ts"
import { SecretStore } from "./secrets/SecretStore.ts"
import { Providers } from "./providers/Providers.ts"

export interface GatewayOptions {
  readonly host: string
  readonly port: number
  /** `$SWITCHBOARD_HOME`: remote.json lives in `<home>/providers/`. */
  readonly home: string
}

/** Every HTTP route of the gateway. */
export const Routes = Layer.mergeAll(ChatCompletionsRoutes, MessagesRoutes, ResponsesRoutes, ModelsRoutes, StatusRoutes, AdminRoutes, NotFoundRoute)

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

/** Providers kept in step with remote.json, calling upstreams through `layerUpstreamClient`. Requires a `SecretStore`. */
export const layerCore = (options: { readonly home: string }) =>
  ConfigSync.layer.pipe(
    Layer.provideMerge(Providers.layer),
    Layer.provideMerge(layerConfig(options)),
    Layer.provideMerge(layerUpstreamClient)
  )

/** The HTTP router on top of the core services, without a server (for tests and embedding). */
export const layerApp = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true })

/**
 * Says where the gateway listens once the socket is bound (not before: the port may be taken),
 * and whether secrets can be read, so a missing keychain is the first thing a user sees.
 */
const logStartup = (options: GatewayOptions) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const secrets = yield* SecretStore
    if (secrets.unavailable !== null) yield* Effect.logError(secrets.unavailable)
    yield* HttpServer.addressFormattedWith((address) =>
      Effect.logInfo(`Switchboard listening on ${address}/v1 (config ${options.home}/providers/remote.json, secrets in ${secrets.backend})`)
    )
  }))

/**
 * The gateway, listening on `host:port`. Requires a `SecretStore`. The core is built before the
 * port opens, so the first request already finds the configured providers starting.
 */
export const layer = (options: GatewayOptions) =>
  Layer.mergeAll(layerApp, logStartup(options)).pipe(
    Layer.provide(NodeHttpServer.layer(createServerHoldingEarlyRequests, { host: options.host, port: options.port })),
    Layer.provide(layerCore(options))
  )
