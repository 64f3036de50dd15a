/**
 * Connecting to a provider means discovering its models. Each API format lists models its own way:
 *
 * @see https://platform.openai.com/docs/api-reference/models/list — `GET /models` → `{ data: [{ id }] }`
 * @see https://docs.anthropic.com/en/api/models-list — `GET /models?limit&after_id` → `{ data, has_more, last_id }`
 *
 * Open Responses providers are OpenAI-compatible hosts, so they list models the OpenAI way.
 * Manually configured `models` are merged into the discovered ones (discovered first, no duplicates).
 * Where a host's list says how large a model's context is, that is kept (`ModelInfo`). Some hosts have no models
 * endpoint at all: when `GET /models` answers 404, 405 or 501 and the provider has manual models,
 * it connects with those alone (any other failure — a refused key, an outage — stays an error,
 * so a manual list never hides a broken provider).
 */
import { Duration, Effect, Redacted, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { baseUrl, type ProviderConfig } from "../config/RemoteConfig.ts"
import type { ModelInfo } from "./Upstream.ts"
import { scrub, type UpstreamAuth } from "./UpstreamAuth.ts"
import { httpStatusError, timeoutError, transportError, UpstreamError } from "./UpstreamError.ts"

/** A listed model; the context window where the host says (OpenRouter `context_length`, LM Studio `max_context_length`, others `context_window`). */
const ListedModel = Schema.Struct({
  id: Schema.String,
  context_length: Schema.optional(Schema.Number),
  max_context_length: Schema.optional(Schema.Number),
  context_window: Schema.optional(Schema.Number)
})

const ModelList = Schema.Struct({
  data: Schema.Array(ListedModel),
  has_more: Schema.optional(Schema.Boolean),
  last_id: Schema.optional(Schema.NullOr(Schema.String))
})
const decodeModelList = Schema.decodeUnknownEffect(ModelList)

/** Statuses that say the host has no `GET /models` (rather than refusing or failing it). */
const NO_MODELS_ENDPOINT: ReadonlySet<number> = new Set([404, 405, 501])

/** Anthropic pages hold at most 1000 models; a runaway `has_more` must not loop forever. */
const MAX_PAGES = 50

/** The provider's model ids (discovered, then manual). */
export const discoverModels = (provider: ProviderConfig, auth: UpstreamAuth) =>
  Effect.map(discoverModelInfo(provider, auth), (models) => models.map((model) => model.id))

/** The provider's models with what its list says of them (discovered, then manual). */
export const discoverModelInfo = Effect.fnUntraced(function*(provider: ProviderConfig, auth: UpstreamAuth) {
  const client = yield* HttpClient.HttpClient
  const host = provider.host
  const base = baseUrl(provider)

  const fetchPage = (afterId: string | undefined) =>
    Effect.gen(function*() {
      const url = new URL(`${base}/models`)
      if (provider.format === "anthropic") {
        url.searchParams.set("limit", "1000")
        if (afterId !== undefined) url.searchParams.set("after_id", afterId)
      }
      const response = yield* client.execute(
        HttpClientRequest.get(url).pipe(
          HttpClientRequest.setHeaders(Redacted.value(auth.headers)),
          HttpClientRequest.acceptJson
        )
      ).pipe(Effect.mapError((error) => transportError(host, error.reason.cause ?? error.reason)))
      const text = yield* response.text.pipe(Effect.mapError((error) => transportError(host, error.reason.cause ?? error.reason)))
      if (response.status < 200 || response.status >= 300) {
        return yield* Effect.fail(httpStatusError(host, response.status, scrub(text, auth.secrets)))
      }
      const json = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => invalidList(host) })
      return yield* decodeModelList(json).pipe(Effect.mapError(() => invalidList(host)))
    })

  const manual = provider.models ?? []
  const found: Array<ModelInfo> = []
  let afterId: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = yield* fetchPage(afterId).pipe(
      Effect.catchIf(
        (error) => page === 0 && manual.length > 0 && error.status !== undefined && NO_MODELS_ENDPOINT.has(error.status),
        () => Effect.succeed(undefined)
      )
    )
    if (list === undefined) return manual.map((id): ModelInfo => ({ id }))
    for (const model of list.data) {
      const contextLength = model.context_length ?? model.max_context_length ?? model.context_window
      found.push(contextLength !== undefined ? { id: model.id, contextLength } : { id: model.id })
    }
    if (provider.format !== "anthropic" || list.has_more !== true || !list.last_id) break
    afterId = list.last_id
  }
  // Discovered first, then manual additions; no duplicates; order kept.
  const byId = new Map<string, ModelInfo>()
  for (const model of found) if (!byId.has(model.id)) byId.set(model.id, model)
  for (const id of manual) if (!byId.has(id)) byId.set(id, { id })
  return Array.from(byId.values())
}, (effect, provider) =>
  effect.pipe(
    Effect.timeoutOrElse({
      duration: Duration.seconds(provider.timeoutSeconds),
      orElse: () => Effect.fail(timeoutError(provider.host, provider.timeoutSeconds))
    })
  ))

const invalidList = (host: string) =>
  new UpstreamError({ message: `${host} answered GET /models with something that is not a model list`, retryable: true })

