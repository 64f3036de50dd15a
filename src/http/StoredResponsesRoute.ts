/**
 * The stored responses' routes (`store: true`, src/responses/ResponseStore.ts), under
 * `/v1/responses/{id}` (also `/responses/{id}`):
 *
 * - `GET /v1/responses/{id}`: the stored ResponseResource, as the caller got it.
 * - `DELETE /v1/responses/{id}`: `{id, object: "response.deleted", deleted: true}`.
 * - `GET /v1/responses/{id}/input_items`: its input items as a list (`InputItemsPage.ts`).
 *
 * A response belongs to the gateway key that made it: an unknown id, another key's, or one past
 * retention is a 404 in the Responses error shape (`response_not_found`). Only the Effect path
 * serves these: the fast lane takes POSTs only.
 */
import { Effect, Option, Schema } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { IncomingMessage } from "node:http"
import { Budgets } from "../gateway-keys/Budgets.ts"
import { keyIdOf } from "../gateway-keys/Admission.ts"
import { InputItemsQuery, page } from "../responses/InputItemsPage.ts"
import { ResponseStore } from "../responses/ResponseStore.ts"
import { renderResponsesError } from "./ResponsesError.ts"

/** The gateway key id a request presents; null without one (loopback) or without keys at all. */
export const requestKeyId = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.map(Effect.serviceOption(Budgets), (budgets) =>
    Option.isNone(budgets) ? null : keyIdOf(budgets.value, request.source as IncomingMessage) ?? null)

const notFound = (id: string) =>
  renderResponsesError({ status: 404, kind: "not_found", message: `No response with id '${id}' is stored here for this key.`, code: "response_not_found", param: "response_id" })

const unavailable = (message: string) =>
  renderResponsesError({ status: 503, kind: "server", message: `stored responses are unavailable: ${message}`, code: "store_unavailable" })

const decodeQuery = Schema.decodeUnknownResult(InputItemsQuery)

/**
 * The answer to a stored-response route: `rest` is the path after `/v1/responses/`. None when it
 * is not one of these routes (the caller answers it).
 */
export const storedResponseRoute = (request: HttpServerRequest.HttpServerRequest, rest: string) =>
  Effect.gen(function*() {
    const parts = rest.split("/")
    const id = decodeURIComponent(parts[0] ?? "")
    const what = parts.length === 1 && request.method === "GET"
      ? "get"
      : parts.length === 1 && request.method === "DELETE"
      ? "delete"
      : parts.length === 2 && parts[1] === "input_items" && request.method === "GET"
      ? "input_items"
      : undefined
    if (what === undefined || id === "") return Option.none()
    const store = yield* Effect.serviceOption(ResponseStore)
    if (Option.isNone(store)) return Option.some(notFound(id))
    const keyId = yield* requestKeyId(request)
    const answer = what === "delete"
      ? Effect.map(store.value.delete(id, keyId), (deleted) =>
        deleted ? HttpServerResponse.jsonUnsafe({ id, object: "response.deleted", deleted: true }) : notFound(id))
      : Effect.map(store.value.get(id, keyId), Option.match({
        onNone: () => notFound(id),
        onSome: (stored) => {
          if (what === "get") return HttpServerResponse.jsonUnsafe(stored.response)
          const query = decodeQuery(Object.fromEntries(new URL(request.url, "http://switchboard").searchParams))
          if (query._tag === "Failure") {
            return renderResponsesError({ status: 400, kind: "invalid_request", message: `input_items: ${query.failure.message}`, code: "invalid_request_error" })
          }
          return HttpServerResponse.jsonUnsafe(page(stored.id, stored.input, query.success))
        }
      }))
    return Option.some(yield* answer.pipe(Effect.catchTag("ResponseStoreError", (error) => Effect.succeed(unavailable(error.message)))))
  })
