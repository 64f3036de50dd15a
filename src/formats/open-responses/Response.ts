/**
 * Open Responses `ResponseResource` (non-streamed) ↔ canonical response.
 *
 * The spec requires every field of a ResponseResource, nullable ones present as `null`, and
 * several of them echo the request (tools, tool_choice, sampling, limits, text format). The
 * encoder takes them from the canonical request when the HTTP layer passes it (`request`), and
 * otherwise writes the spec's defaults. Output items are built here and shared with the stream
 * encoder, so a streamed response ends with exactly the items a non-streamed one would hold.
 *
 * @see https://www.openresponses.org/reference (ResponseResource)
 */
import { Effect, Result, Schema } from "effect"
import type { AssistantPart, Finish, Request, Response, StreamError, Usage } from "../Canonical.ts"
import { canonicalPath } from "../FieldPath.ts"
import { decodeUpstreamBody, InvalidUpstreamBody } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"
import type { ResponsesAssistantPartOut } from "./Content.ts"
import * as ErrorType from "./ErrorType.ts"
import { type ReasoningFields, reasoningToCanonical } from "./Items.ts"
import * as Status from "./Status.ts"
import * as ToolChoice from "./ToolChoice.ts"
import * as ResponsesUsage from "./Usage.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

const ReasoningText = Schema.Struct({ type: Schema.String, text: Schema.String })

/** An output item, leniently; hosted-tool calls and the like are other. */
export const ResponsesOutputItem = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("message"),
    id: OptionalString,
    content: Schema.Array(Schema.Union([
      Schema.Struct({ type: Schema.Literal("output_text"), text: Schema.String }),
      Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String }),
      OtherType(["output_text", "refusal"])
    ]))
  }),
  Schema.Struct({
    type: Schema.Literal("function_call"),
    id: OptionalString,
    call_id: Schema.String,
    name: Schema.String,
    arguments: Schema.optionalKey(Schema.NullOr(Schema.String))
  }),
  Schema.Struct({
    type: Schema.Literal("reasoning"),
    id: OptionalString,
    summary: Schema.optionalKey(Schema.NullOr(Schema.Array(ReasoningText))),
    content: Schema.optionalKey(Schema.NullOr(Schema.Array(ReasoningText))),
    encrypted_content: OptionalString
  }),
  OtherType(["message", "function_call", "reasoning"])
])
export type ResponsesOutputItem = typeof ResponsesOutputItem.Type

/** A ResponseResource as upstreams send it, leniently where implementations differ. */
export const ResponsesResponse = Schema.Struct({
  id: Schema.String,
  model: Schema.optionalKey(Schema.NullOr(Schema.String)),
  created_at: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  status: Schema.optionalKey(Schema.NullOr(Schema.String)),
  incomplete_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ reason: OptionalString }))),
  output: Schema.optionalKey(Schema.NullOr(Schema.Array(ResponsesOutputItem))),
  error: Schema.optionalKey(Schema.NullOr(Schema.Struct({ code: OptionalString, message: OptionalString, type: OptionalString }))),
  usage: Schema.optionalKey(Schema.NullOr(ResponsesUsage.ResponsesUsage))
})
export type ResponsesResponse = typeof ResponsesResponse.Type

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** An output item as canonical parts; items only the provider understands (hosted tools) are left out. */
export const itemToCanonical = (item: ResponsesOutputItem): ReadonlyArray<AssistantPart> => {
  switch (item.type) {
    case "message":
      return "content" in item && Array.isArray(item.content)
        ? item.content.flatMap((part): ReadonlyArray<AssistantPart> =>
          "text" in part ? [{ _tag: "Text", text: part.text }] : "refusal" in part ? [{ _tag: "Refusal", text: part.refusal }] : []
        )
        : []
    case "function_call":
      return "call_id" in item ? [{ _tag: "ToolCall", id: item.call_id, name: item.name, arguments: item.arguments ?? "" }] : []
    case "reasoning":
      return reasoningToCanonical(item as ReasoningFields)
    default:
      return []
  }
}

/** The finish of a whole response: its status, and whether it called tools. */
export const finishOf = (status: string | null | undefined, reason: string | null | undefined, content: ReadonlyArray<AssistantPart>): Finish =>
  Status.toCanonical(status ?? "completed", reason, content.some((part) => part._tag === "ToolCall"))

/** The canonical error of a failed response. */
export const errorOf = (error: ResponsesResponse["error"]): StreamError => ({
  kind: ErrorType.toCanonical(error?.type, error?.code),
  message: error?.message ?? "the upstream response failed"
})

const decodeBody = decodeUpstreamBody("open-responses", ResponsesResponse)

/**
 * An Open Responses upstream's response (parsed JSON) as a canonical response. A `failed`
 * response is an upstream failure: `InvalidUpstreamBody` with the upstream's message.
 */
