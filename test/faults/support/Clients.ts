/**
 * What a caller ends up with, asked through the real clients: the `openai` SDK (Chat Completions),
 * the `@anthropic-ai/sdk` (Messages) and plain `fetch` for Open Responses. Every call is boiled
 * down to one `Outcome`, so a test can say "this fault is a clear error" for all three the same way,
 * and every body and error message is kept as evidence for the secret check.
 *
 * A stream that ends without its format's terminal event (`finish_reason`, `message_stop`,
 * `response.completed`) and without an error is `Truncated`: the silent truncated success a
 * gateway must never produce.
 */
import Anthropic from "@anthropic-ai/sdk"
import { EventSourceParserStream } from "eventsource-parser/stream"
import OpenAI from "openai"
import { capture, captureError, TestSecrets } from "./TestSecrets.ts"

export type Outcome =
  | { readonly _tag: "Answer"; readonly text: string }
  /** A stream that ended normally but without its terminal event. */
  | { readonly _tag: "Truncated"; readonly text: string }
  /** `status` is the HTTP status when the error came before the answer; undefined for one in a stream or a dropped connection. */
  | { readonly _tag: "Failed"; readonly status: number | undefined; readonly message: string; readonly retryAfter: string | null; readonly midStream: boolean }

export type Api = "openai" | "anthropic" | "responses"
export const APIS: ReadonlyArray<Api> = ["openai", "anthropic", "responses"]

export interface AskOptions {
  readonly stream: boolean
  /** Aborts the call (an abandoned request). */
  readonly signal?: AbortSignal
  /** Told the status and headers of the HTTP response as they arrive (the SDKs keep them to themselves). */
  readonly onResponse?: (response: { readonly status: number; readonly headers: Headers }) => void
}

const failed = (where: string, error: unknown, midStream: boolean): Outcome => {
  captureError(where, error)
  const status = error instanceof OpenAI.APIError || error instanceof Anthropic.APIError ? error.status : undefined
  const headers = error instanceof OpenAI.APIError || error instanceof Anthropic.APIError ? error.headers : undefined
  return {
    _tag: "Failed",
    status,
    message: error instanceof Error ? error.message : String(error),
    retryAfter: headers?.get("retry-after") ?? null,
    midStream
  }
}

/** `fetch`, telling `onResponse` about each response's head. */
const observedFetch = (onResponse: AskOptions["onResponse"]): typeof fetch =>
  onResponse === undefined ? fetch : async (input, init) => {
    const response = await fetch(input, init)
    onResponse({ status: response.status, headers: response.headers })
    return response
  }

export const makeClients = (url: string, onResponse?: AskOptions["onResponse"]) => {
  const fetch = observedFetch(onResponse)
  return {
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: TestSecrets.callerKey, maxRetries: 0, timeout: 60_000, fetch }),
    anthropic: new Anthropic({ baseURL: url, apiKey: TestSecrets.callerKey, maxRetries: 0, timeout: 60_000, fetch })
  }
}

/** Asks `model` for an answer to a one-line prompt through `api`. */
export const ask = async (url: string, api: Api, model: string, options: AskOptions): Promise<Outcome> => {
  const where = `${api} ${model}${options.stream ? " (stream)" : ""}`
  const clients = makeClients(url, options.onResponse)
  const prompt = "Say something."
  let text = ""
  let finished = false
  try {
    switch (api) {
      case "openai": {
        if (!options.stream) {
          const answer: unknown = await clients.openai.chat.completions.create(
            { model, messages: [{ role: "user", content: prompt }] },
            { signal: options.signal }
          )
          capture(where, JSON.stringify(answer))
          // A non-JSON 200 comes back from the SDK as a plain string: no choices, no answer.
          if (typeof answer !== "object" || answer === null || !("choices" in answer)) {
            return { _tag: "Failed", status: 200, message: `not a chat completion: ${JSON.stringify(answer).slice(0, 200)}`, retryAfter: null, midStream: false }
          }
          const completion = answer as OpenAI.ChatCompletion
          return { _tag: "Answer", text: completion.choices[0]?.message.content ?? "" }
        }
        const stream = await clients.openai.chat.completions.create(
          { model, messages: [{ role: "user", content: prompt }], stream: true },
          { signal: options.signal }
        )
        for await (const chunk of stream) {
          capture(where, JSON.stringify(chunk))
          text += chunk.choices[0]?.delta.content ?? ""
          if (chunk.choices[0]?.finish_reason) finished = true
        }
        break
      }
      case "anthropic": {
        const params = { model, max_tokens: 256, messages: [{ role: "user" as const, content: prompt }] }
        if (!options.stream) {
          const message = await clients.anthropic.messages.create(params, { signal: options.signal })
          capture(where, JSON.stringify(message))
          return { _tag: "Answer", text: message.content.map((block) => block.type === "text" ? block.text : "").join("") }
        }
        const stream = await clients.anthropic.messages.create({ ...params, stream: true }, { signal: options.signal })
        for await (const event of stream) {
          capture(where, JSON.stringify(event))
          if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text
          if (event.type === "message_stop") finished = true
        }
        break
      }
      case "responses": {
        const response = await observedFetch(options.onResponse)(`${url}/v1/responses`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TestSecrets.callerKey}` },
          body: JSON.stringify({ model, input: prompt, stream: options.stream }),
          signal: options.signal
        })
        if (!options.stream || !response.ok || response.body === null) {
          const body = await response.text()
          capture(where, body)
          let json: { error?: { message?: string }; output_text?: string; output?: Array<{ content?: Array<{ text?: string }> }> } = {}
          try {
            json = JSON.parse(body)
          } catch {
            return { _tag: "Failed", status: response.status, message: `not JSON: ${body.slice(0, 200)}`, retryAfter: response.headers.get("retry-after"), midStream: false }
          }
          if (!response.ok) {
            return { _tag: "Failed", status: response.status, message: json.error?.message ?? body, retryAfter: response.headers.get("retry-after"), midStream: false }
          }
          return { _tag: "Answer", text: json.output?.flatMap((item) => item.content ?? []).map((part) => part.text ?? "").join("") ?? "" }
        }
        const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
        for await (const event of events) {
          capture(where, event.data)
          // The Open Responses terminal event (no JSON).
          if (event.data === "[DONE]") continue
          const data = JSON.parse(event.data) as { type?: string; delta?: string; message?: string; response?: { error?: { message?: string } } }
          if (data.type === "response.output_text.delta") text += data.delta ?? ""
          if (data.type === "response.completed") finished = true
          if (data.type === "error" || data.type === "response.failed") {
            return { _tag: "Failed", status: undefined, message: data.message ?? data.response?.error?.message ?? event.data, retryAfter: null, midStream: true }
          }
        }
        break
      }
    }
  } catch (error) {
    return failed(where, error, options.stream && text !== "")
  }
  return finished ? { _tag: "Answer", text } : { _tag: "Truncated", text }
}
