/**
 * `POST /v1/chat/completions` (also `/chat/completions`): OpenAI Chat Completions.
 *
 * @see ../shared/specs/openai/openapi.yaml `createChatCompletion`
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { Providers } from "../providers/Providers.ts"
import { resolveModel } from "../router/RoutingTable.ts"
import { forward } from "./Forward.ts"
import { openAiError } from "./OpenAiError.ts"
import { readJsonObject, requireModel } from "./RequestBody.ts"

const handler = Effect.gen(function*() {
  const providers = yield* Providers
  const request = yield* HttpServerRequest.HttpServerRequest
  const body = yield* readJsonObject
  const model = yield* requireModel(body)
  const resolution = resolveModel(yield* providers.routingTable, model)
  switch (resolution._tag) {
    case "NotFound":
      return openAiError(404, `The model \`${model}\` does not exist or no connected provider serves it. GET /v1/models lists the models available.`, "invalid_request_error", { param: "model", code: "model_not_found" })
    case "Ambiguous":
      return openAiError(400, `The model \`${model}\` is served by several providers; name one of: ${resolution.candidates.join(", ")}`, "invalid_request_error", { param: "model", code: "model_ambiguous" })
    case "Found": {
      const route = resolution.route
      if (route.format !== "openai") {
        return openAiError(501, `Provider ${route.providerId} speaks the ${route.format} format; translating OpenAI Chat Completions to it is not supported yet.`, "not_implemented", { param: "model", code: "format_not_supported" })
      }
      return yield* forward(route, "/chat/completions", body, request.headers["accept"])
    }
  }
}).pipe(
  Effect.catchTag("BadRequest", (error) =>
    Effect.succeed(openAiError(error.status, error.message, "invalid_request_error", { param: error.param })))
)

export const ChatCompletionsRoutes = HttpRouter.addAll([
  HttpRouter.route("POST", "/v1/chat/completions", handler),
  HttpRouter.route("POST", "/chat/completions", handler)
])
