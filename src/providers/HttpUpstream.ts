/**
 * A provider reached over HTTP, as an `Upstream`: the Effect driver of `UpstreamExchange` (the
 * pure core the fast lane's translation runs too). A canonical request is encoded in the
 * provider's wire format and posted to `{base}{format.upstreamPath}` with Effect's HttpClient; the
 * answer comes back as canonical events (or a complete canonical response). Used for every remote
 * provider's requests in another format than its own, and by engines that run an
 * OpenAI-compatible server of their own (MLX).
 *
 * The provider timeout bounds the wait for the response headers and every gap between chunks.
 * Every failure before the answer is a `GenerateError` the caller renders in its own format; a
 * stream that stalls or breaks mid-way ends with an `Error` event (see `UpstreamExchange`).
 */
import { Duration, Effect, Stream } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import type { Request } from "../formats/Canonical.ts"
import { type Answer, type GenerateError, type HttpEndpoint, type ModelInfo, unreachable, type Upstream } from "./Upstream.ts"
import * as UpstreamExchange from "./UpstreamExchange.ts"
import { timeoutError, transportError } from "./UpstreamError.ts"

/** The upstream for `endpoint`, calling it with `client` (pooled keep-alive connections); `models`: what its model list said. */
export const make = (endpoint: HttpEndpoint, client: HttpClient.HttpClient, models: ReadonlyArray<ModelInfo> = []): Upstream => {
  const info = new Map(models.map((model) => [model.id, model]))
  const { name, timeoutSeconds } = endpoint
  const timeout = Duration.seconds(timeoutSeconds)

  const generate = (canonical: Request): Effect.Effect<Answer, GenerateError> =>
    Effect.gen(function*() {
      const request = yield* Effect.fromResult(UpstreamExchange.requestFor(endpoint, canonical))
      const response = yield* client.execute(
        HttpClientRequest.post(request.url).pipe(
          HttpClientRequest.setHeaders(request.headers),
          HttpClientRequest.bodyText(request.body, "application/json")
        )
      ).pipe(
        Effect.mapError((error) => unreachable(transportError(name, error.reason.cause ?? error.reason))),
        Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(unreachable(timeoutError(name, timeoutSeconds))) }),
        // The provider's actor hears whether requests reach it (as on the fast lane).
        Effect.tapError(() => Effect.sync(endpoint.health.unreachable)),
        Effect.tap(() => Effect.sync(endpoint.health.reached))
      )
      const body = response.stream.pipe(
        Stream.mapError((error) => transportError(name, error.reason.cause ?? error.reason)),
        Stream.timeoutOrElse({ duration: timeout, orElse: () => Stream.fail(timeoutError(name, timeoutSeconds)) })
      )

      const head = UpstreamExchange.headOf(endpoint, canonical, response.status, response.headers)
      switch (head._tag) {
        case "Refused": {
          yield* Stream.runDrain(body).pipe(Effect.ignore)
          return yield* head.error
        }
        case "ReadWhole": {
          const text = yield* Stream.mkString(Stream.decodeText(body)).pipe(Effect.mapError(unreachable))
          const answer = yield* Effect.fromResult(UpstreamExchange.wholeAnswer(endpoint, response.status, head.headers, text))
          return { _tag: "Complete", response: answer, headers: head.headers } satisfies Answer
        }
        case "Stream": {
          const events = Stream.suspend(() => {
            const decoder = UpstreamExchange.streamDecoder(endpoint)
            return body.pipe(
              Stream.map(decoder.data),
              Stream.concat(Stream.sync(decoder.end)),
              Stream.catch((error) => Stream.sync(() => decoder.fail(error))),
              Stream.flattenIterable
            )
          })
          return { _tag: "Streaming", events, headers: head.headers } satisfies Answer
        }
      }
    })

  return { http: endpoint, generate, info: (model) => info.get(model) }
}
