/**
 * One streamed chat completion through `POST /v1/chat/completions`: content and reasoning deltas
 * are handed over as they arrive. Aborting the signal ends the request (Switchboard then aborts
 * the upstream request too).
 */
import { apiFetch, errorOf } from "./Api.ts"
import { readSse } from "./Sse.ts"
import { ChatChunk, decodeJson } from "./Wire.ts"

export interface ChatMessage {
  readonly role: "user" | "assistant"
  readonly content: string
}

export interface ChatDeltas {
  readonly content: (text: string) => void
  readonly reasoning: (text: string) => void
}

const decodeChunk = decodeJson(ChatChunk)

/** Streams the answer; rejects with the API's error (an error status or an error event mid-stream). */
export const streamChat = async (
  model: string,
  messages: ReadonlyArray<ChatMessage>,
  deltas: ChatDeltas,
  signal: AbortSignal
): Promise<void> => {
  const response = await apiFetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ model, messages, stream: true }),
    signal
  })
  if (!response.ok) throw await errorOf(response)
  let failure: string | undefined
  await readSse(response, (event) => {
    if (event.data === "[DONE]") return
    const chunk = decodeChunk(event.data)
    if (chunk.error !== undefined) failure = chunk.error.message
    for (const choice of chunk.choices ?? []) {
      const reasoning = choice.delta?.reasoning_content ?? choice.delta?.reasoning
      if (reasoning) deltas.reasoning(reasoning)
      const content = choice.delta?.content ?? choice.delta?.refusal
      if (content) deltas.content(content)
    }
  })
  if (failure !== undefined) throw new Error(failure)
}
