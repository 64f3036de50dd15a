/**
 * The Open Responses WebSocket transport: `GET /v1/responses` upgraded to a WebSocket (the
 * platform's own upgrade, `HttpServerRequest.upgrade`, on the gateway's port, behind the same
 * gateway-key rule as every route). The client sends `response.create` messages; each is answered
 * with the same events a streamed `POST /v1/responses` sends, one JSON text frame each, one turn
 * at a time, in order.
 *
 * Each turn IS a streamed `POST /v1/responses` to this gateway, over loopback to the address the
 * client reached: routing, both lanes, translation for every provider format, gateway keys and
 * budgets (the client's own `Authorization` / `x-api-key` are sent on), and the usage ledger see it
 * as the request it is, with no second implementation of any of them. What the transport adds is
 * its own (`open-responses/Continuation.ts`): `previous_response_id` from the connection's recent
 * responses, `generate: false`, and failures as the spec's `error` envelope.
 *
 * Connections last at most 60 minutes (the spec): then an error `websocket_connection_limit_reached`
 * and the socket closes.
 */
import { Clock, Duration, Effect, Option, Result, Stream } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import * as Socket from "effect/socket/Socket"
import { echoOf, resource } from "../formats/open-responses/Response.ts"
import * as Request from "../formats/open-responses/Request.ts"
import {
  Conversations,
  conversationAfter,
  envelope,
  failureOfHttp,
  type Json,
  previousOf,
  type SocketFailure,
  statusOfStreamError,
  terminalResponse,
  type Turn,
  turnOf,
  withPrevious
} from "../formats/open-responses/Continuation.ts"
import * as Sse from "../formats/Sse.ts"
import { ResponseStore, type StoredResponse } from "../responses/ResponseStore.ts"
import * as Loopback from "./Loopback.ts"
import { requestKeyId } from "./StoredResponsesRoute.ts"

/** The spec's limit on a connection's life. */
const CONNECTION_LIMIT = Duration.minutes(60)

/** Whether a request asks for a WebSocket (RFC 6455 §4.1: `Upgrade: websocket`). */
export const isWebSocketUpgrade = (headers: Readonly<Record<string, string | undefined>>): boolean =>
  headers["upgrade"]?.toLowerCase() === "websocket"

/** How a turn ended, for the connection's state. */
type Outcome =
  | { readonly _tag: "Response"; readonly response: Json }
  | { readonly _tag: "Failed" }

/**
 * Serves one upgraded connection until the client closes it (or its time is up). Answers with an
 * empty response, which the platform does not send once the socket is upgraded.
 */
export const serve = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const address = Loopback.selfAddress(request)
  const headers = Loopback.headersFor(request, "text/event-stream")
  const socket = yield* request.upgrade
  yield* Effect.scoped(Effect.gen(function*() {
    const reader = yield* socket.reader
    const writer = yield* socket.writer
    const send = (text: string) => writer.write(text)
    const conversations = new Conversations()

    const store = yield* Effect.serviceOption(ResponseStore)
    const keyId = yield* requestKeyId(request)

    /** A `previous_response_id` this connection does not hold: the gateway's stored one, when it has it (the spec allows it). */
    const hydrate = (text: string) =>
      Effect.gen(function*() {
        const previous = previousOf(text)
        if (previous === undefined || conversations.has(previous) || Option.isNone(store)) return
        const stored = yield* store.value.get(previous, keyId).pipe(Effect.orElseSucceed(() => Option.none<StoredResponse>()))
        if (Option.isSome(stored)) conversations.set(previous, conversationAfter(stored.value.input, stored.value.response))
      })

    /** A turn's response kept, when it asked for `store: true`. */
    const keep = (current: Turn, response: Json) =>
      !current.store || Option.isNone(store) || typeof response["id"] !== "string"
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
          store.value.put({ id: response["id"] as string, keyId, createdAt: now, input: current.input as ReadonlyArray<Json>, response })).pipe(
            Effect.catchTag("ResponseStoreError", (error) => Effect.logWarning(`a response could not be stored: ${error.message}`))
          )

    const turn = (text: string) =>
      Effect.gen(function*() {
        yield* hydrate(text)
        const parsed = turnOf(text, conversations)
        if (Result.isFailure(parsed)) {
          // The spec: a failed continuation forgets the response it continued.
          if (parsed.failure.previous !== undefined) conversations.delete(parsed.failure.previous)
          return yield* send(envelope(parsed.failure.failure))
        }
        const current = parsed.success
        const outcome = !current.generate
          ? yield* warmUp(current, send)
          : address === undefined
          ? yield* fail(send, { status: 500, type: "server_error", code: "server_error", message: "the gateway's own address is unknown", param: null })
          : yield* exchange(address, headers, current, send)
        if (outcome._tag === "Failed") {
          // The spec: a failed continuation forgets the response it continued.
          if (current.previous !== undefined) conversations.delete(current.previous)
          return
        }
        const id = outcome.response["id"]
        if (typeof id === "string") conversations.set(id, conversationAfter(current.input, outcome.response))
        yield* keep(current, outcome.response)
      })

    const loop = Effect.forever(Effect.gen(function*() {
      const frames = yield* reader.pull
      for (const frame of frames) yield* turn(typeof frame === "string" ? frame : new TextDecoder().decode(frame))
    }))
    const limit = Effect.andThen(
      Effect.sleep(CONNECTION_LIMIT),
      Effect.andThen(
        send(envelope({
          status: 400,
          type: "invalid_request_error",
          code: "websocket_connection_limit_reached",
          message: `WebSocket connections last at most ${Duration.format(CONNECTION_LIMIT)}: open a new one (continue with the whole conversation, or its compacted form)`,
          param: null
        })),
        writer.write(new Socket.CloseEvent(1000, "connection limit reached"))
      )
    )
    // The client closing ends the loop with a socket error: that is the end, not a failure.
    yield* Effect.raceFirst(loop, limit).pipe(Effect.ignore)
  }))
  return HttpServerResponse.empty()
})

