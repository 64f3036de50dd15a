/**
 * `POST /v1/responses/compact` done by Switchboard with the model itself, for providers that do
 * not speak Open Responses (OpenAI Chat, Anthropic Messages, local models): the conversation
 * (`instructions` + `input`) is sent to the model with a last user message asking it to
 * summarise, and its answer becomes the spec's compacted window — the conversation's user
 * messages as given, then one `compaction` item whose `encrypted_content` carries the summary
 * (`CompactionContent.ts`: Switchboard has no key to encrypt it with). A later `/v1/responses`
 * request that starts from that window gives the model the summary in place of the turns it
 * replaces (`Items.toCanonical`).
 *
 * Stateless like the rest of the translation: `previous_response_id` needs a stored response,
 * and is refused with a 400 naming it.
 *
 * @see ../shared/specs/openresponses/openapi.json `CompactResponseMethodPublicBody`, `CompactResource`
 * @see ../shared/specs/openresponses/docs/2026-04-24.mdx "WebSocket Compaction"
 */
import { Predicate, Result, Schema } from "effect"
import type { Message, Request, Response } from "../Canonical.ts"
import { decodeRequestBody, InvalidRequest, InvalidUpstreamBody, unsupported, type UnsupportedField } from "../FormatError.ts"
import { knownKeys, Loose, unknownKeys } from "../WireSchema.ts"
import { attempt } from "../Attempt.ts"
import * as CompactionContent from "./CompactionContent.ts"
import * as Items from "./Items.ts"
import * as ResponsesUsage from "./Usage.ts"

const Optional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

/** The body of `POST /v1/responses/compact`; unknown fields are kept (and reported as ignored). */
const CompactRequestFields = {
  model: Schema.String,
  input: Optional(Schema.Union([Schema.String, Schema.Array(Items.ResponsesItem)])),
  previous_response_id: Optional(Schema.String),
  instructions: Optional(Schema.String),
  // A cache hint for the provider's own compaction; the summary request needs none.
  prompt_cache_key: Optional(Schema.String)
}
export const CompactRequest = Loose(CompactRequestFields)
export type CompactRequest = typeof CompactRequest.Type
const KNOWN_FIELDS = knownKeys(CompactRequestFields)

/** What the model is asked, after the conversation. */
export const SUMMARY_PROMPT = [
  "Summarise the conversation above so that it can continue from your summary alone, without the earlier turns.",
  "Keep everything needed to go on: the user's goals and requests, decisions made, facts and names established,",
  "tool calls made and what they returned, work done so far and what is still left to do.",
  "Write only the summary, in the language of the conversation, with no preamble."
].join(" ")

/** A user message as the compacted window holds it (`Message` of `ItemField`: id, status, parts). */
export interface KeptUserMessage {
  readonly type: "message"
  readonly id: string
  readonly status: string
  readonly role: "user"
  readonly content: ReadonlyArray<unknown>
  readonly [field: string]: unknown
}

export interface CompactionItemOut {
  readonly type: "compaction"
  readonly id: string
  readonly encrypted_content: string
}

/** The spec's `CompactResource`. */
export interface CompactResourceOut {
  readonly id: string
  readonly object: "response.compaction"
  readonly created_at: number
  readonly output: ReadonlyArray<KeptUserMessage | CompactionItemOut>
  readonly usage: ResponsesUsage.ResponsesUsageOut
}

const decodeBody = decodeRequestBody("open-responses", CompactRequest)

/** An inbound compact body (parsed JSON), checked against the spec; fails `InvalidRequest` naming the field. */
export const decodeRequest = (body: unknown): Result.Result<CompactRequest, InvalidRequest> => decodeBody(body)

/**
 * The canonical request asking `model` (the upstream's id) for the summary: the caller's
 * conversation, then `SUMMARY_PROMPT`. Fails for what the translation cannot say
 * (`previous_response_id`, a provider's compaction item, hosted-tool items, …) and for a
 * conversation with nothing to compact.
 */
