/**
 * One prompt asked through each official client — `openai` (Chat Completions and Responses) and
 * `@anthropic-ai/sdk` (Messages) — streamed or not, boiled down to what a routing test checks: the
 * status, the answer's text, whether it failed (before the answer or in the stream), and the
 * response headers (`x-switchboard-*`), which every SDK exposes through `withResponse()`.
 */
import Anthropic from "@anthropic-ai/sdk"
import OpenAI from "openai"

export type Api = "openai" | "anthropic" | "responses"
export const APIS: ReadonlyArray<Api> = ["openai", "anthropic", "responses"]

export interface Called {
  /** The HTTP status of the answer (an error's status when it failed before the answer). */
  readonly status: number | undefined
  readonly text: string
  /** The error's message, when the call failed (before the answer, or mid-stream). */
  readonly error: string | undefined
  /** Whether the failure came inside a stream that had started. */
  readonly midStream: boolean
  readonly headers: Headers | undefined
}

export interface CallOptions {
  readonly stream: boolean
  readonly prompt?: string
  /** Extra body fields (`tools`, `thinking`, `temperature`, …) in the caller's format. */
  readonly extra?: Record<string, unknown>
  readonly headers?: Record<string, string>
}

const failure = (error: unknown, midStream: boolean, text: string, headers: Headers | undefined): Called => {
  const api = error instanceof OpenAI.APIError || error instanceof Anthropic.APIError ? error : undefined
  return {
    status: midStream ? 200 : api?.status,
    text,
    error: error instanceof Error ? error.message : String(error),
    midStream,
    headers: api?.headers as Headers | undefined ?? headers
  }
}

export const call = async (url: string, api: Api, model: string, options: CallOptions): Promise<Called> => {
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 30_000, defaultHeaders: options.headers })
  const anthropic = new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0, timeout: 30_000, defaultHeaders: options.headers })
  const prompt = options.prompt ?? "Say hello."
  const extra = options.extra ?? {}
  let text = ""
  let headers: Headers | undefined
  let started = false
  try {
    switch (api) {
      case "openai": {
        if (!options.stream) {
          const { data, response } = await openai.chat.completions.create({ model, messages: [{ role: "user", content: prompt }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse()
          return { status: response.status, text: data.choices[0]?.message.content ?? "", error: undefined, midStream: false, headers: response.headers }
        }
        const { data, response } = await openai.chat.completions.create({ model, messages: [{ role: "user", content: prompt }], stream: true, ...extra } as OpenAI.ChatCompletionCreateParamsStreaming).withResponse()
        headers = response.headers
        started = true
        for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? ""
        return { status: response.status, text, error: undefined, midStream: false, headers }
      }
      case "anthropic": {
        const params = { model, max_tokens: 64, messages: [{ role: "user" as const, content: prompt }], ...extra }
        if (!options.stream) {
          const { data, response } = await anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming).withResponse()
          const answer = data.content.map((block) => block.type === "text" ? block.text : "").join("")
          return { status: response.status, text: answer, error: undefined, midStream: false, headers: response.headers }
        }
        const { data, response } = await anthropic.messages.create({ ...params, stream: true } as Anthropic.MessageCreateParamsStreaming).withResponse()
        headers = response.headers
        started = true
        for await (const event of data) {
          if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text
        }
        return { status: response.status, text, error: undefined, midStream: false, headers }
      }
      case "responses": {
        if (!options.stream) {
          const { data, response } = await openai.responses.create({ model, input: prompt, ...extra } as OpenAI.Responses.ResponseCreateParamsNonStreaming).withResponse()
          return { status: response.status, text: data.output_text, error: undefined, midStream: false, headers: response.headers }
        }
        const { data, response } = await openai.responses.create({ model, input: prompt, stream: true, ...extra } as OpenAI.Responses.ResponseCreateParamsStreaming).withResponse()
        headers = response.headers
        started = true
        let failed: string | undefined
        for await (const event of data) {
          if (event.type === "response.output_text.delta") text += event.delta
          if (event.type === "response.failed") failed = event.response.error?.message ?? "response.failed"
          if (event.type === "error") failed = event.message
        }
        return { status: response.status, text, error: failed, midStream: failed !== undefined, headers }
      }
    }
  } catch (error) {
    return failure(error, started, text, headers)
  }
}
