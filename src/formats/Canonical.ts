/**
 * The hub every wire format translates through: one typed representation of a chat request, a
 * complete response and the events of a streamed response. Each format module decodes its wire
 * shape to these types and encodes from them, so N formats need 2·N translations, not N².
 *
 * Conventions:
 * - Everything is immutable data with a `_tag` (messages use `role`), so a new case is a
 *   compile error wherever an exhaustive `switch` must handle it.
 * - Fields are `undefined` when the caller (or upstream) did not say; an encoder then leaves the
 *   field out instead of inventing a value. Usage in particular is never estimated.
 * - Tool-call arguments stay the JSON text the model produced (what OpenAI carries), so nothing
 *   is re-serialised on the way through; formats that carry objects parse/stringify at the edge.
 */

import type { Origin } from "./FieldPath.ts"

// ---------------------------------------------------------------------------------------------
// Content parts
// ---------------------------------------------------------------------------------------------

/**
 * A prompt-cache breakpoint: the provider may cache the prompt up to and including this part.
 * Anthropic `cache_control: {type:"ephemeral", ttl}`, OpenAI `prompt_cache_breakpoint: {mode:"explicit"}`.
 */
export interface CacheHint {
  /** Anthropic's TTL (`5m` / `1h`); OpenAI takes its TTL from the request, not the part. */
  readonly ttl: "5m" | "1h" | undefined
}

/** Plain text. */
export interface TextPart {
  readonly _tag: "Text"
  readonly text: string
  readonly cache?: CacheHint | undefined
}

/**
 * Where an image or document comes from. Files uploaded to a provider beforehand (file ids) are
 * not here: they mean something to that provider only, and the hub only exists to cross formats.
 */
export type MediaSource =
  | { readonly _tag: "Base64"; readonly mediaType: string; readonly data: string }
  | { readonly _tag: "Url"; readonly url: string }

/** An image, inline (base64) or by URL. */
export interface ImagePart {
  readonly _tag: "Image"
  readonly source: MediaSource
  /** OpenAI's resolution hint; Anthropic has none. */
  readonly detail?: "auto" | "low" | "high" | undefined
  readonly cache?: CacheHint | undefined
}

/** A document (PDF or plain text): OpenAI `file` part, Anthropic `document` block. */
export interface DocumentPart {
  readonly _tag: "Document"
  readonly source: MediaSource | { readonly _tag: "Text"; readonly text: string }
  readonly filename?: string | undefined
  /** Anthropic-only metadata shown to the model. */
  readonly title?: string | undefined
  readonly context?: string | undefined
  readonly cache?: CacheHint | undefined
}

/** Audio input (OpenAI `input_audio`); Anthropic has no equivalent. */
export interface AudioPart {
  readonly _tag: "Audio"
  readonly data: string
  readonly format: string
}

/** Visible reasoning ("thinking"), with the provider's signature when it signs it. */
export interface ReasoningPart {
  readonly _tag: "Reasoning"
  readonly text: string
  /** Opaque; must go back to the provider unmodified in the next turn. */
  readonly signature: string | undefined
}

/** Reasoning the provider returns encrypted (Anthropic `redacted_thinking`). */
export interface RedactedReasoningPart {
  readonly _tag: "RedactedReasoning"
  readonly data: string
}

/** A call of a client-side function tool. */
export interface ToolCallPart {
  readonly _tag: "ToolCall"
  readonly id: string
  readonly name: string
  /** The arguments as JSON text, exactly as the model produced them. */
  readonly arguments: string
}

/** OpenAI's refusal text (an assistant part); Anthropic signals refusal with a stop reason only. */
export interface RefusalPart {
  readonly _tag: "Refusal"
  readonly text: string
}

/** What a user turn may contain. */
export type UserPart = TextPart | ImagePart | DocumentPart | AudioPart

/** What an assistant turn may contain, in the order the model produced it. */
export type AssistantPart = TextPart | ReasoningPart | RedactedReasoningPart | ToolCallPart | RefusalPart

/** What a tool result may contain. */
export type ToolResultPart = TextPart | ImagePart | DocumentPart

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/**
 * Instructions. Several may appear, anywhere in the conversation; their order is kept.
 * `developer` is OpenAI's newer name for system instructions.
 */
export interface SystemMessage {
  readonly role: "system"
  readonly kind: "system" | "developer"
  readonly content: ReadonlyArray<TextPart>
}

