/**
 * A provider reached over HTTP, as an `Upstream`: a canonical request is encoded in the
 * provider's wire format and posted to `{base}{format.upstreamPath}`; the answer comes back as
 * canonical events (or a complete canonical response), decoded by the same format module. Used by
 * every remote provider for requests in another format than its own, and by engines that run an
 * OpenAI-compatible server of their own (MLX).
 *
 * Every failure is data the caller can render in its own format: a request the provider's format
 * cannot express is a 400 naming the field; an upstream error keeps its status and message
 * (scrubbed of the provider's secrets); an upstream that cannot be reached is a 502, one too slow
 * a 504; a stream that stalls or breaks mid-way ends with an `Error` event, fed to the provider's
 * decoder as that format's own error event so open blocks are closed as the upstream would have.
 */
import { Duration, Effect, Redacted, Stream } from "effect"
import type { SseError } from "effect/encoding/Sse"
import { HttpClient, HttpClientRequest } from "effect/http"
import type { Request } from "../formats/Canonical.ts"
import * as Sse from "../formats/Sse.ts"
import { asInboundEvent, formats } from "../http/Formats.ts"
import { passedHeaders, upstreamErrorKind } from "../http/Forward.ts"
import { scrub } from "./UpstreamAuth.ts"
import { type Answer, GenerateError, type HttpEndpoint, type ModelInfo, type Upstream } from "./Upstream.ts"
import { timeoutError, transportError, type UpstreamError } from "./UpstreamError.ts"

/** A failure of Switchboard's own before any answer: 504 when the upstream was too slow, 502 when it could not be reached. */
export const unreachable = (error: UpstreamError): GenerateError =>
  new GenerateError({
    status: error.status ?? (error.timedOut === true ? 504 : 502),
    kind: upstreamErrorKind(error),
    message: error.message,
    code: "upstream_error"
  })

const badGateway = (message: string) => new GenerateError({ status: 502, kind: "server", message, code: "upstream_error" })

/** The upstream for `endpoint`, calling it with `client` (pooled keep-alive connections); `models`: what its model list said. */
export const make = (endpoint: HttpEndpoint, client: HttpClient.HttpClient, models: ReadonlyArray<ModelInfo> = []): Upstream => {
  const info = new Map(models.map((model) => [model.id, model]))
  const provider = formats[endpoint.format]
  const { host, timeoutSeconds, auth } = endpoint
  const timeout = Duration.seconds(timeoutSeconds)
  const url = `${endpoint.baseUrl}${provider.upstreamPath}`

  const generate = (canonical: Request): Effect.Effect<Answer, GenerateError> =>
    Effect.gen(function*() {
      const body = yield* provider.encodeRequest(canonical).pipe(
        Effect.mapError((error) => new GenerateError({ status: 400, kind: "invalid_request", message: error.message, param: error.param }))
      )
      // JSON.stringify recurses: a body nested tens of thousands deep (JSON.parse takes it) overflows the stack.
      const text = yield* Effect.try({
        try: () => JSON.stringify(body),
        catch: () => new GenerateError({ status: 400, kind: "invalid_request", message: "the request is nested too deeply to be translated" })
      })
      const request = HttpClientRequest.post(url).pipe(
        HttpClientRequest.setHeaders(Redacted.value(auth.headers)),
        HttpClientRequest.setHeader("accept", canonical.stream ? "text/event-stream" : "application/json"),
        HttpClientRequest.bodyText(text, "application/json")
      )
      const response = yield* client.execute(request).pipe(
        Effect.mapError((error) => unreachable(transportError(host, error.reason.cause ?? error.reason))),
        Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(unreachable(timeoutError(host, timeoutSeconds))) })
      )
      const headers = passedHeaders(response.headers, { body: false })

      // The provider timeout bounds every gap between chunks, as in `Forward`.
      const body$ = response.stream.pipe(
        Stream.mapError((error) => transportError(host, error.reason.cause ?? error.reason)),
        Stream.timeoutOrElse({ duration: timeout, orElse: () => Stream.fail(timeoutError(host, timeoutSeconds)) })
      )

      // A 200 that is not an event stream (a plain page, a proxy's notice) has no events to translate:
      // said now, as an error before the answer, rather than as an empty stream that fails at its end.
      const contentType = (response.headers["content-type"] ?? "").toLowerCase()
      if (canonical.stream && response.status < 400 && !contentType.startsWith("text/event-stream")) {
        yield* Stream.runDrain(body$).pipe(Effect.ignore)
        return yield* badGateway(`${host} answered a streaming request with ${contentType === "" ? "no content type" : contentType}, not an event stream`)
      }

      if (response.status >= 400 || !canonical.stream) {
        const text = yield* Stream.mkString(Stream.decodeText(body$)).pipe(Effect.mapError(unreachable))
        if (response.status >= 400) {
          // Upstreams sometimes quote the credentials they were sent: scrubbed before anything is read.
          const error = provider.parseError(response.status, scrub(text, auth.secrets))
          return yield* new GenerateError({ status: response.status, ...error, headers })
        }
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          return yield* badGateway(`${host} answered with a body that is not JSON`)
        }
        const answer = yield* provider.decodeResponse(json).pipe(Effect.mapError((error) => badGateway(error.message)))
        return { _tag: "Complete", response: answer, headers } satisfies Answer
      }

      // A transport failure or a stall becomes the provider format's own error event before the
      // decoder, so the decoder closes its blocks and reports the error as if the upstream had.
      const events = body$.pipe(
        Sse.decodeBytes,
        Stream.catch((error: UpstreamError | SseError) =>
          Stream.succeed(asInboundEvent(provider, {
            kind: error._tag === "UpstreamError" ? upstreamErrorKind(error) : "server",
            message: scrub(error._tag === "UpstreamError" ? error.message : `${host} sent a malformed event stream`, auth.secrets)
          }))
        ),
        provider.decodeStream
      )
      return { _tag: "Streaming", events, headers } satisfies Answer
    })

  return { http: endpoint, generate, info: (model) => info.get(model) }
}
