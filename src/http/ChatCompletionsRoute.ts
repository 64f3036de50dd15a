/**
 * `POST /v1/chat/completions` (also `/chat/completions`): OpenAI Chat Completions.
 *
 * @see ../shared/specs/openai/openapi.yaml `createChatCompletion`
 */
import { HttpRouter } from "effect/http"
import { apiHandler } from "./ApiRoute.ts"
import { openAiChat } from "./Formats.ts"

const handler = apiHandler(openAiChat)

export const ChatCompletionsRoutes = HttpRouter.addAll([
  HttpRouter.route("POST", "/v1/chat/completions", handler),
  HttpRouter.route("POST", "/chat/completions", handler)
])
