/**
 * Anthropic Messages request ↔ canonical request.
 *
 * Decoding is for inbound `POST /v1/messages` bodies (Claude Code, `@anthropic-ai/sdk`) headed for
 * a provider of another format; encoding is for canonical requests headed for an Anthropic
 * provider. (Anthropic to Anthropic is passed through untouched.)
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
import { Effect, Result, Schema } from "effect"
import type { ReasoningConfig, ReasoningEffort, Request, ResponseFormat } from "../Canonical.ts"
import { decodeRequestBody, type InvalidRequest, UnsupportedField } from "../FormatError.ts"
import { JsonObject, knownKeys, Loose, OtherType, unknownKeys } from "../WireSchema.ts"
import { type AnthropicBlockOut, cacheControlOf, type CacheControlOut, cacheOf } from "./Content.ts"
import * as Messages from "./Messages.ts"
import * as ToolChoice from "./ToolChoice.ts"
import { attempt } from "../Attempt.ts"

/**
 * The `max_tokens` sent when the caller set no limit (Anthropic requires one). 4096 is the
 * smallest output limit of any Claude model still served, so it never exceeds a model's limit.
 */
export const DEFAULT_MAX_TOKENS = 4096

const Optional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

const CacheControl = Optional(Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optionalKey(Schema.Literals(["5m", "1h"]))
}))

/** A client tool, or (second member) a server tool / toolset, which only Anthropic can run. */
export const AnthropicTool = Schema.Union([
  Schema.Struct({
    name: Schema.String,
    input_schema: JsonObject,
    description: Schema.optionalKey(Schema.String),
    type: Optional(Schema.Literal("custom")),
    strict: Optional(Schema.Boolean),
    cache_control: CacheControl
  }),
  OtherType(["custom"])
])

export const AnthropicThinking = Schema.Union([
  Schema.Struct({ type: Schema.Literal("enabled"), budget_tokens: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("adaptive") }),
  Schema.Struct({ type: Schema.Literal("disabled") }),
  OtherType(["enabled", "adaptive", "disabled"])
])

export const AnthropicEffort = Schema.Literals(["low", "medium", "high", "xhigh", "max"])

export const AnthropicOutputConfig = Schema.Struct({
  effort: Optional(AnthropicEffort),
  format: Optional(Schema.Struct({ type: Schema.Literal("json_schema"), schema: JsonObject }))
})

/** The fields of a request this module reads; everything else is reported in `ignoredFields`. */
export const AnthropicRequestFields = {
  model: Schema.String,
  messages: Schema.Array(Messages.AnthropicMessage),
  max_tokens: Schema.Number,
  system: Schema.optionalKey(Messages.AnthropicSystem),
  stop_sequences: Optional(Schema.Array(Schema.String)),
  stream: Optional(Schema.Boolean),
  temperature: Optional(Schema.Number),
  top_p: Optional(Schema.Number),
  top_k: Optional(Schema.Number),
  metadata: Optional(Schema.Struct({ user_id: Optional(Schema.String) })),
  tools: Optional(Schema.Array(AnthropicTool)),
  tool_choice: Optional(ToolChoice.AnthropicToolChoice),
  thinking: Optional(AnthropicThinking),
  output_config: Optional(AnthropicOutputConfig)
}

/** An inbound request body. Unknown fields are kept, so they can be reported. */
export const AnthropicRequest = Loose(AnthropicRequestFields)
const KNOWN_FIELDS = knownKeys(AnthropicRequestFields)
export type AnthropicRequest = typeof AnthropicRequest.Type

