/**
 * `POST /v1/messages` (also `/messages`): Anthropic Messages, as Claude Code and
 * `@anthropic-ai/sdk` send it. The caller's credentials (`x-api-key`, `Authorization`) are
 * accepted and ignored, never forwarded; any `anthropic-version` is accepted (the provider's own
 * version header is sent upstream); `anthropic-beta` reaches Anthropic providers on pass-through.
 *
 * `POST /v1/messages/count_tokens` is passed through to the model's provider when it speaks
 * Anthropic Messages (counting needs the provider's own tokenizer); for models of other providers
 * it is a 501 saying so.
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { renderAnthropicError } from "./AnthropicError.ts"
import { apiHandler } from "./ApiRoute.ts"
import { anthropicMessages } from "./Formats.ts"
import { methodNotAllowed } from "./MethodNotAllowed.ts"

const handler = apiHandler(anthropicMessages)

const countTokens = apiHandler(anthropicMessages, {
  upstream: { ...anthropicMessages, upstreamPath: "/messages/count_tokens" },
  elsewhere: (route) =>
    Effect.succeed(renderAnthropicError({
      status: 501,
      kind: "not_implemented",
      message: `count_tokens needs the provider's own tokenizer: ${route.qualifiedId} is served by ${route.providerName}, ` +
        `which does not speak Anthropic Messages, so Switchboard cannot count its tokens (POST /v1/messages/count_tokens).`
    }))
})

/** Other Messages API paths (batches, …) are not served; said in the shape their callers read. */
const unknown = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
  renderAnthropicError({
    status: 404,
    kind: "not_found",
    message: `Unknown request URL: ${request.method} ${request.url.split("?")[0]}. Switchboard serves POST /v1/messages.`
  }))

/**
 * The router's `/messages/*` also matches `/messages` itself (with an empty rest) and a route for
 * both cannot be declared twice, so one handler dispatches on method and rest.
 */
const messagesApi = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const rest = (yield* HttpRouter.params)["*"] ?? ""
  if (request.method === "POST" && rest === "") return yield* handler
  if (request.method === "POST" && rest === "count_tokens") return yield* countTokens
  if (rest === "" || rest === "count_tokens") return yield* methodNotAllowed(anthropicMessages)
  return yield* unknown
})

export const MessagesRoutes = HttpRouter.addAll([
  HttpRouter.route("*", "/v1/messages/*", messagesApi),
  HttpRouter.route("*", "/messages/*", messagesApi)
])
