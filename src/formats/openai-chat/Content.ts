/**
 * OpenAI content parts ↔ canonical parts: text, images (`image_url` with a data URL ↔ base64, an
 * http(s) URL ↔ URL), audio, files (PDF data ↔ documents), and the prompt-cache breakpoint
 * (`prompt_cache_breakpoint` ↔ a cache hint).
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages
 * @see https://platform.openai.com/docs/guides/images-vision#giving-a-model-images-as-input
 * @see https://platform.openai.com/docs/guides/pdf-files#base64-encoded-files
 */
import { Result, Schema } from "effect"
import type { CacheHint, DocumentPart, ImagePart, TextPart, UserPart } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"

const CacheBreakpoint = Schema.optionalKey(Schema.Struct({ mode: Schema.Literal("explicit") }))

export const OpenAiTextPart = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  prompt_cache_breakpoint: CacheBreakpoint
})
export type OpenAiTextPart = typeof OpenAiTextPart.Type

export const OpenAiImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({ url: Schema.String, detail: Schema.optionalKey(Schema.Literals(["auto", "low", "high"])) }),
  prompt_cache_breakpoint: CacheBreakpoint
})

export const OpenAiAudioPart = Schema.Struct({
  type: Schema.Literal("input_audio"),
  input_audio: Schema.Struct({ data: Schema.String, format: Schema.String }),
  prompt_cache_breakpoint: CacheBreakpoint
})

export const OpenAiFilePart = Schema.Struct({
  type: Schema.Literal("file"),
  file: Schema.Struct({
    file_data: Schema.optionalKey(Schema.String),
    file_id: Schema.optionalKey(Schema.String),
    filename: Schema.optionalKey(Schema.String)
  }),
  prompt_cache_breakpoint: CacheBreakpoint
})

export const OpenAiRefusalPart = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })

/** What a user message may contain. */
export const OpenAiUserPart = Schema.Union([
  OpenAiTextPart,
  OpenAiImagePart,
  OpenAiAudioPart,
  OpenAiFilePart,
  OtherType(["text", "image_url", "input_audio", "file"])
])
export type OpenAiUserPart = typeof OpenAiUserPart.Type

/** What system, developer and tool messages may contain. */
export const OpenAiTextOnlyPart = Schema.Union([OpenAiTextPart, OtherType(["text"])])
export type OpenAiTextOnlyPart = typeof OpenAiTextOnlyPart.Type

/** A part as we write it. */
export type OpenAiPartOut =
  | { readonly type: "text"; readonly text: string; readonly prompt_cache_breakpoint?: { readonly mode: "explicit" } }
  | {
    readonly type: "image_url"
    readonly image_url: { readonly url: string; readonly detail?: "auto" | "low" | "high" }
    readonly prompt_cache_breakpoint?: { readonly mode: "explicit" }
  }
  | { readonly type: "input_audio"; readonly input_audio: { readonly data: string; readonly format: string } }
  | {
    readonly type: "file"
    readonly file: { readonly file_data: string; readonly filename: string }
    readonly prompt_cache_breakpoint?: { readonly mode: "explicit" }
  }

// ---------------------------------------------------------------------------------------------

/** `data:<media type>;base64,<data>` split in two; `undefined` for anything else (URLs, non-base64 data URLs). */
export const parseDataUrl = (url: string): { readonly mediaType: string; readonly data: string } | undefined => {
  const match = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i.exec(url)
  if (match === null) return undefined
  return { mediaType: match[1] === "" ? "application/octet-stream" : match[1]!, data: url.slice(match[0].length) }
}

export const dataUrl = (mediaType: string, data: string): string => `data:${mediaType};base64,${data}`

const cacheOf = (part: { readonly prompt_cache_breakpoint?: unknown }): { readonly cache?: CacheHint } =>
  part.prompt_cache_breakpoint !== undefined ? { cache: { ttl: undefined } } : {}

const breakpointOf = (part: { readonly cache?: CacheHint | undefined }) =>
  part.cache !== undefined ? { prompt_cache_breakpoint: { mode: "explicit" as const } } : {}

const unsupportedPart = (type: string, param: string) =>
  new UnsupportedField({ param, message: `content part of type "${type}" cannot be translated to another API format` })

export const textToCanonical = (part: OpenAiTextPart): TextPart => ({ _tag: "Text", text: part.text, ...cacheOf(part) })