export const toCanonicalResult = (body: unknown): Result.Result<Response, InvalidUpstreamBody> =>
  Result.flatMap(decodeBody(body), (response) => {
    if (response.status === "failed") {
      return Result.fail(
        new InvalidUpstreamBody({ format: "open-responses", message: `the upstream response failed: ${errorOf(response.error).message}` })
      )
    }
    const content = (response.output ?? []).flatMap(itemToCanonical)
    return Result.succeed({
      id: response.id,
      model: response.model ?? "unknown",
      created: response.created_at ?? undefined,
      content,
      finish: finishOf(response.status, response.incomplete_details?.reason, content),
      usage: response.usage ? ResponsesUsage.toCanonical(response.usage) : undefined
    })
  })

/** `toCanonicalResult` as an Effect, for the Effect path. */
export const toCanonical = (body: unknown): Effect.Effect<Response, InvalidUpstreamBody> =>
  Effect.fromResult(toCanonicalResult(body))

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

export type ItemStatus = Status.ItemStatus

export interface ReasoningTextOut {
  readonly type: "reasoning_text"
  readonly text: string
}

/** An output item as we write it (every field the spec's ItemField requires). */
export type ResponsesOutputItemOut =
  | {
    readonly type: "message"
    readonly id: string
    readonly status: ItemStatus
    readonly role: "assistant"
    readonly content: ReadonlyArray<ResponsesAssistantPartOut>
  }
  | {
    readonly type: "function_call"
    readonly id: string
    readonly call_id: string
    readonly name: string
    readonly arguments: string
    readonly status: ItemStatus
  }
  | {
    readonly type: "reasoning"
    readonly id: string
    readonly status: ItemStatus
    readonly summary: ReadonlyArray<never>
    readonly content?: ReadonlyArray<ReasoningTextOut>
    readonly encrypted_content?: string
  }

/** The request parameters a ResponseResource echoes. */
export interface ResponseEchoOut {
  readonly instructions: string | null
  readonly tools: ReadonlyArray<{
    readonly type: "function"
    readonly name: string
    readonly description: string | null
    readonly parameters: object | null
    readonly strict: boolean | null
  }>
  readonly tool_choice: ToolChoice.ResponsesToolChoiceOut
  readonly truncation: "disabled"
  readonly parallel_tool_calls: boolean
  readonly text: {
    readonly format:
      | { readonly type: "text" }
      | {
        readonly type: "json_schema"
        readonly name: string
        readonly description: string | null
        readonly schema: object
        readonly strict: boolean
      }
  }
  readonly top_p: number
  readonly presence_penalty: number
  readonly frequency_penalty: number
  readonly top_logprobs: number
  readonly temperature: number
  readonly reasoning: { readonly effort: string | null; readonly summary: null } | null
  readonly max_output_tokens: number | null
  readonly max_tool_calls: null
  readonly store: false
  readonly background: false
  readonly service_tier: "default"
  readonly metadata: { readonly [key: string]: string }
  readonly safety_identifier: string | null
  readonly prompt_cache_key: null
}

/** A ResponseResource as we return it: every field the spec requires. */
export interface ResponsesResponseOut extends ResponseEchoOut {
  readonly id: string
  readonly object: "response"
  readonly created_at: number
  readonly completed_at: number | null
  readonly status: "in_progress" | "completed" | "incomplete" | "failed"
  readonly incomplete_details: { readonly reason: string } | null
  readonly model: string
  readonly previous_response_id: null
  readonly output: ReadonlyArray<ResponsesOutputItemOut>
  readonly error: ErrorType.ResponsesResponseErrorOut | null
  readonly usage: ResponsesUsage.ResponsesUsageOut | null
}

/**
 * The caller's `instructions`: the canonical request's leading system message when its origin
 * says it came from them (`Items.toCanonical` records it), else `null` (none were sent).
 */
export const instructionsOf = (request: Request | undefined): string | null => {
  const first = request?.messages[0]
  return first?.role === "system" && request?.origin?.[canonicalPath(0)] === "instructions"
    ? first.content.map((part) => part.text).join("")
    : null
}

/**
 * The echoed parameters for a canonical request (the spec's defaults without one): what was
 * honoured. Nothing is stored (`store: true` is refused), so `store` is false; only
 * `truncation: "disabled"` is served (`auto` is refused).
 */
