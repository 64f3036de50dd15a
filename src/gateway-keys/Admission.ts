/**
 * The budget check of one API request on the Effect path (`ApiRoute.apiHandler`), once its model
 * is resolved: the key it presents, if that key has limits, is admitted with an estimate (input ≈
 * the body's length / 4 tokens, output the request's maximum or a default, priced by
 * `Budgets.estimateCost`); a refusal is a 429 in the caller's format with `retry-after`. The
 * admission is kept on the request's `Observation` for the usage recorder to settle.
 *
 * The fast lane hands requests whose key has limits to this path (`limitedKey`), so both lanes
 * behave the same.
 */
import { Effect, Option } from "effect"
import type { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpFormat } from "../http/Formats.ts"
import { LOCAL_PROVIDER_ID } from "../local/LocalProviderId.ts"
import type { Route } from "../router/RoutingTable.ts"
import { Budgets } from "./Budgets.ts"
import { estimateTokens } from "./KeyLimits.ts"
import type { IncomingMessage } from "node:http"
import { observationOf } from "../usage/RequestObserver.ts"

/**
 * The request's gateway key id: the one found on arrival when the request is observed for the
 * ledger (`Observation.keyId`: a key is hashed once per request), else identified now.
 */
export const keyIdOf = (budgets: Budgets["Service"], request: IncomingMessage): string | undefined => {
  const observation = observationOf(request)
  return observation !== undefined ? observation.keyId : budgets.identify(request.headers as Readonly<Record<string, string | undefined>>)
}

/** Whether a request's key has limits (sync, for the fast lane): such requests take the Effect path. */
export const limitedKey = (budgets: Budgets["Service"]) => (request: IncomingMessage): boolean => {
  const keyId = keyIdOf(budgets, request)
  return keyId !== undefined && budgets.hasLimits(keyId)
}

/**
 * Admits the request on `route` (undefined: a virtual model, whose target is not chosen yet —
 * priced as unknown, counted as remote). None: go on; Some: the 429 to answer.
 */
export const admitRequest = (
  inbound: HttpFormat,
  request: HttpServerRequest.HttpServerRequest,
  route: Route | undefined,
  body: Readonly<Record<string, unknown>>,
  text: string
): Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>> =>
  Effect.gen(function*() {
    const found = yield* Effect.serviceOption(Budgets)
    if (Option.isNone(found)) return Option.none()
    const budgets = found.value
    const keyId = keyIdOf(budgets, request.source as IncomingMessage)
    if (keyId === undefined || !budgets.hasLimits(keyId)) return Option.none()
    const tokens = estimateTokens(text, body)
    const local = route?.providerId === LOCAL_PROVIDER_ID
    const admitted = yield* Effect.result(budgets.admit(keyId, {
      local,
      estimatedTokens: tokens.input + tokens.output,
      estimatedCostUsd: route === undefined || local ? null : budgets.estimateCost(route, tokens)
    }))
    if (admitted._tag === "Success") {
      // Settled with the real cost by the usage recorder once the answer is over.
      const observation = observationOf(request.source as IncomingMessage)
      if (observation !== undefined) observation.admission = admitted.success
      return Option.none()
    }
    const refused = admitted.failure
    return Option.some(inbound.renderError({
      status: 429,
      kind: "rate_limit",
      code: refused.limit === "rpm" || refused.limit === "tpm" ? "rate_limit_exceeded" : "budget_exceeded",
      message: refused.message,
      headers: { "retry-after": String(refused.retryAfterSeconds) }
    }))
  })