/** A system, developer or tool content part. */
export const textOnlyToCanonical = (part: OpenAiTextOnlyPart, param: string): Result.Result<TextPart, UnsupportedField> =>
  "text" in part ? Result.succeed(textToCanonical(part)) : Result.fail(unsupportedPart(part.type, param))

/** A user content part. */
export const userPartToCanonical = (part: OpenAiUserPart, param: string): Result.Result<UserPart, UnsupportedField> => {
  if (!("type" in part)) return Result.fail(unsupportedPart("unknown", param))
  switch (part.type) {
    case "text":
      return "text" in part ? Result.succeed(textToCanonical(part)) : Result.fail(unsupportedPart(part.type, param))
    case "image_url": {
      if (!("image_url" in part)) return Result.fail(unsupportedPart(part.type, param))
      const inline = parseDataUrl(part.image_url.url)
      const image: ImagePart = {
        _tag: "Image",
        source: inline ? { _tag: "Base64", ...inline } : { _tag: "Url", url: part.image_url.url },
        ...(part.image_url.detail !== undefined ? { detail: part.image_url.detail } : {}),
        ...cacheOf(part)
      }
      return Result.succeed(image)
    }
    case "input_audio":
      return "input_audio" in part
        ? Result.succeed({ _tag: "Audio", data: part.input_audio.data, format: part.input_audio.format })
        : Result.fail(unsupportedPart(part.type, param))
    case "file": {
      if (!("file" in part)) return Result.fail(unsupportedPart(part.type, param))
      const { file_data, file_id, filename } = part.file
      if (file_data === undefined) {
        return Result.fail(
          new UnsupportedField({
            param: `${param}.file${file_id !== undefined ? ".file_id" : ""}`,
            message: "a file uploaded to one provider (file_id) cannot be sent to another: send its content as file_data"
          })
        )
      }
      // The spec's example is a data URL; bare base64 is what PDFs are sent as, so it is read as one.
      const inline = parseDataUrl(file_data) ?? { mediaType: "application/pdf", data: file_data }
      const document: DocumentPart = {
        _tag: "Document",
        source: { _tag: "Base64", ...inline },
        ...(filename !== undefined ? { filename } : {}),
        ...cacheOf(part)
      }
      return Result.succeed(document)
    }
    default:
      return Result.fail(unsupportedPart(part.type, param))
  }
}

// ---------------------------------------------------------------------------------------------

export const textFromCanonical = (part: TextPart) => ({ type: "text" as const, text: part.text, ...breakpointOf(part) })

const imageFromCanonical = (part: ImagePart): OpenAiPartOut => ({
  type: "image_url",
  image_url: {
    url: part.source._tag === "Base64" ? dataUrl(part.source.mediaType, part.source.data) : part.source.url,
    ...(part.detail !== undefined ? { detail: part.detail } : {})
  },
  ...breakpointOf(part)
})

const documentFromCanonical = (part: DocumentPart, param: string): Result.Result<OpenAiPartOut, UnsupportedField> => {
  switch (part.source._tag) {
    case "Base64":
      return Result.succeed({
        type: "file",
        // OpenAI wants a file name with inline data; documents from formats that have none get a neutral one.
        file: { file_data: dataUrl(part.source.mediaType, part.source.data), filename: part.filename ?? part.title ?? "document.pdf" },
        ...breakpointOf(part)
      })
    case "Text":
      // A plain-text document is its text: OpenAI file parts take PDFs, text goes in a text part.
      return Result.succeed({ type: "text", text: part.source.text, ...breakpointOf(part) })
    case "Url":
      return Result.fail(
        new UnsupportedField({
          param,
          message: "OpenAI Chat Completions cannot fetch a document by URL: send the document inline (base64)",
          target: "openai-chat"
        })
      )
  }
}

/** A canonical user (or tool result) part as an OpenAI content part. */
export const userPartFromCanonical = (part: UserPart, param: string): Result.Result<OpenAiPartOut, UnsupportedField> => {
  switch (part._tag) {
    case "Text":
      return Result.succeed(textFromCanonical(part))
    case "Image":
      return Result.succeed(imageFromCanonical(part))
    case "Document":
      return documentFromCanonical(part, param)
    case "Audio":
      return Result.succeed({ type: "input_audio", input_audio: { data: part.data, format: part.format } })
  }
}
