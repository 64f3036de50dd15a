/**
 * OpenAI Chat Completions request ↔ canonical request.
 *
 * Decoding is for inbound `POST /v1/chat/completions` bodies headed for a provider of another
 * format; encoding is for canonical requests headed for an OpenAI-compatible provider. (When
 * both sides speak OpenAI the body is passed through untouched and none of this runs.)
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import { Effect, Result, Schema } from "effect"
import type { ReasoningEffort, Request, ResponseFormat } from "../Canonical.ts"
import { decodeRequestBody, type InvalidRequest, unsupported, UnsupportedField } from "../FormatError.ts"
import { JsonObject, knownKeys, Loose, OtherType, unknownKeys } from "../WireSchema.ts"
import * as Messages from "./Messages.ts"
import type { ReasoningOutput } from "./Reasoning.ts"
import * as ToolChoice from "./ToolChoice.ts"
import { attempt } from "../Attempt.ts"

const Optional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

export const OpenAiTool = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("function"),
    function: Schema.Struct({
      name: Schema.String,
      description: Schema.optionalKey(Schema.String),
      parameters: Schema.optionalKey(JsonObject),
      strict: Optional(Schema.Boolean)
    })
  }),
  OtherType(["function"])
])

export const OpenAiReasoningEffort = Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])

export const OpenAiResponseFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      name: Schema.String,
      description: Schema.optionalKey(Schema.String),
      schema: Schema.optionalKey(JsonObject),
      strict: Optional(Schema.Boolean)
    })
  })
])

/** The fields of a request this module reads; everything else is reported in `ignoredFields`. */
export const OpenAiChatRequestFields = {
  model: Schema.String,
  messages: Schema.Array(Messages.OpenAiMessage),
  tools: Optional(Schema.Array(OpenAiTool)),
  tool_choice: Optional(ToolChoice.OpenAiToolChoice),
  parallel_tool_calls: Optional(Schema.Boolean),
  max_completion_tokens: Optional(Schema.Number),
  max_tokens: Optional(Schema.Number),
  temperature: Optional(Schema.Number),
  top_p: Optional(Schema.Number),
  // Not in OpenAI's spec, but OpenAI-compatible hosts (vLLM, OpenRouter, Ollama) accept it.
  top_k: Optional(Schema.Number),
  stop: Optional(Schema.Union([Schema.String, Schema.Array(Schema.String)])),
  user: Optional(Schema.String),
  safety_identifier: Optional(Schema.String),
  metadata: Optional(Schema.Record(Schema.String, Schema.String)),
  reasoning_effort: Optional(OpenAiReasoningEffort),
  response_format: Optional(OpenAiResponseFormat),
  stream: Optional(Schema.Boolean),
  stream_options: Optional(Schema.Struct({ include_usage: Schema.optionalKey(Schema.Boolean) })),
  n: Optional(Schema.Number),
  modalities: Optional(Schema.Array(Schema.String)),
  audio: Optional(Schema.Unknown),
  functions: Optional(Schema.Unknown),
  function_call: Optional(Schema.Unknown)
}

/** An inbound request body. Unknown fields are kept, so they can be reported. */
export const OpenAiChatRequest = Loose(OpenAiChatRequestFields)
const KNOWN_FIELDS = knownKeys(OpenAiChatRequestFields)
export type OpenAiChatRequest = typeof OpenAiChatRequest.Type

/**
 * Fields of the OpenAI request that the hub does not carry, and why: they are dropped when the
 * request goes to a provider of another format (and listed in `Request.ignoredFields`).
 */
