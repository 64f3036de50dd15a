/**
 * `POST /v1/responses/compact` (also `/responses/compact`): Open Responses' compaction of a
 * conversation into a shorter input window.
 *
 * - To a `responses` provider the body is passed through with only `model` rewritten, and its
 *   answer (or error) comes back as it is: its compaction item is sealed with its own key, and
 *   a later request holding it is passed through to it untouched.
 * - For any other provider (OpenAI Chat, Anthropic, a local model) Switchboard compacts with the
 *   model itself (`formats/open-responses/Compaction.ts`): it asks the model to summarise the
 *   conversation and answers with the spec's `CompactResource`.
 *
 * It goes through `apiHandler` like every API endpoint, so the model's resolution (404 for an
 * unknown one), a missing `model` (400), virtual models, budgets and the gateway-key guard are
 * the same as for `/v1/responses`. The fast lane does not serve this path: it hands it to the
 * app, so both lanes answer it with this one implementation.
 *
 * @see ../shared/specs/openresponses/openapi.json `compactResponse`
 */
import { Clock, Effect, Result } from "effect"
import { HttpServerResponse } from "effect/http"
import * as Compaction from "../formats/open-responses/Compaction.ts"
import type { Route } from "../router/RoutingTable.ts"
import { apiHandler } from "./ApiRoute.ts"
import { openResponses } from "./Formats.ts"
import type { JsonObject } from "./RequestBody.ts"

/** The paths this endpoint answers (for the usage ledger's observer: it records them as Responses requests). */
export const COMPACT_PATHS: ReadonlyArray<string> = ["/v1/responses/compact", "/responses/compact"]

/** Compaction by Switchboard, with the route's model: summary request → `generate` → the compacted window. */
const compactWithModel = (route: Route, body: JsonObject): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function*() {
    const compact = yield* Effect.fromResult(Compaction.decodeRequest(body))
    const request = yield* Effect.fromResult(Compaction.summaryRequest(compact, route.upstreamModel))
    const answer = yield* route.upstream.generate(request)
    // `stream: false` asks every upstream for a complete response; a stream here would be an upstream's defect.
    if (answer._tag !== "Complete") {
      return openResponses.renderError({ status: 502, kind: "server", message: `${route.qualifiedId} answered the summary request with a stream`, code: "upstream_error" })
    }
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const resource = Compaction.compactedOf(compact, body["input"], answer.response, now)
    if (Result.isFailure(resource)) {
      return openResponses.renderError({ status: 502, kind: "server", message: resource.failure.message, code: "upstream_error" })
    }
    return HttpServerResponse.jsonUnsafe(resource.success, { headers: answer.headers })
  }).pipe(
    Effect.catchTags({
      GenerateError: (error) => Effect.succeed(openResponses.renderError(error)),
      InvalidRequest: (error) => Effect.succeed(openResponses.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param })),
      UnsupportedField: (error) => Effect.succeed(openResponses.renderError({ status: 400, kind: "invalid_request", message: error.message, param: error.param }))
    })
  )

/** The endpoint's handler: pass-through to `responses` providers (`/responses/compact` upstream), else `compactWithModel`. */
export const compactHandler = apiHandler(openResponses, {
  upstream: { ...openResponses, upstreamPath: "/responses/compact" },
  elsewhere: compactWithModel
})