/** An event's response echoing the turn's `previous_response_id` and, when the gateway stores it, `store: true`. */
const echoedEvent = (event: Json, current: Turn): Json => {
  const withId = withPrevious(event, current.previous)
  const response = withId["response"]
  return current.store && typeof response === "object" && response !== null ? { ...withId, response: { ...response, store: true } } : withId
}

const fail = (send: (text: string) => Effect.Effect<void, Socket.SocketError>, failure: SocketFailure) =>
  Effect.as(send(envelope(failure)), { _tag: "Failed" } as Outcome)

/**
 * `generate: false`: the conversation is kept and a response without output completes at once,
 * with its own id, so the next turn can continue from it; the model is not called.
 */
const warmUp = (current: Turn, send: (text: string) => Effect.Effect<void, Socket.SocketError>) =>
  Effect.gen(function*() {
    const canonical = Request.toCanonicalResult(current.body)
    if (Result.isFailure(canonical)) {
      const error = canonical.failure
      return yield* fail(send, {
        status: 400,
        type: "invalid_request_error",
        code: "invalid_request_error",
        message: error.message,
        param: error.param ?? null
      })
    }
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const model = typeof current.body["model"] === "string" ? current.body["model"] : ""
    const parts = { id: `resp_${crypto.randomUUID().replace(/-/g, "")}`, model, createdAt: now, completedAt: now, incompleteDetails: null, output: [], error: null, usage: undefined, echo: echoOf(canonical.success) }
    const created = echoedEvent({ type: "response.created", sequence_number: 0, response: resource({ ...parts, status: "in_progress" }) }, current)
    const completed = echoedEvent({ type: "response.completed", sequence_number: 1, response: resource({ ...parts, status: "completed" }) }, current)
    yield* send(JSON.stringify(created))
    yield* send(JSON.stringify(completed))
    return { _tag: "Response", response: completed["response"] as Json } as Outcome
  })

/** A turn as a streamed `POST /v1/responses` to this gateway, its events sent on as they come. */
const exchange = (
  address: string,
  headers: Readonly<Record<string, string>>,
  current: Turn,
  send: (text: string) => Effect.Effect<void, Socket.SocketError>
) =>
  Effect.gen(function*() {
    const answer = yield* Loopback.post(address, "/v1/responses", headers, current.body).pipe(Effect.result)
    if (Result.isFailure(answer)) {
      return yield* fail(send, { status: 502, type: "server_error", code: "server_error", message: `the turn could not be sent: ${String(answer.failure)}`, param: null })
    }
    const response = answer.success
    if (!response.ok || response.body === null || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      const body = yield* Effect.promise(() => response.text().catch(() => ""))
      return yield* fail(send, failureOfHttp(response.ok ? 502 : response.status, body))
    }
    // Set by the events as they come (TypeScript cannot see that through the callback).
    let outcome = { _tag: "Failed" } as Outcome
    let errored = false
    const events = Sse.decodeBytes(Stream.fromReadableStream({ evaluate: () => response.body!, onError: (cause) => cause }))
    const streamed = yield* Stream.runForEach(events, (event) =>
      Effect.gen(function*() {
        let data: Json
        try {
          data = JSON.parse(event.data) as Json
        } catch {
          return
        }
        if (data["type"] === "error") {
          // A stream's `error` event has no status; the transport's envelope has one (the spec).
          errored = true
          const error = (typeof data["error"] === "object" && data["error"] !== null ? data["error"] : data) as Json
          const text = (value: unknown) => typeof value === "string" ? value : undefined
          yield* send(JSON.stringify({ ...data, status: statusOfStreamError(text(error["type"]), text(error["code"])) }))
          return
        }
        yield* send(JSON.stringify(echoedEvent(data, current)))
        const terminal = terminalResponse(data)
        if (terminal !== undefined) outcome = errored || terminal["status"] === "failed" ? { _tag: "Failed" } : { _tag: "Response", response: terminal }
      })).pipe(Effect.result)
    if (Result.isFailure(streamed)) {
      const failure = streamed.failure
      // The client went away: nothing to tell it.
      if (Socket.isSocketError(failure)) return yield* Effect.fail(failure)
      if (outcome._tag === "Response") return outcome
      return yield* fail(send, { status: 502, type: "server_error", code: "server_error", message: "the answer's stream broke off", param: null })
    }
    return outcome
  })
