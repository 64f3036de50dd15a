/**
 * One streamed chat completion through `POST /v1/chat/completions`: content and reasoning deltas
 * are handed over as they arrive, and the token usage at the end (asked for with
 * `stream_options.include_usage`), and which model answered when it is not the one asked for (a
 * virtual model's target). Aborting the signal ends the request (Switchboard then aborts
 * the upstream request too).
 */
import { apiFetch, errorOf } from "./Api.ts"
import { readSse } from "./Sse.ts"
import { ChatChunk, decodeJson, type Usage } from "./Wire.ts"

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** A conversation's sampling settings; `null` leaves the model's default. */
export interface ChatOptions {
  readonly maxTokens: number | null
  readonly temperature: number | null
}

export interface ChatDeltas {
  readonly content: (text: string) => void
  readonly reasoning: (text: string) => void
  /** The model that answers, when Switchboard routed the request to another (a virtual model's target). */
  readonly routedTo: (model: string) => void
}

const decodeChunk = decodeJson(ChatChunk)

/** The request body: only the options that are set, so the model's defaults apply otherwise. */
export const chatBody = (model: string, messages: ReadonlyArray<ChatMessage>, options: ChatOptions) => ({
  model,
  messages,
  stream: true,
  stream_options: { include_usage: true },
  ...(options.maxTokens === null ? {} : { max_tokens: options.maxTokens }),
  ...(options.temperature === null ? {} : { temperature: options.temperature })
})

/**
 * Streams the answer and resolves with its usage (undefined when the provider sent none); rejects
 * with the API's error (an error status or an error event mid-stream).
 */
export const streamChat = async (
  model: string,
  messages: ReadonlyArray<ChatMessage>,
  options: ChatOptions,
  deltas: ChatDeltas,
  signal: AbortSignal
): Promise<Usage | undefined> => {
  const response = await apiFetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(chatBody(model, messages, options)),
    signal
  })
  if (!response.ok) throw await errorOf(response)
  // Every answer names the model that gave it (src/http: `x-switchboard-model`).
  const answering = response.headers.get("x-switchboard-model")
  if (answering !== null && answering !== model) deltas.routedTo(answering)
  let failure: string | undefined
  let usage: Usage | undefined
  await readSse(response, (event) => {
    if (event.data === "[DONE]") return
    const chunk = decodeChunk(event.data)
    if (chunk.error !== undefined) failure = chunk.error.message
    if (chunk.usage != null) usage = chunk.usage
    for (const choice of chunk.choices ?? []) {
      const reasoning = choice.delta?.reasoning_content ?? choice.delta?.reasoning
      if (reasoning) deltas.reasoning(reasoning)
      const content = choice.delta?.content ?? choice.delta?.refusal
      if (content) deltas.content(content)
    }
  })
  if (failure !== undefined) throw new Error(failure)
  return usage
}
