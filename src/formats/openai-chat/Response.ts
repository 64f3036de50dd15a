/**
 * OpenAI chat completion (non-streamed) ↔ canonical response.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
import { Effect, Result, Schema } from "effect"
import type { AssistantPart, Finish, Response } from "../Canonical.ts"
import { decodeUpstreamBody, InvalidUpstreamBody } from "../FormatError.ts"
import * as Reasoning from "./Reasoning.ts"
import * as StopReason from "./StopReason.ts"
import * as Usage from "./Usage.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

/**
 * A completion as upstreams send it. Lenient where OpenAI-compatible hosts differ from the spec
 * (missing ids, `type`, `created`); strict where a translation needs the value.
 */
export const OpenAiChatResponse = Schema.Struct({
  id: Schema.optionalKey(Schema.String),
  created: Schema.optionalKey(Schema.Number),
  model: Schema.optionalKey(Schema.String),
  choices: Schema.Array(Schema.Struct({
    message: Schema.Struct({
      content: OptionalString,
      refusal: OptionalString,
      tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Struct({
        id: Schema.optionalKey(Schema.String),
        function: Schema.Struct({ name: Schema.String, arguments: OptionalString })
      })))),
      ...Reasoning.ReasoningFields
    }),
    finish_reason: OptionalString
  })),
  usage: Schema.optionalKey(Schema.NullOr(Usage.OpenAiUsage))
})
export type OpenAiChatResponse = typeof OpenAiChatResponse.Type

/**
 * Some compatible hosts (older Ollama, some vLLM parsers) finish a tool-calling turn with `stop`;
 * a caller of another format only runs tools on a tool stop, so the calls decide.
 */
export const finishWithToolCalls = (finish: Finish, hasToolCalls: boolean): Finish =>
  hasToolCalls && finish.reason === "end_turn" ? { ...finish, reason: "tool_calls" } : finish

const decodeBody = decodeUpstreamBody("openai-chat", OpenAiChatResponse)

/** An OpenAI-compatible upstream's completion (parsed JSON) as a canonical response. Only the first choice is read. */
export const toCanonicalResult = (body: unknown): Result.Result<Response, InvalidUpstreamBody> =>
  Result.flatMap(decodeBody(body), (completion) => {
    const [choice] = completion.choices
    if (choice === undefined) {
      return Result.fail(new InvalidUpstreamBody({ format: "openai-chat", message: "the upstream completion has no choices" }))
    }
    const { message } = choice
    const toolCalls = (message.tool_calls ?? []).map((call, i): AssistantPart => ({
      _tag: "ToolCall",
      // Ids are required to pair results with calls; hosts that omit them get a stable stand-in.
      id: call.id ?? `call_${i}`,
      name: call.function.name,
      arguments: call.function.arguments ?? ""
    }))
    const content: ReadonlyArray<AssistantPart> = [
      ...Reasoning.toCanonical(message),
      ...(message.content ? [{ _tag: "Text" as const, text: message.content }] : []),
      ...(message.refusal ? [{ _tag: "Refusal" as const, text: message.refusal }] : []),
      ...toolCalls
    ]
    const finish: Finish = choice.finish_reason
      ? StopReason.toCanonical(choice.finish_reason)
      : { reason: "other", raw: undefined, stopSequence: undefined }
    return Result.succeed({
      id: completion.id ?? "chatcmpl-unknown",
      model: completion.model ?? "unknown",
      created: completion.created,
      content,
      finish: finishWithToolCalls(finish, toolCalls.length > 0),
      usage: completion.usage ? Usage.toCanonical(completion.usage) : undefined
    })
  })

/** `toCanonicalResult` as an Effect, for the Effect path. */
export const toCanonical = (body: unknown): Effect.Effect<Response, InvalidUpstreamBody> =>
  Effect.fromResult(toCanonicalResult(body))

/** A chat completion as we return it. */
export interface OpenAiChatResponseOut {
  readonly id: string
  readonly object: "chat.completion"
  readonly created: number
  readonly model: string
  readonly choices: ReadonlyArray<{
    readonly index: 0
    readonly message: {
      readonly role: "assistant"
      readonly content: string | null
      readonly refusal: string | null
      readonly tool_calls?: ReadonlyArray<{
        readonly id: string
        readonly type: "function"
        readonly function: { readonly name: string; readonly arguments: string }
      }>
      readonly reasoning_content?: string
      readonly reasoning_details?: ReadonlyArray<Reasoning.ReasoningDetailOut>
    }
    readonly logprobs: null
    readonly finish_reason: string
  }>
  readonly usage?: Usage.OpenAiUsageOut
}

export interface EncodeResponseOptions {
  /** Unix seconds for `created` when the upstream gave none (Anthropic does not). */
  readonly created: number
}

/**
 * A canonical response as an OpenAI chat completion. Text parts are concatenated (Anthropic
 * splits text around tool calls and citations; OpenAI has one content string); reasoning goes in
 * `reasoning_content`, plus `reasoning_details` when signatures or redacted reasoning must survive.
 */
export const fromCanonical = (response: Response, options: EncodeResponseOptions): OpenAiChatResponseOut => {
  const text = response.content.flatMap((part) => part._tag === "Text" ? [part.text] : [])
  const refusal = response.content.flatMap((part) => part._tag === "Refusal" ? [part.text] : [])
  const toolCalls = response.content.flatMap((part) =>
    part._tag === "ToolCall"
      ? [{ id: part.id, type: "function" as const, function: { name: part.name, arguments: part.arguments } }]
      : []
  )
  return {
    id: response.id,
    object: "chat.completion",
    created: response.created ?? options.created,
    model: response.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: text.length > 0 ? text.join("") : null,
        refusal: refusal.length > 0 ? refusal.join("") : null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        ...Reasoning.fromCanonical(response.content, "both")
      },
      logprobs: null,
      finish_reason: StopReason.fromCanonical(response.finish)
    }],
    ...(response.usage !== undefined ? { usage: Usage.fromCanonical(response.usage) } : {})
  }
}
