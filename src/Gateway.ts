/**
 * The whole gateway as one Layer: configuration, provider actors and the HTTP router, served on
 * a port. `main` uses it; so can any Effect program that wants Switchboard inside it:
 *
 * ```ts
 * import { Layer } from "effect"
 * import { NodeRuntime } from "@effect/platform-node"
 * import * as Gateway from "switchboard/src/Gateway.ts"
 * import { KeychainSecretStore } from "switchboard/src/secrets/KeychainSecretStore.ts"
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
import { Layer } from "effect"
import { HttpRouter } from "effect/http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { createServer } from "node:http"
import { ConfigStore } from "./config/ConfigStore.ts"
import { ChatCompletionsRoutes } from "./http/ChatCompletionsRoute.ts"
import { ModelsRoutes } from "./http/ModelsRoute.ts"
import { NotFoundRoute } from "./http/NotFoundRoute.ts"
import { StatusRoutes } from "./http/StatusRoutes.ts"
import { ConfigSync } from "./providers/ConfigSync.ts"
import { Providers } from "./providers/Providers.ts"

export interface GatewayOptions {
  readonly host: string
  readonly port: number
  /** `$SWITCHBOARD_HOME`: remote.json lives in `<home>/providers/`. */
  readonly home: string
}

/** Every HTTP route of the gateway. */
export const Routes = Layer.mergeAll(ChatCompletionsRoutes, ModelsRoutes, StatusRoutes, NotFoundRoute)

/**
 * Providers kept in step with remote.json, with an HTTP client for upstream calls (undici:
 * pooled keep-alive connections per upstream). Requires a `SecretStore`.
 */
export const layerCore = (options: { readonly home: string }) =>
  ConfigSync.layer.pipe(
    Layer.provideMerge(Providers.layer),
    Layer.provideMerge(ConfigStore.layer({ home: options.home })),
    Layer.provideMerge(NodeHttpClient.layerUndici)
  )

/** The HTTP router on top of the core services, without a server (for tests and embedding). */
export const layerApp = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true })

/** The gateway, listening on `host:port`. Requires a `SecretStore`. */
export const layer = (options: GatewayOptions) =>
  layerApp.pipe(
    Layer.provide(layerCore(options)),
    Layer.provide(NodeHttpServer.layer(createServer, { host: options.host, port: options.port }))
  )