export interface UserMessage {
  readonly role: "user"
  readonly content: ReadonlyArray<UserPart>
  /** OpenAI participant name; Anthropic has none. */
  readonly name?: string | undefined
}

export interface AssistantMessage {
  readonly role: "assistant"
  readonly content: ReadonlyArray<AssistantPart>
  readonly name?: string | undefined
}

/** The result of one tool call: an OpenAI `tool` message, an Anthropic `tool_result` block. */
export interface ToolMessage {
  readonly role: "tool"
  readonly toolCallId: string
  readonly content: ReadonlyArray<ToolResultPart>
  /** Anthropic `is_error`; OpenAI cannot say it. */
  readonly isError: boolean | undefined
  readonly cache?: CacheHint | undefined
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage

// ---------------------------------------------------------------------------------------------
// Tools, sampling, request
// ---------------------------------------------------------------------------------------------

/** A client-side function tool. */
export interface FunctionTool {
  readonly name: string
  readonly description: string | undefined
  /** JSON Schema of the arguments object. */
  readonly parameters: { readonly [key: string]: unknown }
  /** OpenAI strict mode / Anthropic `strict`. */
  readonly strict: boolean | undefined
  readonly cache?: CacheHint | undefined
}

/**
 * OpenAI `tool_choice` / Anthropic `tool_choice` (required ↔ any, named ↔ tool). `Allowed` limits
 * the model to some of the tools without taking the others out of the request (OpenAI's
 * `allowed_tools`, which keeps the prompt cache): `auto` may call one of them, `required` must.
 * Anthropic has no such choice: its encoder sends only the allowed tools.
 */
export type ToolChoice =
  | { readonly _tag: "Auto" }
  | { readonly _tag: "None" }
  | { readonly _tag: "Required" }
  | { readonly _tag: "Named"; readonly name: string }
  | { readonly _tag: "Allowed"; readonly mode: "auto" | "required"; readonly names: ReadonlyArray<string> }

/** OpenAI `reasoning_effort`, Anthropic `output_config.effort`. */
export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max"

/** How much the model should reason. */
export interface ReasoningConfig {
  readonly effort: ReasoningEffort | undefined
  /** Anthropic `thinking.type`. */
  readonly mode: "enabled" | "adaptive" | "disabled" | undefined
  /** Anthropic `thinking.budget_tokens`. */
  readonly budgetTokens: number | undefined
}

/** Structured output: a JSON Schema the answer must follow. */
export interface ResponseFormat {
  readonly _tag: "JsonSchema"
  readonly name: string | undefined
  readonly description: string | undefined
  readonly schema: { readonly [key: string]: unknown }
  readonly strict: boolean | undefined
}

/** A chat request, whatever format it came in. */
export interface Request {
  readonly model: string
  readonly messages: ReadonlyArray<Message>
  readonly tools: ReadonlyArray<FunctionTool> | undefined
  readonly toolChoice: ToolChoice | undefined
  /** `false` forbids several tool calls in one turn (Anthropic `disable_parallel_tool_use`). */
  readonly parallelToolCalls: boolean | undefined
  readonly maxTokens: number | undefined
  readonly temperature: number | undefined
  readonly topP: number | undefined
  /** Anthropic (and some OpenAI-compatible hosts) only. */
  readonly topK: number | undefined
  readonly stopSequences: ReadonlyArray<string> | undefined
  /** An end-user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user: string | undefined
  /** OpenAI's key/value `metadata`; Anthropic has no equivalent. */
  readonly metadata: { readonly [key: string]: string } | undefined
  readonly reasoning: ReasoningConfig | undefined
  readonly responseFormat: ResponseFormat | undefined
  readonly stream: boolean
  /** OpenAI `stream_options.include_usage`: whether the caller wants a usage chunk. */
  readonly includeUsage: boolean | undefined
  /**
   * Top-level fields of the inbound request the hub has no place for (provider extensions,
   * newer fields): they cannot reach a provider of another format. Kept for logs and errors.
   */
  readonly ignoredFields: ReadonlyArray<string>
  /**
   * Where the messages, parts and fields came from in the caller's body, when its format names
   * them differently from the hub (`FieldPath.ts`): errors found later name the caller's fields.
   */
  readonly origin?: Origin | undefined
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/**
 * Why the model stopped. Unknown upstream values are `other` (with the raw value in
 * `Finish.raw`), never mistaken for a normal end.
 */
export type StopReason =
  | "end_turn"
  | "stop_sequence"
  | "max_tokens"
  | "tool_calls"
  | "content_filter"
  /** Anthropic `pause_turn`: a long server-side turn paused; the caller may continue it. */
  | "pause"
  /** Anthropic `model_context_window_exceeded`. */
  | "context_window_exceeded"
  | "other"

/** The end of a response. */
export interface Finish {
  readonly reason: StopReason
  /** The upstream's own word for it (`end_turn`, `stop`, …), for `other` and for logs. */
  readonly raw: string | undefined
  /** Which stop sequence matched, when the upstream says (Anthropic `stop_sequence`). */
  readonly stopSequence: string | undefined
}

/**
 * Token usage as the upstream reported it. `inputTokens` counts every prompt token, cache reads
 * and writes included (OpenAI's `prompt_tokens`; Anthropic's `input_tokens` is the uncached
 * remainder and is converted at the edge).
 */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
  /** Prompt tokens read from the cache. */
  readonly cachedInputTokens: number | undefined
  /** Prompt tokens written to the cache. */
  readonly cacheWriteInputTokens: number | undefined
  /** Output tokens spent on reasoning (included in `outputTokens`). */
  readonly reasoningTokens: number | undefined
}

/** A complete (non-streamed) response. */
export interface Response {
  readonly id: string
  readonly model: string
  /** Unix seconds, when the upstream says. */
  readonly created: number | undefined
  readonly content: ReadonlyArray<AssistantPart>
  readonly finish: Finish
  readonly usage: Usage | undefined
}

// ---------------------------------------------------------------------------------------------
// Stream events
// ---------------------------------------------------------------------------------------------

/** What kind of content block a stream opens. */
export type BlockKind =
  | { readonly _tag: "Text" }
  | { readonly _tag: "Reasoning" }
  | { readonly _tag: "RedactedReasoning"; readonly data: string }
  | { readonly _tag: "ToolCall"; readonly id: string; readonly name: string }
  | { readonly _tag: "Refusal" }

/** An increment of an open block. */
export type BlockDelta =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Reasoning"; readonly text: string }
  | { readonly _tag: "Signature"; readonly signature: string }
  | { readonly _tag: "ToolArguments"; readonly json: string }
  | { readonly _tag: "Refusal"; readonly text: string }

/** Error categories both formats can name. */
export type ErrorKind =
  | "invalid_request"
  | "authentication"
  | "permission"
  | "not_found"
  | "rate_limit"
  | "overloaded"
  | "timeout"
  | "server"

/** A failure reported after the response started. */
export interface StreamError {
  readonly kind: ErrorKind
  readonly message: string
}

/**
 * One event of a streamed response. Blocks are numbered in the order they start; several may be
 * open at once (parallel tool calls whose argument deltas interleave), so every delta names its
 * block. `Finish` is the last event of a successful stream, `Error` of a failed one.
 */
export type StreamEvent =
  | {
    readonly _tag: "Start"
    readonly id: string
    readonly model: string
    readonly created: number | undefined
    /** Prompt usage known at the start (Anthropic `message_start`). */
    readonly usage: Usage | undefined
  }
  | { readonly _tag: "BlockStart"; readonly index: number; readonly block: BlockKind }
  | { readonly _tag: "BlockDelta"; readonly index: number; readonly delta: BlockDelta }
  | { readonly _tag: "BlockStop"; readonly index: number }
  | { readonly _tag: "Finish"; readonly finish: Finish; readonly usage: Usage | undefined }
  | { readonly _tag: "Error"; readonly error: StreamError }
  /** A keep-alive (Anthropic `ping`); carries nothing. */
  | { readonly _tag: "KeepAlive" }

/** A stream error event, e.g. for the HTTP layer to append when an upstream stalls past its timeout. */
export const streamError = (kind: ErrorKind, message: string): StreamEvent => ({ _tag: "Error", error: { kind, message } })

/**
 * An upstream stream failure (transport error, idle timeout) delivered in-band to a decoder, so
 * the caller's stream ends with that error rather than with "the upstream closed early".
 */
export interface UpstreamFailure {
  readonly _tag: "UpstreamFailure"
  readonly error: StreamError
}
