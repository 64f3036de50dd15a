/**
 * Forwarding a request to the provider that serves its model, in the provider's own format (the
 * caller's format too: pass-through), on the Effect path: `HttpClient` upstream, a response
 * stream back. Only `model` is rewritten; every other field goes through as the caller sent it,
 * and the answer comes back as the provider sent it: status, error body, and SSE bytes as they
 * arrive. Failures of Switchboard's own (unreachable upstream, a stalled stream) are told in that
 * format.
 *
 * A thin driver of `PassThroughExchange.ts`, which decides everything; the fast lane
 * (`FastLane.ts`) drives the same core from node's `request` event.
 */
import { Duration, Effect, Result, Stream } from "effect"
import { HttpClient, HttpClientRequest, HttpServerResponse } from "effect/http"
import type { UpstreamError } from "../providers/UpstreamError.ts"
import type { HttpFormat } from "./Formats.ts"
import * as Exchange from "./PassThroughExchange.ts"
import { asksForUsage } from "./UsageChunk.ts"

// Kept importable from here while `ApiRoute.ts` and `HttpUpstream.ts` are rewritten elsewhere;
// their home is the core.

/** Forwards one pass-through request and answers with what comes back, every step as the core decides. */
export const forward = Effect.fnUntraced(function*(
  route: Exchange.PassThroughRoute,
  format: HttpFormat,
  /** The caller's body text, sent on as it is but for `model`. */
  body: string,
  callerHeaders: Readonly<Record<string, string | undefined>>,
  /**
   * Where a usage chunk the caller did not ask for goes (`UsageChunk.ts`): when given, and the
   * request is a Chat Completions stream without `stream_options`, Switchboard asks for the chunk
   * and withholds it from the caller.
   */
  onWithheld?: ((event: string) => void) | undefined,
  callerBody?: unknown
) {
  const client = yield* HttpClient.HttpClient
  const withholdUsage = onWithheld !== undefined && format.api === "openai" && asksForUsage(callerBody)
  const exchange: Exchange.Exchange = { route, format, withholdUsage }
  let state = Exchange.initial
  const run = ([next, action]: Exchange.Step): Exchange.Action => {
    state = next
    return action
  }
  const transport = (error: { readonly reason: { readonly cause?: unknown } }) =>
    Exchange.exchangeError(route, { timedOut: false, cause: error.reason.cause ?? error.reason })
  const timeout = Duration.seconds(route.endpoint.timeoutSeconds)
  const timedOut = () => Effect.fail(Exchange.exchangeError(route, { timedOut: true }))

  const request = HttpClientRequest.post(Exchange.upstreamUrl(route.endpoint, format)).pipe(
    HttpClientRequest.setHeaders(Exchange.upstreamHeaders(route.endpoint, format, callerHeaders)),
    HttpClientRequest.bodyText(Exchange.upstreamBody(route, body, withholdUsage), "application/json")
  )
  const response = yield* client.execute(request).pipe(
    Effect.mapError(transport),
    Effect.timeoutOrElse({ duration: timeout, orElse: timedOut }),
    // The provider's actor hears whether requests reach it (both lanes tell it alike).
    Effect.tapError(() => Effect.sync(route.endpoint.health.unreachable)),
    Effect.tap(() => Effect.sync(route.endpoint.health.reached))
  )

  const head = run(Exchange.start(exchange, state, response.status, response.headers))
  if (head._tag === "Answer") {
    // Refused unread (it may have no end): one chunk, then the stream's end aborts the request.
    yield* Stream.runDrain(Stream.take(response.stream, 1)).pipe(Effect.timeout(timeout), Effect.ignore)
    return head.response
  }
  if (head._tag !== "Head") {
    // An error body, read whole: the core scrubs it or tells it in the caller's shape.
    const bytes = yield* response.arrayBuffer.pipe(
      Effect.mapError(transport),
      Effect.timeoutOrElse({ duration: timeout, orElse: timedOut })
    )
    run(Exchange.data(state, new Uint8Array(bytes)))
    const answer = run(Exchange.end(exchange, state))
    // A collected body always ends in an answer of the gateway's.
    return answer._tag === "Answer" ? answer.response : yield* Effect.die(`a collected error body ended in ${answer._tag}`)
  }

  const body$ = response.stream.pipe(
    Stream.mapError(transport),
    // A stalled upstream must end in an error the caller can see, never look like a normal end.
    Stream.timeoutOrElse({ duration: timeout, orElse: () => Stream.fail(Exchange.exchangeError(route, { timedOut: true })) }),
    Stream.filterMap((chunk: Uint8Array) => {
      const action = run(Exchange.data(state, chunk))
      if (action._tag !== "Write") return Result.failVoid
      if (action.withheld !== undefined) onWithheld?.(action.withheld)
      return action.bytes.byteLength > 0 ? Result.succeed(action.bytes) : Result.failVoid
    }),
    Stream.concat(Stream.suspend(() => ending(run(Exchange.end(exchange, state))))),
    Stream.catch((error: UpstreamError) => {
      const action = run(Exchange.fail(exchange, state, error))
      // `Cut`: a plain body cannot say it failed; the failed stream makes the server cut the connection.
      return action._tag === "End" ? ending(action) : Stream.fail(error)
    })
  )
  return HttpServerResponse.stream(body$, { status: head.status, headers: head.headers })
},
// A failure before the body streams (no connection, no head, an error body cut short): the core's
// answer for a failure there (both states give the same one).
(effect, route, format) =>
  Effect.catchTag(effect, "UpstreamError", (error) => {
    const [, action] = Exchange.fail({ route, format }, Exchange.initial, error)
    return action._tag === "Answer" ? Effect.succeed(action.response) : Effect.die(`a failure before the answer gave ${action._tag}`)
  }))

/** The bytes an `End` adds, as a stream. */
const ending = (action: Exchange.Action): Stream.Stream<Uint8Array> =>
  action._tag === "End" && action.bytes !== undefined ? Stream.succeed(action.bytes) : Stream.empty
