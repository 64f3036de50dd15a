/**
 * The HTTP check for gateway keys, applied to the whole server (`Gateway.layerAppFor`) when it
 * listens on a non-loopback address: every request must present a current key as
 * `Authorization: Bearer <key>` or `x-api-key: <key>`, except
 *
 * - `GET /health`, so load balancers and `switchboard` itself can see whether a server runs;
 * - the web page's static shell (`GET /`, `/assets/…`): it holds no data, and it must load for
 *   the browser to ask the user for a key, which the page then sends with each of its calls.
 *
 * A refusal is a 401 in the caller's own format (Anthropic on `/v1/messages`, Open Responses on
 * `/v1/responses`, OpenAI elsewhere), with `code` `gateway_key_required` or
 * `invalid_gateway_key`, so SDKs raise their usual authentication error. The key is checked and
 * then left alone: upstream requests are built from the provider's own credentials (see
 * `Formats.passThroughHeaders`), so a gateway key never reaches a provider.
 */
import { Effect, Redacted } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { renderAnthropicError } from "../http/AnthropicError.ts"
import type { GatewayError } from "../http/GatewayError.ts"
import { renderOpenAiError } from "../http/OpenAiError.ts"
import { renderResponsesError } from "../http/ResponsesError.ts"
import { presentedKeys } from "./GatewayKey.ts"
import { GatewayKeys } from "./GatewayKeys.ts"

export type KeyProblem = "gateway_key_required" | "invalid_gateway_key"

/** Requests that need no key (see the module comment). `path` without the query string. */
export const isOpenRequest = (method: string, path: string): boolean =>
  (method === "GET" || method === "HEAD") && (path === "/health" || path === "/" || path.startsWith("/assets/"))

/** The 401 for a request to `path`, in the format of the endpoint it called. Never quotes the key. */
export const keyRefusal = (path: string, problem: KeyProblem): HttpServerResponse.HttpServerResponse => {
  const error: GatewayError = {
    status: 401,
    kind: "authentication",
    code: problem,
    message: problem === "gateway_key_required"
      ? "this Switchboard is reachable from the network, so every request needs a gateway key: send it as " +
        "`Authorization: Bearer <key>` or `x-api-key: <key>` (create one with `switchboard keys create`)"
      : "the gateway key is not valid (revoked or mistyped): see `switchboard keys list`, or create one with `switchboard keys create`",
    // RFC 9110 §11.6.1: a 401 names the scheme that would work.
    headers: { "www-authenticate": "Bearer realm=\"switchboard\"" }
  }
  if (path === "/v1/messages" || path.startsWith("/v1/messages/")) return renderAnthropicError(error)
  if (path === "/v1/responses" || path.startsWith("/v1/responses/")) return renderResponsesError(error)
  return renderOpenAiError(error)
}

/**
 * The check without waiting, over the cached hashes (`GatewayKeys.isKnownCurrent`): `undefined`
 * (the request may pass), `gateway_key_required`, or `unsure` — a key is presented but not known
 * to be current, and only `checkRequest` (which may re-read the keys) can refuse it. The fast lane
 * (`FastLane.ts`) serves what passes here and hands `unsure` requests to the app and its guard.
 */
export const quickCheck = (
  isKnownCurrent: (presented: string) => boolean,
  method: string,
  path: string,
  headers: Readonly<Record<string, string | undefined>>
): "gateway_key_required" | "unsure" | undefined => {
  if (isOpenRequest(method, path)) return undefined
  const keys = presentedKeys(headers)
  if (keys.length === 0) return "gateway_key_required"
  return keys.some(isKnownCurrent) ? undefined : "unsure"
}

/**
 * Whether a request may pass: `undefined`, or what is wrong with its key. Any one of the keys it
 * presents (both headers may be sent) must be current.
 */
export const checkRequest = (method: string, path: string, headers: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function*() {
    const gatewayKeys = yield* GatewayKeys
    const quick = quickCheck(gatewayKeys.isKnownCurrent, method, path, headers)
    if (quick !== "unsure") return quick
    for (const key of presentedKeys(headers)) if (yield* gatewayKeys.verify(Redacted.make(key))) return undefined
    return "invalid_gateway_key" as const
  })

/** The middleware for `HttpRouter.serve`: refuses requests without a current key before any route runs. */
export const requireGatewayKey = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest | GatewayKeys> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = request.url.split("?")[0] ?? ""
    const problem = yield* checkRequest(request.method, path, request.headers)
    return problem === undefined ? yield* app : keyRefusal(path, problem)
  })
