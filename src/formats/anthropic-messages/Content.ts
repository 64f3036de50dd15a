/**
 * Anthropic content blocks ↔ canonical parts: text, images (base64 ↔ data, `url` ↔ URL),
 * documents (base64 PDF, plain text, URL), thinking (with signature), redacted thinking,
 * tool use and tool results, and `cache_control` breakpoints.
 *
 * @see https://docs.anthropic.com/en/api/messages#body-messages-content
 * @see https://docs.anthropic.com/en/docs/build-with-claude/vision
 * @see https://docs.anthropic.com/en/docs/build-with-claude/pdf-support
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 */
import { Result, Schema } from "effect"
import type { CacheHint, DocumentPart, ImagePart, TextPart, ToolResultPart, UserPart } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"

const CacheControl = Schema.optionalKey(Schema.NullOr(Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optionalKey(Schema.Literals(["5m", "1h"]))
})))

export const AnthropicTextBlock = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  cache_control: CacheControl,
  citations: Schema.optionalKey(Schema.NullOr(Schema.Unknown))
})
export type AnthropicTextBlock = typeof AnthropicTextBlock.Type

const Base64Source = Schema.Struct({ type: Schema.Literal("base64"), media_type: Schema.String, data: Schema.String })
const UrlSource = Schema.Struct({ type: Schema.Literal("url"), url: Schema.String })
const FileSource = Schema.Struct({ type: Schema.Literal("file"), file_id: Schema.String })
const TextSource = Schema.Struct({ type: Schema.Literal("text"), media_type: Schema.optionalKey(Schema.String), data: Schema.String })
const ContentSource = Schema.Struct({ type: Schema.Literal("content"), content: Schema.Unknown })

export const AnthropicImageBlock = Schema.Struct({
  type: Schema.Literal("image"),
  source: Schema.Union([Base64Source, UrlSource, FileSource]),
  cache_control: CacheControl
})

export const AnthropicDocumentBlock = Schema.Struct({
  type: Schema.Literal("document"),
  source: Schema.Union([Base64Source, TextSource, UrlSource, FileSource, ContentSource]),
  title: Schema.optionalKey(Schema.NullOr(Schema.String)),
  context: Schema.optionalKey(Schema.NullOr(Schema.String)),
  citations: Schema.optionalKey(Schema.NullOr(Schema.Unknown)),
  cache_control: CacheControl
})

export const AnthropicThinkingBlock = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  // Required by the spec; thinking from a host that does not sign it arrives without one.
  signature: Schema.optionalKey(Schema.NullOr(Schema.String))
})

export const AnthropicRedactedThinkingBlock = Schema.Struct({ type: Schema.Literal("redacted_thinking"), data: Schema.String })

export const AnthropicToolUseBlock = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Unknown,
  cache_control: CacheControl
})

const MediaTypes = ["text", "image", "document"]

export const AnthropicToolResultBlock = Schema.Struct({
  type: Schema.Literal("tool_result"),
  tool_use_id: Schema.String,
  content: Schema.optionalKey(Schema.Union([
    Schema.String,
    Schema.Array(Schema.Union([AnthropicTextBlock, AnthropicImageBlock, AnthropicDocumentBlock, OtherType(MediaTypes)]))
  ])),
  is_error: Schema.optionalKey(Schema.Boolean),
  cache_control: CacheControl
})
export type AnthropicToolResultBlock = typeof AnthropicToolResultBlock.Type

/** Any block of a request message. */
export const AnthropicBlock = Schema.Union([
  AnthropicTextBlock,
  AnthropicImageBlock,
  AnthropicDocumentBlock,
  AnthropicThinkingBlock,
  AnthropicRedactedThinkingBlock,
  AnthropicToolUseBlock,
  AnthropicToolResultBlock,
  OtherType([...MediaTypes, "thinking", "redacted_thinking", "tool_use", "tool_result"])
])
export type AnthropicBlock = typeof AnthropicBlock.Type

/** A block as we write it. */
export type AnthropicBlockOut =
  | { readonly type: "text"; readonly text: string; readonly cache_control?: CacheControlOut }
  | {
    readonly type: "image"
    readonly source: AnthropicSourceOut
    readonly cache_control?: CacheControlOut
  }
  | {
    readonly type: "document"
    readonly source: AnthropicSourceOut | { readonly type: "text"; readonly media_type: "text/plain"; readonly data: string }
    readonly title?: string
    readonly context?: string
    readonly cache_control?: CacheControlOut
  }
  | { readonly type: "thinking"; readonly thinking: string; readonly signature: string }
  | { readonly type: "redacted_thinking"; readonly data: string }
  | { readonly type: "tool_use"; readonly id: string; readonly name: string; readonly input: unknown }
  | {
    readonly type: "tool_result"
    readonly tool_use_id: string
    readonly content: ReadonlyArray<AnthropicBlockOut>
    readonly is_error?: boolean
    readonly cache_control?: CacheControlOut
  }

export interface CacheControlOut {
  readonly type: "ephemeral"
  readonly ttl?: "5m" | "1h"
}

