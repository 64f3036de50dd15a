/**
 * `POST /v1/responses` with `store: true`, or with a `previous_response_id` this gateway stored: a
 * stateful layer over the stateless API, as the WebSocket transport is (`ResponsesSocket.ts`).
 *
 * The stored conversation (the previous response's input items, then its output items) and the new
 * input are sent on whole as a `POST /v1/responses` to this gateway itself (`Loopback.ts`), without
 * `previous_response_id` and `store`: so every provider can answer it (a translated one would refuse
 * either field), and a `responses` provider stores as its own default says. Its answer is relayed
 * to the caller (a stream event by event, as it comes), echoing `store: true` and the
 * `previous_response_id`; its terminal response (the JSON body, or the stream's
 * `response.completed` / `.incomplete` / `.failed`) is stored when `store: true` was asked, under
 * the caller's gateway key (`ResponseStore`).
 *
 * The usage ledger records the loopback request, not this one (its tokens would count twice).
 *
 * A `previous_response_id` this gateway did not store (for this key) is sent on as it is: a
 * `responses` provider that keeps state itself gets the id as sent; a translated one answers with
 * its 400. The loopback request has no `store`, and a `previous_response_id` only when it was not
 * stored here: such a request comes back here once more, finds nothing stored (one lookup) and
 * goes on to the handler. Every request with a `previous_response_id` leaves the fast lane for
 * that lookup.
 */
import { Clock, Effect, Option, Stream } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { conversationAfter, itemsOf, type Json, terminalResponse } from "../formats/open-responses/Continuation.ts"
import * as Sse from "../formats/Sse.ts"
import { ResponseStore, type StoredResponse } from "../responses/ResponseStore.ts"
import type { IncomingMessage } from "node:http"
import { observationOf } from "../usage/RequestObserver.ts"
import * as Loopback from "./Loopback.ts"
import { renderResponsesError } from "./ResponsesError.ts"
import type { JsonObject } from "./RequestBody.ts"
import { requestKeyId } from "./StoredResponsesRoute.ts"

/** Headers of the loopback answer not relayed: node sets its own framing, and `fetch` already decoded the body. */
const NOT_RELAYED = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"])

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/** A response object echoing what the caller asked: `store: true`, the `previous_response_id`. */
export const echoed = (response: Json, echo: { readonly store: boolean; readonly previous: string | undefined }): Json => ({
  ...response,
  ...(echo.store ? { store: true } : {}),
  ...(echo.previous !== undefined ? { previous_response_id: echo.previous } : {})
})

/**
 * The request sent on, and what the caller asked: `none` when there is nothing to do here (no
 * `store: true`, and a `previous_response_id` not stored here for this key): the handler answers it.
 */
export const plan = (
  body: JsonObject,
  previous: Option.Option<StoredResponse>
): Option.Option<{ readonly sent: JsonObject; readonly input: ReadonlyArray<unknown>; readonly echo: { readonly store: boolean; readonly previous: string | undefined } }> => {
  const store = body["store"] === true
  const previousId = typeof body["previous_response_id"] === "string" ? body["previous_response_id"] : undefined
  const own = itemsOf(body["input"])
  if (own === undefined || (!store && Option.isNone(previous))) return Option.none()
  const { store: _store, previous_response_id: _previous, ...rest } = body
  if (Option.isNone(previous)) {
    // Not ours: the id goes on as sent (a `responses` provider may know it).
    const sent: JsonObject = previousId === undefined ? rest : { ...rest, previous_response_id: previousId }
    return Option.some({ sent, input: own, echo: { store, previous: previousId } })
  }
  const input = [...conversationAfter(previous.value.input, previous.value.response), ...own]
  return Option.some({ sent: { ...rest, input }, input, echo: { store, previous: previousId } })
}

/** The answer to a stateful request, or none when it is the handler's (see `plan`). */
export const statefulResponse = (body: JsonObject) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const found = yield* Effect.serviceOption(ResponseStore)
    if (Option.isNone(found)) return Option.none()
    const store = found.value
    const keyId = yield* requestKeyId(request)
    const previousId = body["previous_response_id"]
    const previous = typeof previousId === "string"
      ? yield* store.get(previousId, keyId).pipe(Effect.catchTag("ResponseStoreError", (error) =>
        Effect.as(Effect.logWarning(`stored responses: ${error.message}`), Option.none<StoredResponse>())))
      : Option.none<StoredResponse>()
    const planned = plan(body, previous)
    if (Option.isNone(planned)) return Option.none()
    const { sent, input, echo } = planned.value
    const address = Loopback.selfAddress(request)
    if (address === undefined) {
      return Option.some(renderResponsesError({ status: 500, kind: "server", message: "the gateway's own address is unknown", code: "server_error" }))
    }
    const streamed = sent["stream"] === true
    const answer = yield* Loopback.post(address, "/v1/responses", Loopback.headersFor(request, streamed ? "text/event-stream" : "application/json"), sent).pipe(Effect.result)
    if (answer._tag === "Failure") {
      return Option.some(renderResponsesError({ status: 502, kind: "server", message: `the request could not be sent on: ${String(answer.failure)}`, code: "server_error" }))
    }
    // The loopback request is the one the ledger records (with its model, tokens and cost); until it
    // answered, this one is recorded (a 500/502 above keeps its row).
    const observation = observationOf(request.source as IncomingMessage)
    if (observation !== undefined) observation.relayed = true
    const response = answer.success
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      if (!NOT_RELAYED.has(name)) headers[name] = value
    })
    const keep = (terminal: Json) =>
      !echo.store || typeof terminal["id"] !== "string"
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
          store.put({ id: terminal["id"] as string, keyId, createdAt: now, input: input as ReadonlyArray<Json>, response: terminal })).pipe(
            Effect.catchTag("ResponseStoreError", (error) => Effect.logWarning(`a response could not be stored: ${error.message}`))
          )
    const isStream = (response.headers.get("content-type") ?? "").includes("text/event-stream")
    if (!isStream || response.body === null) {
      const text = yield* Effect.promise(() => response.text().catch(() => ""))
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      if (!isObject(parsed)) return Option.some(HttpServerResponse.text(text, { status: response.status, headers }))
      // An error (a refusal, an unknown model, the upstream's) goes back as it came: nothing to store or echo.
      if (!response.ok) return Option.some(HttpServerResponse.jsonUnsafe(parsed, { status: response.status, headers }))
      const resource = echoed(parsed, echo)
      yield* keep(resource)
      return Option.some(HttpServerResponse.jsonUnsafe(resource, { status: response.status, headers }))
    }
    const events = Sse.decodeBytes(Stream.fromReadableStream({ evaluate: () => response.body!, onError: (cause) => cause })).pipe(
      Stream.mapEffect((event) =>
        Effect.gen(function*() {
          const name = event.event === "message" ? undefined : event.event
          let data: unknown
          try {
            data = JSON.parse(event.data)
          } catch {
            // A Responses stream's events are JSON objects; `[DONE]` (which some send) goes on, nothing else can be relayed as JSON.
            return event.data === "[DONE]" ? [Sse.done] : []
          }
          if (!isObject(data)) return []
          const out = isObject(data["response"]) ? { ...data, response: echoed(data["response"], echo) } : data
          const terminal = terminalResponse(out)
          if (terminal !== undefined) yield* keep(terminal)
          return [Sse.json(out, name)]
        })),
      Stream.flattenIterable,
      // The stream breaking off ends the caller's too: what came is what it gets.
      Stream.catchCause(() => Stream.empty)
    )
    return Option.some(HttpServerResponse.stream(Sse.encodeBytes(events), { status: response.status, headers }))
  })