export const summaryRequest = (compact: CompactRequest, model: string): Result.Result<Request, InvalidRequest | UnsupportedField> =>
  attempt((take) => {
    if (compact.previous_response_id !== undefined && compact.previous_response_id !== null) {
      return take(unsupported(
        "previous_response_id",
        "previous_response_id needs the earlier response stored, and Switchboard stores none: send the whole conversation in input"
      ))
    }
    const { messages: conversation, origin } = take(Items.toCanonical(compact.instructions ?? undefined, compact.input ?? undefined))
    if (!conversation.some((message) => message.role !== "system")) {
      return take(Result.fail(new InvalidRequest({ format: "open-responses", message: "input holds no conversation to compact", param: "input" })))
    }
    const ask: Message = { role: "user", content: [{ _tag: "Text", text: SUMMARY_PROMPT }] }
    return {
      model,
      messages: [...conversation, ask],
      tools: undefined,
      toolChoice: undefined,
      parallelToolCalls: undefined,
      maxTokens: undefined,
      temperature: undefined,
      topP: undefined,
      topK: undefined,
      stopSequences: undefined,
      user: undefined,
      metadata: undefined,
      reasoning: undefined,
      responseFormat: undefined,
      stream: false,
      includeUsage: undefined,
      ignoredFields: unknownKeys(compact, KNOWN_FIELDS),
      // Errors found later (a provider that cannot take a part) name the caller's items.
      origin
    }
  })

/** Ids derived from the answer's id and the item's position, as `Response.itemId` does for output items. */
const idOf = (prefix: "msg" | "cmp", responseId: string, index: number) => `${prefix}_${responseId.replace(/[^a-zA-Z0-9]/g, "")}_${index}`

/**
 * The conversation's user messages, kept as the caller gave them (`rawInput` is the body's own
 * `input`, so fields the decoder does not know survive), with what an output `Message` requires
 * filled in: `type`, an `id`, a `status`, and content as parts.
 */
const keptUserMessages = (rawInput: unknown, responseId: string): ReadonlyArray<KeptUserMessage> => {
  if (Predicate.isString(rawInput)) {
    return [{ type: "message", id: idOf("msg", responseId, 0), status: "completed", role: "user", content: [{ type: "input_text", text: rawInput }] }]
  }
  if (!Array.isArray(rawInput)) return []
  const kept: Array<KeptUserMessage> = []
  for (const item of rawInput) {
    if (!Predicate.isObject(item) || item.role !== "user" || (item.type !== undefined && item.type !== "message")) continue
    const content: ReadonlyArray<unknown> = Predicate.isString(item.content) ? [{ type: "input_text", text: item.content }] : (item.content as ReadonlyArray<unknown>)
    kept.push({
      ...item,
      type: "message",
      id: Predicate.isString(item.id) ? item.id : idOf("msg", responseId, kept.length),
      status: Predicate.isString(item.status) ? item.status : "completed",
      role: "user",
      content
    })
  }
  return kept
}

/** The summary the model answered: its text, parts joined. */
const summaryOf = (response: Response): string =>
  response.content.flatMap((part) => part._tag === "Text" ? [part.text] : []).join("").trim()

/**
 * The compacted window for the caller: its user messages, then the compaction item carrying the
 * model's summary. An answer with no text (a refusal, a tool call) is no summary: a 502, never an
 * empty compaction that would silently drop the conversation.
 */
export const compactedOf = (
  compact: CompactRequest,
  rawInput: unknown,
  response: Response,
  created: number
): Result.Result<CompactResourceOut, InvalidUpstreamBody> => {
  const summary = summaryOf(response)
  if (summary === "") {
    return Result.fail(new InvalidUpstreamBody({ format: "open-responses", message: `the model ${compact.model} answered the request to summarise the conversation with no text` }))
  }
  const kept = keptUserMessages(rawInput, response.id)
  return Result.succeed({
    id: response.id,
    object: "response.compaction",
    created_at: created,
    output: [...kept, { type: "compaction", id: idOf("cmp", response.id, kept.length), encrypted_content: CompactionContent.seal(summary) }],
    // The spec requires usage; an upstream that reported none is written as zeros, as `Response.ts` writes unreported details.
    usage: ResponsesUsage.fromCanonical(
      response.usage ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: undefined, cacheWriteInputTokens: undefined, reasoningTokens: undefined }
    )
  })
}

