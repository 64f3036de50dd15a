/**
 * `POST /v1/chat/completions` (also `/chat/completions`): OpenAI Chat Completions.
 *
 * @see ../shared/specs/openai/openapi.yaml `createChatCompletion`
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { apiHandler } from "./ApiRoute.ts"
import { openAiChat } from "./Formats.ts"
import { methodNotAllowed } from "./MethodNotAllowed.ts"

const handler = apiHandler(openAiChat)

/** Every method is routed here, so another one than POST is a 405 rather than the catch-all 404. */
const chatApi = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  request.method === "POST" ? handler : methodNotAllowed(openAiChat))

export const ChatCompletionsRoutes = HttpRouter.addAll([
  HttpRouter.route("*", "/v1/chat/completions", chatApi),
  HttpRouter.route("*", "/chat/completions", chatApi)
])