export const droppedFields: Readonly<Record<string, string>> = {
  frequency_penalty: "Anthropic has no frequency or presence penalty",
  presence_penalty: "Anthropic has no frequency or presence penalty",
  logit_bias: "Anthropic cannot bias tokens",
  logprobs: "Anthropic returns no log probabilities",
  top_logprobs: "Anthropic returns no log probabilities",
  seed: "Anthropic has no seed",
  service_tier: "service tiers are provider-specific",
  store: "stored completions are an OpenAI feature",
  prediction: "predicted outputs are an OpenAI feature",
  web_search_options: "built-in web search is provider-specific",
  prompt_cache_key: "Anthropic caches by breakpoints (kept), not by key",
  prompt_cache_retention: "Anthropic sets cache lifetimes per breakpoint",
  prompt_cache_options: "Anthropic sets cache lifetimes per breakpoint",
  verbosity: "Anthropic has no verbosity setting",
  moderation: "moderation is an OpenAI feature"
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const decodeBody = decodeRequestBody("openai-chat", OpenAiChatRequest)

const responseFormatToCanonical = (
  format: typeof OpenAiResponseFormat.Type | null | undefined
): Result.Result<ResponseFormat | undefined, UnsupportedField> => {
  if (format === null || format === undefined || format.type === "text") return Result.succeed(undefined)
  if (format.type === "json_object") {
    return unsupported(
      "response_format",
      "response_format json_object cannot be translated to another API format: use json_schema"
    )
  }
  return Result.succeed({
    _tag: "JsonSchema",
    name: format.json_schema.name,
    description: format.json_schema.description,
    schema: format.json_schema.schema ?? {},
    strict: format.json_schema.strict ?? undefined
  })
}

const requestToCanonical = (body: OpenAiChatRequest): Result.Result<Request, UnsupportedField> =>
  attempt((take) => {
    if (body.n !== undefined && body.n !== null && body.n !== 1) {
      return take(unsupported("n", "only one choice (n = 1) can be translated to another API format"))
    }
    if (body.functions !== undefined && body.functions !== null) {
      return take(unsupported("functions", "the legacy functions API is not translated: use tools"))
    }
    if (body.function_call !== undefined && body.function_call !== null) {
      return take(unsupported("function_call", "the legacy functions API is not translated: use tool_choice"))
    }
    if ((body.audio !== undefined && body.audio !== null) || body.modalities?.includes("audio")) {
      return take(unsupported(body.audio != null ? "audio" : "modalities", "audio output cannot be translated to another API format"))
    }
    const messages = take(Messages.toCanonical(body.messages))
    const tools = body.tools === null || body.tools === undefined ? undefined : take(Result.all(body.tools.map((tool, i) =>
      "function" in tool
        ? Result.succeed({
          name: tool.function.name,
          description: tool.function.description,
          // A function without parameters takes none; the other formats want that said explicitly.
          parameters: tool.function.parameters ?? { type: "object", properties: {} },
          strict: tool.function.strict ?? undefined
        })
        : unsupported(`tools[${i}]`, `tools of type "${tool.type}" cannot be translated to another API format`)
    )))
    const toolChoice = body.tool_choice === null || body.tool_choice === undefined
      ? undefined
      : take(ToolChoice.toCanonical(body.tool_choice))
    const effort: ReasoningEffort | undefined = body.reasoning_effort ?? undefined
    const stop = body.stop ?? undefined
    const ignored = unknownKeys(body, KNOWN_FIELDS)
    return {
      model: body.model,
      messages,
      tools,
      toolChoice,
      parallelToolCalls: body.parallel_tool_calls ?? undefined,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      topK: body.top_k ?? undefined,
      stopSequences: stop === undefined ? undefined : typeof stop === "string" ? [stop] : stop,
      user: body.user ?? body.safety_identifier ?? undefined,
      metadata: body.metadata ?? undefined,
      reasoning: effort === undefined ? undefined : { effort, mode: undefined, budgetTokens: undefined },
      responseFormat: take(responseFormatToCanonical(body.response_format)),
      stream: body.stream ?? false,
      includeUsage: body.stream_options?.include_usage ?? undefined,
      ignoredFields: ignored
    }
  })

/**
 * An inbound OpenAI Chat Completions body (already parsed JSON) as a canonical request. Fails
 * with `InvalidRequest` when it does not follow the spec, `UnsupportedField` when it uses what no
 * other format can express; both name the field and mean HTTP 400.
 */
export const toCanonicalResult = (body: unknown): Result.Result<Request, InvalidRequest | UnsupportedField> =>
  Result.flatMap(decodeBody(body), requestToCanonical)

/** `toCanonicalResult` as an Effect, for the Effect path. */
export const toCanonical = (body: unknown): Effect.Effect<Request, InvalidRequest | UnsupportedField> =>
  Effect.fromResult(toCanonicalResult(body))

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** A request body as we send it upstream. */
export interface OpenAiChatRequestOut {
  readonly model: string
  readonly messages: ReadonlyArray<Messages.OpenAiMessageOut>
  readonly tools?: ReadonlyArray<{
    readonly type: "function"
    readonly function: { readonly name: string; readonly description?: string; readonly parameters: object; readonly strict?: boolean }
  }>
  readonly tool_choice?: ToolChoice.OpenAiToolChoiceOut
  readonly parallel_tool_calls?: boolean
  readonly max_completion_tokens?: number
  readonly max_tokens?: number
  readonly temperature?: number
  readonly top_p?: number
  readonly stop?: ReadonlyArray<string>
  readonly user?: string
  readonly metadata?: { readonly [key: string]: string }
  readonly reasoning_effort?: ReasoningEffort
  readonly response_format?: {
    readonly type: "json_schema"
    readonly json_schema: { readonly name: string; readonly description?: string; readonly schema: object; readonly strict?: boolean }
  }
  readonly stream?: true
  readonly stream_options?: { readonly include_usage: true }
}

/** How to write requests for a given OpenAI-compatible upstream. */
export interface EncodeRequestOptions {
  /**
   * Where the output limit goes. OpenAI's reasoning models reject `max_tokens`; some older
   * compatible hosts only know `max_tokens`. Default: `max_completion_tokens`.
   */
  readonly maxTokensField?: "max_completion_tokens" | "max_tokens" | undefined
  /** Which fields carry earlier reasoning back (see `Messages.EncodeMessagesOptions`). Default: `omit`. */
  readonly reasoning?: ReasoningOutput | undefined
}

/**
 * A canonical request as an OpenAI Chat Completions body. A streamed request always asks for
 * usage (`stream_options.include_usage`): a caller of another format expects usage at the end of
 * every stream. Fails with `UnsupportedField` for content OpenAI cannot take (a document by URL,
 * an image in a tool result).
 */
export const fromCanonicalResult = (
  request: Request,
  options: EncodeRequestOptions = {}
): Result.Result<OpenAiChatRequestOut, UnsupportedField> =>
  attempt((take) => {
    const messages = take(Messages.fromCanonical(request.messages, { reasoning: options.reasoning ?? "omit" }))
    const hasTools = request.tools !== undefined && request.tools.length > 0
    const maxTokensField = options.maxTokensField ?? "max_completion_tokens"
    const format = request.responseFormat
    return {
      model: request.model,
      messages,
      ...(hasTools
        ? {
          tools: request.tools!.map((tool) => ({
            type: "function" as const,
            function: {
              name: tool.name,
              ...(tool.description !== undefined ? { description: tool.description } : {}),
              parameters: tool.parameters,
              ...(tool.strict !== undefined ? { strict: tool.strict } : {})
            }
          }))
        }
        : {}),
      ...(request.toolChoice !== undefined ? { tool_choice: ToolChoice.fromCanonical(request.toolChoice) } : {}),
      // OpenAI rejects parallel_tool_calls on a request without tools.
      ...(hasTools && request.parallelToolCalls !== undefined ? { parallel_tool_calls: request.parallelToolCalls } : {}),
      ...(request.maxTokens !== undefined ? { [maxTokensField]: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { top_p: request.topP } : {}),
      ...(request.stopSequences !== undefined && request.stopSequences.length > 0 ? { stop: request.stopSequences } : {}),
      ...(request.user !== undefined ? { user: request.user } : {}),
      ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
      ...(request.reasoning?.effort !== undefined ? { reasoning_effort: request.reasoning.effort } : {}),
      ...(format !== undefined
        ? {
          response_format: {
            type: "json_schema" as const,
            json_schema: {
              // OpenAI requires a name; Anthropic's output format has none.
              name: format.name ?? "response",
              ...(format.description !== undefined ? { description: format.description } : {}),
              schema: format.schema,
              ...(format.strict !== undefined ? { strict: format.strict } : {})
            }
          }
        }
        : {}),
      ...(request.stream ? { stream: true as const, stream_options: { include_usage: true as const } } : {})
    }
  })

/** `fromCanonicalResult` as an Effect, for the Effect path. */
export const fromCanonical = (
  request: Request,
  options: EncodeRequestOptions = {}
): Effect.Effect<OpenAiChatRequestOut, UnsupportedField> =>
  Effect.fromResult(fromCanonicalResult(request, options))