/** Fields of the Anthropic request that the hub does not carry, and why. */
export const droppedFields: Readonly<Record<string, string>> = {
  cache_control: "top-level automatic caching has no OpenAI counterpart (block-level cache_control is kept)",
  container: "code-execution containers are an Anthropic feature",
  context_management: "server-side context editing is an Anthropic feature",
  mcp_servers: "remote MCP servers are run by Anthropic",
  service_tier: "service tiers are provider-specific",
  inference_geo: "inference regions are an Anthropic feature",
  speed: "fast mode is an Anthropic feature",
  diagnostics: "request diagnostics are an Anthropic feature",
  user_profile_id: "user profiles are an Anthropic feature",
  workspace_id: "workspaces are an Anthropic feature"
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const decodeBody = decodeRequestBody("anthropic-messages", AnthropicRequest)

const reasoningToCanonical = (body: AnthropicRequest): ReasoningConfig | undefined => {
  const thinking = body.thinking ?? undefined
  let mode: ReasoningConfig["mode"]
  let budgetTokens: number | undefined
  if (thinking !== undefined && "budget_tokens" in thinking && typeof thinking.budget_tokens === "number") {
    mode = "enabled"
    budgetTokens = thinking.budget_tokens
  } else if (thinking?.type === "adaptive" || thinking?.type === "disabled") {
    mode = thinking.type
  }
  const effort = body.output_config?.effort ?? undefined
  if (mode === undefined && effort === undefined) return undefined
  return { effort, mode, budgetTokens }
}

const requestToCanonical = (body: AnthropicRequest): Result.Result<Request, UnsupportedField> =>
  attempt((take) => {
    const messages = take(Messages.toCanonical(body.system, body.messages))
    const tools = body.tools === null || body.tools === undefined ? undefined : take(Result.all(body.tools.map((tool, i) =>
      "input_schema" in tool
        ? Result.succeed({
          name: tool.name,
          description: tool.description,
          parameters: tool.input_schema,
          strict: tool.strict ?? undefined,
          ...cacheOf(tool.cache_control)
        })
        : Result.fail(
          new UnsupportedField({
            param: `tools[${i}]`,
            message: `the Anthropic server tool "${tool.type}" only runs on Anthropic: it cannot be sent to another API format`
          })
        )
    )))
    const choice = body.tool_choice ? ToolChoice.toCanonical(body.tool_choice) : undefined
    const format = body.output_config?.format ?? undefined
    const responseFormat: ResponseFormat | undefined = format === undefined
      ? undefined
      : { _tag: "JsonSchema", name: undefined, description: undefined, schema: format.schema, strict: undefined }
    return {
      model: body.model,
      messages,
      tools,
      toolChoice: choice?.toolChoice,
      parallelToolCalls: choice?.parallelToolCalls,
      maxTokens: body.max_tokens,
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      topK: body.top_k ?? undefined,
      stopSequences: body.stop_sequences ?? undefined,
      user: body.metadata?.user_id ?? undefined,
      metadata: undefined,
      reasoning: reasoningToCanonical(body),
      responseFormat,
      stream: body.stream ?? false,
      // Anthropic streams always end with usage; the OpenAI upstream request asks for it anyway.
      includeUsage: undefined,
      ignoredFields: unknownKeys(body, KNOWN_FIELDS)
    }
  })

/**
 * An inbound Anthropic Messages body (already parsed JSON) as a canonical request. Accepts
 * `role: "system"` messages (as `@anthropic-ai/sdk` 1.x sends them). Fails with `InvalidRequest`
 * when it does not follow the spec, `UnsupportedField` when it uses what no other format can
 * express (server tools, file ids, …); both name the field and mean HTTP 400.
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
export interface AnthropicRequestOut {
  readonly model: string
  readonly max_tokens: number
  readonly system?: ReadonlyArray<AnthropicBlockOut>
  readonly messages: ReadonlyArray<Messages.AnthropicMessageOut>
  readonly tools?: ReadonlyArray<{
    readonly name: string
    readonly description?: string
    readonly input_schema: object
    readonly strict?: boolean
    readonly cache_control?: CacheControlOut
  }>
  readonly tool_choice?: ToolChoice.AnthropicToolChoice
  readonly temperature?: number
  readonly top_p?: number
  readonly top_k?: number
  readonly stop_sequences?: ReadonlyArray<string>
  readonly metadata?: { readonly user_id: string }
  readonly thinking?: { readonly type: "enabled"; readonly budget_tokens: number } | { readonly type: "adaptive" | "disabled" }
  readonly output_config?: {
    readonly effort?: typeof AnthropicEffort.Type
    readonly format?: { readonly type: "json_schema"; readonly schema: object }
  }
  readonly stream?: true
}

export interface EncodeRequestOptions {
  /** `max_tokens` when the request has none; default `DEFAULT_MAX_TOKENS`. */
  readonly defaultMaxTokens?: number | undefined
}