export type AnthropicSourceOut =
  | { readonly type: "base64"; readonly media_type: string; readonly data: string }
  | { readonly type: "url"; readonly url: string }

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

type CacheControlIn = { readonly type: "ephemeral"; readonly ttl?: "5m" | "1h" } | null | undefined

export const cacheOf = (control: CacheControlIn): { readonly cache?: CacheHint } =>
  control ? { cache: { ttl: control.ttl } } : {}

export const cacheControlOf = (cache: CacheHint | undefined): { readonly cache_control?: CacheControlOut } =>
  cache === undefined ? {} : { cache_control: { type: "ephemeral", ...(cache.ttl !== undefined ? { ttl: cache.ttl } : {}) } }

const fileIdUnsupported = (param: string) =>
  new UnsupportedField({
    param: `${param}.source`,
    message: "a file uploaded to one provider (file_id) cannot be sent to another: send its content inline (base64)"
  })

export const textToCanonical = (block: AnthropicTextBlock): TextPart => ({ _tag: "Text", text: block.text, ...cacheOf(block.cache_control) })

export const imageToCanonical = (
  block: typeof AnthropicImageBlock.Type,
  param: string
): Result.Result<ImagePart, UnsupportedField> => {
  const cache = cacheOf(block.cache_control)
  switch (block.source.type) {
    case "base64":
      return Result.succeed({ _tag: "Image", source: { _tag: "Base64", mediaType: block.source.media_type, data: block.source.data }, ...cache })
    case "url":
      return Result.succeed({ _tag: "Image", source: { _tag: "Url", url: block.source.url }, ...cache })
    case "file":
      return Result.fail(fileIdUnsupported(param))
  }
}

export const documentToCanonical = (
  block: typeof AnthropicDocumentBlock.Type,
  param: string
): Result.Result<DocumentPart, UnsupportedField> => {
  const meta = {
    ...(block.title ? { title: block.title } : {}),
    ...(block.context ? { context: block.context } : {}),
    ...cacheOf(block.cache_control)
  }
  switch (block.source.type) {
    case "base64":
      return Result.succeed({ _tag: "Document", source: { _tag: "Base64", mediaType: block.source.media_type, data: block.source.data }, ...meta })
    case "text":
      return Result.succeed({ _tag: "Document", source: { _tag: "Text", text: block.source.data }, ...meta })
    case "url":
      return Result.succeed({ _tag: "Document", source: { _tag: "Url", url: block.source.url }, ...meta })
    case "file":
      return Result.fail(fileIdUnsupported(param))
    case "content":
      return Result.fail(
        new UnsupportedField({
          param: `${param}.source`,
          message: "documents with a content-block source cannot be translated to another API format: send text or a PDF"
        })
      )
  }
}

/** A text, image or document block (user content, tool result content); anything else is unsupported. */
export const mediaToCanonical = (block: AnthropicBlock, param: string): Result.Result<UserPart, UnsupportedField> => {
  switch (block.type) {
    case "text":
      return "text" in block ? Result.succeed(textToCanonical(block)) : Result.fail(unsupportedBlock(block.type, param))
    case "image":
      return "source" in block && block.type === "image" ? imageToCanonical(block, param) : Result.fail(unsupportedBlock(block.type, param))
    case "document":
      return "source" in block && block.type === "document" ? documentToCanonical(block, param) : Result.fail(unsupportedBlock(block.type, param))
    default:
      return Result.fail(unsupportedBlock(block.type, param))
  }
}

export const unsupportedBlock = (type: string, param: string) =>
  new UnsupportedField({ param, message: `content blocks of type "${type}" cannot be translated to another API format` })

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

export const textFromCanonical = (part: TextPart): AnthropicBlockOut => ({ type: "text", text: part.text, ...cacheControlOf(part.cache) })

const sourceFromCanonical = (source: ImagePart["source"]): AnthropicSourceOut =>
  source._tag === "Base64" ? { type: "base64", media_type: source.mediaType, data: source.data } : { type: "url", url: source.url }

/** A canonical user or tool-result part as a block. Audio has no Anthropic block. */
export const mediaFromCanonical = (part: UserPart | ToolResultPart, param: string): Result.Result<AnthropicBlockOut, UnsupportedField> => {
  switch (part._tag) {
    case "Text":
      return Result.succeed(textFromCanonical(part))
    case "Image":
      return Result.succeed({ type: "image", source: sourceFromCanonical(part.source), ...cacheControlOf(part.cache) })
    case "Document": {
      const title = part.title ?? part.filename
      return Result.succeed({
        type: "document",
        source: part.source._tag === "Text"
          ? { type: "text", media_type: "text/plain", data: part.source.text }
          : sourceFromCanonical(part.source),
        ...(title !== undefined ? { title } : {}),
        ...(part.context !== undefined ? { context: part.context } : {}),
        ...cacheControlOf(part.cache)
      })
    }
    case "Audio":
      return Result.fail(
        new UnsupportedField({ param, message: "Anthropic Messages cannot take audio input", target: "anthropic-messages" })
      )
  }
}
