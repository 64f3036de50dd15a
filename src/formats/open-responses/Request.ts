/**
 * Open Responses request ↔ canonical request.
 *
 * Decoding is for inbound `POST /v1/responses` bodies (the Codex CLI, the OpenAI SDK's
 * `responses.create`) headed for a provider of another format; encoding is for canonical
 * requests headed for a Responses provider. (Responses to Responses is passed through untouched.)
 *
 * The translation is stateless: what refers to stored state (`previous_response_id`,
 * `conversation`, `prompt`, `item_reference` items, `background`, `store: true`) is refused with a
 * 400 naming the field, and requests sent upstream say `store: false`. (`store: true` and a
 * `previous_response_id` the gateway stored never reach it: `http/StatefulResponses.ts` makes
 * such a request stateless first.) `truncation: "auto"` is refused too: nothing here knows the model's context.
 *
 * @see https://www.openresponses.org/reference (CreateResponseBody)
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
import { Effect, Result, Schema } from "effect"
import type { ReasoningEffort, Request, ResponseFormat } from "../Canonical.ts"
import { CanonicalField, type Origin } from "../FieldPath.ts"
import { decodeRequestBody, type InvalidRequest, unsupported, UnsupportedField } from "../FormatError.ts"
import { JsonObject, knownKeys, Loose, OtherType, unknownKeys } from "../WireSchema.ts"
import * as Items from "./Items.ts"
import * as ToolChoice from "./ToolChoice.ts"
import { attempt } from "../Attempt.ts"

const Optional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

/** A function tool (flat, unlike Chat Completions), or (second member) a hosted tool only its provider runs. */
export const ResponsesTool = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("function"),
    name: Schema.String,
    description: Optional(Schema.String),
    parameters: Optional(JsonObject),
    strict: Optional(Schema.Boolean)
  }),
  OtherType(["function"])
])

export const ResponsesReasoningEffort = Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])

export const ResponsesTextFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    name: Schema.optionalKey(Schema.String),
    description: Optional(Schema.String),
    schema: Optional(JsonObject),
    strict: Optional(Schema.Boolean)
  })
])

/** The fields of a request this module reads; everything else is reported in `ignoredFields`. */
export const ResponsesRequestFields = {
  model: Schema.String,
  input: Optional(Schema.Union([Schema.String, Schema.Array(Items.ResponsesItem)])),
  instructions: Optional(Schema.String),
  previous_response_id: Optional(Schema.String),
  conversation: Optional(Schema.Unknown),
  prompt: Optional(Schema.Unknown),
  background: Optional(Schema.Boolean),
  tools: Optional(Schema.Array(ResponsesTool)),
  tool_choice: Optional(ToolChoice.ResponsesToolChoice),
  parallel_tool_calls: Optional(Schema.Boolean),
  text: Optional(Schema.Struct({ format: Optional(ResponsesTextFormat), verbosity: Optional(Schema.String) })),
  max_output_tokens: Optional(Schema.Number),
  temperature: Optional(Schema.Number),
  top_p: Optional(Schema.Number),
  metadata: Optional(Schema.Record(Schema.String, Schema.String)),
  user: Optional(Schema.String),
  safety_identifier: Optional(Schema.String),
  reasoning: Optional(Schema.Struct({ effort: Optional(ResponsesReasoningEffort), summary: Optional(Schema.String) })),
  stream: Optional(Schema.Boolean),
  // The translation stores nothing: `store: true` is refused here (the gateway's stored responses
  // take it before), `false` (or none) is what a stateless translation does anyway.
  store: Optional(Schema.Boolean),
  // Encrypted reasoning is always returned when the provider signs its reasoning.
  include: Optional(Schema.Array(Schema.String)),
  // Only `disabled` is honoured: `auto` is refused (see `requestToCanonical`).
  truncation: Optional(Schema.Literals(["auto", "disabled"]))
}

/** An inbound request body. Unknown fields are kept, so they can be reported. */
export const ResponsesRequest = Loose(ResponsesRequestFields)
const KNOWN_FIELDS = knownKeys(ResponsesRequestFields)
export type ResponsesRequest = typeof ResponsesRequest.Type

/**
 * Fields of the Responses request that the hub does not carry, and why: they are dropped when
 * the request goes to a provider of another format (and listed in `Request.ignoredFields`).
 */