const thinkingFromCanonical = (reasoning: ReasoningConfig | undefined): AnthropicRequestOut["thinking"] => {
  switch (reasoning?.mode) {
    case "enabled":
      return reasoning.budgetTokens !== undefined ? { type: "enabled", budget_tokens: reasoning.budgetTokens } : { type: "adaptive" }
    case "adaptive":
    case "disabled":
      return { type: reasoning.mode }
    case undefined:
      // OpenAI's "no reasoning" is the one effort Anthropic expresses as a thinking setting.
      return reasoning?.effort === "none" ? { type: "disabled" } : undefined
  }
}

/** OpenAI's `minimal` is Anthropic's `low`; `none` is said with `thinking` instead. */
const effortFromCanonical = (effort: ReasoningEffort | undefined): typeof AnthropicEffort.Type | undefined => {
  switch (effort) {
    case undefined:
    case "none":
      return undefined
    case "minimal":
      return "low"
    default:
      return effort
  }
}

/**
 * A canonical request as an Anthropic Messages body. `max_tokens` defaults to
 * `DEFAULT_MAX_TOKENS`. Fails with `UnsupportedField` for what Anthropic cannot take (audio,
 * a temperature above 1, tool arguments that are not a JSON object).
 */
export const fromCanonicalResult = (
  request: Request,
  options: EncodeRequestOptions = {}
): Result.Result<AnthropicRequestOut, UnsupportedField> =>
  attempt((take) => {
    if (request.temperature !== undefined && request.temperature > 1) {
      return take(Result.fail(
        new UnsupportedField({
          param: "temperature",
          message: `temperature ${request.temperature} is above Anthropic's maximum of 1`,
          target: "anthropic-messages"
        })
      ))
    }
    const { messages, system } = take(Messages.fromCanonical(request.messages))
    const tools = take(ToolChoice.toolsFor(request.tools ?? [], request.toolChoice))
    const hasTools = tools.length > 0
    const toolChoice = hasTools || request.toolChoice?._tag === "None"
      ? ToolChoice.fromCanonical(request.toolChoice, request.parallelToolCalls)
      : undefined
    const thinking = thinkingFromCanonical(request.reasoning)
    const effort = effortFromCanonical(request.reasoning?.effort)
    const format = request.responseFormat
    const outputConfig = {
      ...(effort !== undefined ? { effort } : {}),
      ...(format !== undefined ? { format: { type: "json_schema" as const, schema: format.schema } } : {})
    }
    return {
      model: request.model,
      max_tokens: request.maxTokens ?? options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
      ...(system !== undefined ? { system } : {}),
      messages,
      ...(hasTools
        ? {
          tools: tools.map((tool) => ({
            name: tool.name,
            ...(tool.description !== undefined ? { description: tool.description } : {}),
            // Anthropic requires an object schema; OpenAI lets `type` be implied.
            input_schema: "type" in tool.parameters ? tool.parameters : { type: "object", ...tool.parameters },
            ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
            ...cacheControlOf(tool.cache)
          }))
        }
        : {}),
      ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { top_p: request.topP } : {}),
      ...(request.topK !== undefined ? { top_k: request.topK } : {}),
      ...(request.stopSequences !== undefined && request.stopSequences.length > 0 ? { stop_sequences: request.stopSequences } : {}),
      ...(request.user !== undefined ? { metadata: { user_id: request.user } } : {}),
      ...(thinking !== undefined ? { thinking } : {}),
      ...(Object.keys(outputConfig).length > 0 ? { output_config: outputConfig } : {}),
      ...(request.stream ? { stream: true as const } : {})
    }
  })

/** `fromCanonicalResult` as an Effect, for the Effect path. */
export const fromCanonical = (
  request: Request,
  options: EncodeRequestOptions = {}
): Effect.Effect<AnthropicRequestOut, UnsupportedField> =>
  Effect.fromResult(fromCanonicalResult(request, options))
