/**
 * The admin API changes providers and stores keys, so it must only answer the user's own tools on
 * this machine — never a web page the user happens to visit:
 *
 * - DNS rebinding: a page on `evil.example` re-points its name to 127.0.0.1 and calls us with
 *   `Host: evil.example`. Only loopback names (`127.0.0.1`, `localhost`, `[::1]`, any port) pass.
 * - CSRF: a page posts to `http://127.0.0.1:1337/admin/…` from its own origin; browsers add
 *   `Origin` to such requests. When present it must be Switchboard's own
 *   (`http://127.0.0.1:<port>`, `http://localhost:<port>`, `http://[::1]:<port>` of the listening port).
 *
 * Tools that send no Origin (curl, the CLI, SDKs) are not browsers and pass. On a non-loopback
 * listening address the gateway key (src/gateway-keys/GatewayKeyGuard.ts) is checked first, and
 * this guard still applies on top of it.
 */
import { Effect, Layer } from "effect"
import { HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { openAiErrorBody } from "../http/OpenAiError.ts"
import { AdminGuard, Forbidden } from "./AdminApi.ts"

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"])

/** The host part of a Host header (`[::1]:1337` → `[::1]`, `localhost:80` → `localhost`). */
const hostName = (host: string): string => {
  const lower = host.trim().toLowerCase()
  if (lower.startsWith("[")) return lower.slice(0, lower.indexOf("]") + 1)
  const colon = lower.lastIndexOf(":")
  return colon === -1 ? lower : lower.slice(0, colon)
}

/** The origins a page served by Switchboard itself has. */
export const ownOrigins = (port: number | undefined): ReadonlySet<string> => {
  if (port === undefined) return new Set()
  const suffix = port === 80 ? ["", ":80"] : [`:${port}`]
  return new Set(Array.from(LOOPBACK_NAMES).flatMap((name) => suffix.map((s) => `http://${name}${s}`)))
}

/** Why a request must be refused, or `undefined` when it may pass. Pure, for tests. */
export const refusal = (
  headers: { readonly host?: string | undefined; readonly origin?: string | undefined },
  port: number | undefined
): { readonly code: "forbidden_host" | "forbidden_origin"; readonly message: string } | undefined => {
  const host = headers.host ?? ""
  if (!LOOPBACK_NAMES.has(hostName(host))) {
    return {
      code: "forbidden_host",
      message: `the admin API answers only requests addressed to a loopback name (127.0.0.1, localhost, [::1]); ` +
        `Host ${JSON.stringify(host)} is refused (protection against DNS rebinding)`
    }
  }
  const origin = headers.origin
  if (origin !== undefined && !ownOrigins(port).has(origin.trim().toLowerCase())) {
    return {
      code: "forbidden_origin",
      message: `the admin API refuses requests from other web origins: Origin ${JSON.stringify(origin)} is not Switchboard's own ` +
        `(http://127.0.0.1:${port ?? "<port>"}) (protection against cross-site requests)`
    }
  }
  return undefined
}

/** The 403 body for a refused request. */
const forbiddenBody = (refused: NonNullable<ReturnType<typeof refusal>>) =>
  openAiErrorBody(refused.message, "permission_error", { code: refused.code })

/** Why the current request must be refused, if it must; `port` is the listening one. */
const check = (port: number | undefined) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => refusal({ host: request.headers.host, origin: request.headers.origin }, port))

/** The listening port, read once, for the Origin check. */
export const listeningPort = Effect.map(HttpServer.HttpServer, (server) => "port" in server.address ? server.address.port : undefined)

/** The `AdminGuard` middleware of the API's endpoints: refused requests fail with `Forbidden`. */
export const layer = Layer.effect(
  AdminGuard,
  Effect.map(listeningPort, (port) => (handler) =>
    Effect.gen(function*() {
      const refused = yield* check(port)
      if (refused !== undefined) return yield* new Forbidden(forbiddenBody(refused))
      return yield* handler
    }))
)

/**
 * The same guard for the admin routes outside the API definition (the event stream, the OpenAPI
 * document, unknown admin paths): refused requests get the same 403.
 */
export const guarded = (port: number | undefined) =>
<E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(check(port), (refused) =>
    refused === undefined ? handler : Effect.succeed(HttpServerResponse.jsonUnsafe(forbiddenBody(refused), { status: 403 })))