export const droppedFields: Readonly<Record<string, string>> = {
  max_tool_calls: "no other format limits the number of tool calls",
  top_logprobs: "Anthropic returns no log probabilities",
  presence_penalty: "Anthropic has no frequency or presence penalty",
  frequency_penalty: "Anthropic has no frequency or presence penalty",
  service_tier: "service tiers are provider-specific",
  prompt_cache_key: "Anthropic caches by breakpoints, not by key",
  prompt_cache_retention: "Anthropic sets cache lifetimes per breakpoint",
  stream_options: "obfuscation padding is an OpenAI feature"
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const decodeBody = decodeRequestBody("open-responses", ResponsesRequest)

/** The canonical fields a Responses caller names differently, as errors found later name them. */
const FIELD_ORIGIN: Origin = {
  [CanonicalField.responseFormat]: "text.format",
  [CanonicalField.maxTokens]: "max_output_tokens",
  [CanonicalField.reasoningEffort]: "reasoning.effort"
}

const present = <A>(value: A | null | undefined): value is A => value !== undefined && value !== null

const textFormatToCanonical = (
  format: typeof ResponsesTextFormat.Type | null | undefined
): Result.Result<ResponseFormat | undefined, UnsupportedField> => {
  if (!present(format) || format.type === "text") return Result.succeed(undefined)
  if (format.type === "json_object") {
    return unsupported("text.format", "text.format json_object cannot be translated to another API format: use json_schema")
  }
  return Result.succeed({
    _tag: "JsonSchema",
    name: format.name,
    description: format.description ?? undefined,
    schema: format.schema ?? {},
    strict: format.strict ?? undefined
  })
}

const requestToCanonical = (body: ResponsesRequest): Result.Result<Request, UnsupportedField> =>
  attempt((take) => {
    if (present(body.previous_response_id)) {
      return take(unsupported(
        "previous_response_id",
        "previous_response_id names no response Switchboard stored for this key (store: true): send the whole conversation in input, or continue a stored response"
      ))
    }
    if (present(body.conversation)) {
      return take(unsupported("conversation", "conversations are stored by the provider: send the whole conversation in input"))
    }
    if (present(body.prompt)) {
      return take(unsupported("prompt", "stored prompt templates only exist at the provider that stores them"))
    }
    if (body.background === true) {
      return take(unsupported("background", "background responses run detached and are polled, which Switchboard does not do: send the request without background"))
    }
    // Never pretend: a response echoed `store: false` after `store: true` was asked would be
    // silently lost to a client that later fetches it.
    if (body.store === true) {
      return take(unsupported("store", "store: true cannot be kept here (no response store): send store: false (or leave it out) and the whole conversation in input"))
    }
    // Auto-truncation would have to drop the oldest turns to fit the model's context, which needs
    // the context size and the model's tokenizer: neither is known here, so it is refused.
    if (body.truncation === "auto") {
      return take(unsupported("truncation", "truncation: auto is not supported for this model: Switchboard cannot tell when the conversation overflows its context; send truncation: disabled (or leave it out) and shorten the input yourself"))
    }
    const { messages, origin } = take(Items.toCanonical(body.instructions ?? undefined, body.input ?? undefined))
    const tools = !present(body.tools) ? undefined : take(Result.all(body.tools.map((tool, i) =>
      "name" in tool && tool.type === "function"
        ? Result.succeed({
          name: tool.name,
          description: tool.description ?? undefined,
          // A function without parameters takes none; the other formats want that said explicitly.
          parameters: tool.parameters ?? { type: "object", properties: {} },
          strict: tool.strict ?? undefined
        })
        : unsupported(`tools[${i}]`, `the hosted tool "${tool.type}" only runs at its provider: it cannot be sent to another API format`)
    )))
    const toolChoice = present(body.tool_choice) ? take(ToolChoice.toCanonical(body.tool_choice)) : undefined
    const effort: ReasoningEffort | undefined = body.reasoning?.effort ?? undefined
    return {
      model: body.model,
      messages,
      tools,
      toolChoice,
      parallelToolCalls: body.parallel_tool_calls ?? undefined,
      maxTokens: body.max_output_tokens ?? undefined,
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      topK: undefined,
      stopSequences: undefined,
      user: body.safety_identifier ?? body.user ?? undefined,
      metadata: body.metadata ?? undefined,
      reasoning: effort === undefined ? undefined : { effort, mode: undefined, budgetTokens: undefined },
      responseFormat: take(textFormatToCanonical(body.text?.format)),
      stream: body.stream ?? false,
      // A Responses stream always ends with usage (in `response.completed`).
      includeUsage: undefined,
      ignoredFields: unknownKeys(body, KNOWN_FIELDS),
      origin: { ...origin, ...FIELD_ORIGIN }
    }
  })

/**
 * An inbound Open Responses body (already parsed JSON) as a canonical request. Fails with
 * `InvalidRequest` when it does not follow the spec, `UnsupportedField` when it uses what no
 * other format can express (`previous_response_id`, hosted tools, file ids, …); both name the
 * field and mean HTTP 400.
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
export interface ResponsesRequestOut {
  readonly model: string
  readonly input: ReadonlyArray<Items.ResponsesItemOut>
  readonly tools?: ReadonlyArray<{
    readonly type: "function"
    readonly name: string
    readonly description?: string
    readonly parameters: object
    readonly strict: boolean
  }>
  readonly tool_choice?: ToolChoice.ResponsesToolChoiceOut
  readonly parallel_tool_calls?: boolean
  readonly max_output_tokens?: number
  readonly temperature?: number
  readonly top_p?: number
  readonly safety_identifier?: string
  readonly metadata?: { readonly [key: string]: string }
  readonly reasoning?: { readonly effort: ReasoningEffort }
  readonly text?: {
    readonly format: { readonly type: "json_schema"; readonly name: string; readonly description?: string; readonly schema: object; readonly strict?: boolean }
  }
  readonly include?: ReadonlyArray<"reasoning.encrypted_content">
  readonly store: false
  readonly stream?: true
}

/**
 * The effort to send: Anthropic's `max` is OpenAI's `xhigh`, and thinking switched off is effort
 * `none`. A thinking budget alone has no Responses counterpart and sends no setting.
 */
const effortFromCanonical = (reasoning: Request["reasoning"]): ReasoningEffort | undefined => {
  if (reasoning === undefined) return undefined
  if (reasoning.effort === "max") return "xhigh"
  return reasoning.effort ?? (reasoning.mode === "disabled" ? "none" : undefined)
}

/** The spec caps `safety_identifier` at 64 characters; longer user ids (Claude Code's) are not sent. */
export const SAFETY_IDENTIFIER_MAX = 64

/**
 * A canonical request as an Open Responses body, `store: false` (nothing is kept upstream
 * either). Function tools are sent with an explicit `strict` (OpenAI's Responses API makes
 * omitted `strict` mean true, the other formats false). With a reasoning effort, encrypted
 * reasoning is asked for (`include`), so it can be sent back in the next turn. Fails with
 * `UnsupportedField` for what it cannot take: audio, stop sequences.
 */
export const fromCanonicalResult = (request: Request): Result.Result<ResponsesRequestOut, UnsupportedField> =>
  attempt((take) => {
    if (request.stopSequences !== undefined && request.stopSequences.length > 0) {
      return take(Result.fail(
        new UnsupportedField({
          param: "stop",
          message: "Open Responses has no stop sequences (stop / stop_sequences)",
          target: "open-responses"
        })
      ))
    }
    const input = take(Items.fromCanonical(request.messages))
    const hasTools = request.tools !== undefined && request.tools.length > 0
    const format = request.responseFormat
    const effort = effortFromCanonical(request.reasoning)
    const user = request.user !== undefined && request.user.length <= SAFETY_IDENTIFIER_MAX ? request.user : undefined
    return {
      model: request.model,
      input,
      ...(hasTools
        ? {
          tools: request.tools!.map((tool) => ({
            type: "function" as const,
            name: tool.name,
            ...(tool.description !== undefined ? { description: tool.description } : {}),
            parameters: tool.parameters,
            strict: tool.strict ?? false
          }))
        }
        : {}),
      ...(request.toolChoice !== undefined ? { tool_choice: ToolChoice.fromCanonical(request.toolChoice) } : {}),
      ...(hasTools && request.parallelToolCalls !== undefined ? { parallel_tool_calls: request.parallelToolCalls } : {}),
      ...(request.maxTokens !== undefined ? { max_output_tokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { top_p: request.topP } : {}),
      ...(user !== undefined ? { safety_identifier: user } : {}),
      ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
      ...(effort !== undefined ? { reasoning: { effort } } : {}),
      ...(format !== undefined
        ? {
          text: {
            format: {
              type: "json_schema" as const,
              // OpenAI requires a name; Anthropic's output format has none.
              name: format.name ?? "response",
              ...(format.description !== undefined ? { description: format.description } : {}),
              schema: format.schema,
              ...(format.strict !== undefined ? { strict: format.strict } : {})
            }
          }
        }
        : {}),
      ...(effort !== undefined && effort !== "none" ? { include: ["reasoning.encrypted_content" as const] } : {}),
      store: false as const,
      ...(request.stream ? { stream: true as const } : {})
    }
  })

/** `fromCanonicalResult` as an Effect, for the Effect path. */
export const fromCanonical = (request: Request): Effect.Effect<ResponsesRequestOut, UnsupportedField> =>
  Effect.fromResult(fromCanonicalResult(request))