export const echoOf = (request: Request | undefined): ResponseEchoOut => {
  const format = request?.responseFormat
  return {
    instructions: instructionsOf(request),
    tools: (request?.tools ?? []).map((tool) => ({
      type: "function",
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters,
      strict: tool.strict ?? null
    })),
    tool_choice: request?.toolChoice !== undefined ? ToolChoice.fromCanonical(request.toolChoice) : "auto",
    truncation: "disabled",
    parallel_tool_calls: request?.parallelToolCalls ?? true,
    text: {
      format: format === undefined
        ? { type: "text" }
        : { type: "json_schema", name: format.name ?? "response", description: format.description ?? null, schema: format.schema, strict: format.strict ?? false }
    },
    top_p: request?.topP ?? 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    top_logprobs: 0,
    temperature: request?.temperature ?? 1,
    reasoning: request?.reasoning !== undefined ? { effort: request.reasoning.effort ?? null, summary: null } : null,
    max_output_tokens: request?.maxTokens ?? null,
    max_tool_calls: null,
    store: false,
    background: false,
    service_tier: "default",
    metadata: request?.metadata ?? {},
    safety_identifier: request?.user ?? null,
    prompt_cache_key: null
  }
}

/** What the encoders need besides the response. */
export interface EncodeResponseOptions {
  /** Now, in Unix seconds: `created_at` when the upstream gave none, and `completed_at`. */
  readonly created: number
  /** The canonical request, whose parameters the response echoes; the spec's defaults without it. */
  readonly request?: Request | undefined
}

/** Output item ids, derived from the response id and the item's position, so they are stable. */
export const itemId = (prefix: "msg" | "fc" | "rs", responseId: string, outputIndex: number): string =>
  `${prefix}_${responseId.replace(/[^a-zA-Z0-9]/g, "")}_${outputIndex}`

/** Canonical parts as output items: consecutive text and refusals share one message item. */
export const itemsFromCanonical = (responseId: string, content: ReadonlyArray<AssistantPart>): ReadonlyArray<ResponsesOutputItemOut> => {
  const items: Array<ResponsesOutputItemOut> = []
  let message: Array<ResponsesAssistantPartOut> = []
  const flush = () => {
    if (message.length > 0) {
      items.push({ type: "message", id: itemId("msg", responseId, items.length), status: "completed", role: "assistant", content: message })
    }
    message = []
  }
  for (const part of content) {
    switch (part._tag) {
      case "Text":
        message.push({ type: "output_text", text: part.text, annotations: [] })
        break
      case "Refusal":
        message.push({ type: "refusal", refusal: part.text })
        break
      case "Reasoning":
        flush()
        items.push({
          type: "reasoning",
          id: itemId("rs", responseId, items.length),
          status: "completed",
          summary: [],
          content: [{ type: "reasoning_text", text: part.text }],
          ...(part.signature !== undefined ? { encrypted_content: part.signature } : {})
        })
        break
      case "RedactedReasoning":
        flush()
        items.push({ type: "reasoning", id: itemId("rs", responseId, items.length), status: "completed", summary: [], encrypted_content: part.data })
        break
      case "ToolCall":
        flush()
        items.push({
          type: "function_call",
          id: itemId("fc", responseId, items.length),
          call_id: part.id,
          name: part.name,
          arguments: part.arguments,
          status: "completed"
        })
        break
    }
  }
  flush()
  return items
}

/** A whole ResponseResource from its parts; the stream encoder builds its lifecycle events with it too. */
export const resource = (fields: {
  readonly id: string
  readonly model: string
  readonly createdAt: number
  /** When it finished, for `completed_at` (written only for a completed response). */
  readonly completedAt: number
  readonly status: ResponsesResponseOut["status"]
  readonly incompleteDetails: { readonly reason: string } | null
  readonly output: ReadonlyArray<ResponsesOutputItemOut>
  readonly error: StreamError | null
  readonly usage: Usage | undefined
  readonly echo: ResponseEchoOut
}): ResponsesResponseOut => ({
  id: fields.id,
  object: "response",
  created_at: fields.createdAt,
  completed_at: fields.status === "completed" ? fields.completedAt : null,
  status: fields.status,
  incomplete_details: fields.incompleteDetails,
  model: fields.model,
  previous_response_id: null,
  ...fields.echo,
  output: fields.output,
  error: fields.error !== null ? ErrorType.responseErrorFromCanonical(fields.error) : null,
  usage: fields.usage !== undefined ? ResponsesUsage.fromCanonical(fields.usage) : null
})

/** A canonical response as a complete ResponseResource. */
export const fromCanonical = (response: Response, options: EncodeResponseOptions): ResponsesResponseOut => {
  const { status, incomplete_details } = Status.fromCanonical(response.finish)
  const items = itemsFromCanonical(response.id, response.content)
  return resource({
    id: response.id,
    model: response.model,
    createdAt: response.created ?? options.created,
    completedAt: Math.max(options.created, response.created ?? 0),
    status,
    incompleteDetails: incomplete_details,
    // Every item of a whole response ends with it: the one an incomplete response stopped in is incomplete.
    // (A completed response's items are all completed as made: nothing to copy.)
    output: status === "completed" ? items : Status.unfinishedItemStatuses(status, items.length).map((itemStatus, i) => ({ ...items[i]!, status: itemStatus })),
    error: null,
    usage: response.usage,
    echo: echoOf(options.request)
  })
}
