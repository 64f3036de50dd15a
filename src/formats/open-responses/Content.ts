/**
 * Open Responses content parts ↔ canonical parts: `input_text`, `input_image` (a data URL ↔
 * base64, an http(s) URL ↔ URL), `input_file` (`file_data` ↔ an inline document, `file_url` ↔ a
 * document by URL), and on assistant messages `output_text` and `refusal`.
 *
 * Files uploaded to a provider beforehand (`file_id`) mean something to that provider only, so
 * they are refused with a clear error, as in the other formats.
 *
 * @see https://www.openresponses.org/reference (InputTextContentParam, InputImageContentParamAutoParam, InputFileContentParam)
 * @see https://platform.openai.com/docs/guides/pdf-files?api-mode=responses
 */
import { Result, Schema } from "effect"
import type { DocumentPart, ImagePart, TextPart, ToolResultPart, UserPart } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { dataUrl, parseDataUrl } from "../openai-chat/Content.ts"
import { OtherType } from "../WireSchema.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

export const InputTextPart = Schema.Struct({ type: Schema.Literal("input_text"), text: Schema.String })

export const InputImagePart = Schema.Struct({
  type: Schema.Literal("input_image"),
  image_url: OptionalString,
  file_id: OptionalString,
  detail: Schema.optionalKey(Schema.NullOr(Schema.Literals(["auto", "low", "high"])))
})

export const InputFilePart = Schema.Struct({
  type: Schema.Literal("input_file"),
  file_data: OptionalString,
  file_url: OptionalString,
  file_id: OptionalString,
  filename: OptionalString
})

export const OutputTextPart = Schema.Struct({
  type: Schema.Literal("output_text"),
  text: Schema.String,
  annotations: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Unknown)))
})

export const RefusalPart = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })

const knownTypes = ["input_text", "input_image", "input_file", "output_text", "refusal"]

/**
 * Any content part of an input message. One union for every role: which parts a role may hold is
 * checked when translating, so the error names the part instead of failing the whole union.
 */
export const ResponsesPart = Schema.Union([InputTextPart, InputImagePart, InputFilePart, OutputTextPart, RefusalPart, OtherType(knownTypes)])
export type ResponsesPart = typeof ResponsesPart.Type

/** What a `function_call_output` may hold besides a string. */
export const ResponsesOutputPart = Schema.Union([InputTextPart, InputImagePart, InputFilePart, OtherType(["input_text", "input_image", "input_file"])])
export type ResponsesOutputPart = typeof ResponsesOutputPart.Type

/** An input part as we write it. */
export type ResponsesInputPartOut =
  | { readonly type: "input_text"; readonly text: string }
  | { readonly type: "input_image"; readonly image_url: string; readonly detail: "auto" | "low" | "high" }
  | { readonly type: "input_file"; readonly file_data: string; readonly filename: string }
  | { readonly type: "input_file"; readonly file_url: string; readonly filename?: string }

/** An assistant part as we write it (in requests and in response `message` items). */
export type ResponsesAssistantPartOut =
  | { readonly type: "output_text"; readonly text: string; readonly annotations: ReadonlyArray<never> }
  | { readonly type: "refusal"; readonly refusal: string }

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

export const unsupportedPart = (type: string, param: string, where = "") =>
  new UnsupportedField({ param, message: `content part of type "${type}"${where} cannot be translated to another API format` })

const fileIdUnsupported = (param: string) =>
  new UnsupportedField({
    param: `${param}.file_id`,
    message: "a file uploaded to one provider (file_id) cannot be sent to another: send its content inline"
  })

/**
 * A user-side part (user messages, tool outputs): text, image or file. The casts are safe: the
 * catch-all member of the union excludes the known types, so a known `type` is its own struct.
 */
export const userPartToCanonical = (part: ResponsesPart, param: string): Result.Result<UserPart, UnsupportedField> => {
  switch (part.type) {
    case "input_text":
      return "text" in part ? Result.succeed({ _tag: "Text", text: part.text }) : Result.fail(unsupportedPart(part.type, param))
    case "input_image": {
      const image = part as typeof InputImagePart.Type
      if (image.image_url === undefined || image.image_url === null) {
        return Result.fail(image.file_id ? fileIdUnsupported(param) : unsupportedPart(part.type, param, " without image_url"))
      }
      const inline = parseDataUrl(image.image_url)
      const canonical: ImagePart = {
        _tag: "Image",
        source: inline ? { _tag: "Base64", ...inline } : { _tag: "Url", url: image.image_url },
        ...(image.detail ? { detail: image.detail } : {})
      }
      return Result.succeed(canonical)
    }
    case "input_file": {
      const file = part as typeof InputFilePart.Type
      const filename = file.filename ? { filename: file.filename } : {}
      if (file.file_data) {
        // OpenAI documents file_data as a data URL; bare base64 is read as a PDF, as in Chat Completions.
        const inline = parseDataUrl(file.file_data) ?? { mediaType: "application/pdf", data: file.file_data }
        return Result.succeed<DocumentPart>({ _tag: "Document", source: { _tag: "Base64", ...inline }, ...filename })
      }
      if (file.file_url) return Result.succeed<DocumentPart>({ _tag: "Document", source: { _tag: "Url", url: file.file_url }, ...filename })
      return Result.fail(file.file_id ? fileIdUnsupported(param) : unsupportedPart(part.type, param, " without file_data or file_url"))
    }
    default:
      return Result.fail(unsupportedPart(part.type, param, " in a user message"))
  }
}

/** A system or developer part: text only. */
export const textPartToCanonical = (part: ResponsesPart, param: string): Result.Result<TextPart, UnsupportedField> =>
  "text" in part && (part.type === "input_text" || part.type === "output_text")
    ? Result.succeed({ _tag: "Text", text: part.text })
    : Result.fail(unsupportedPart(part.type, param, " in a system or developer message"))

/** A tool output part; audio cannot be one. */
export const toolOutputPartToCanonical = (part: ResponsesOutputPart, param: string): Result.Result<ToolResultPart, UnsupportedField> =>
  Result.flatMap(userPartToCanonical(part, param), (canonical): Result.Result<ToolResultPart, UnsupportedField> =>
    canonical._tag === "Audio" ? Result.fail(unsupportedPart("input_audio", param)) : Result.succeed(canonical))

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

const documentFromCanonical = (part: DocumentPart): ResponsesInputPartOut => {
  switch (part.source._tag) {
    case "Base64":
      return {
        type: "input_file",
        file_data: dataUrl(part.source.mediaType, part.source.data),
        // OpenAI wants a file name with inline data; documents from formats that have none get a neutral one.
        filename: part.filename ?? part.title ?? "document.pdf"
      }
    case "Url":
      return { type: "input_file", file_url: part.source.url, ...(part.filename !== undefined ? { filename: part.filename } : {}) }
    case "Text":
      // A plain-text document is its text.
      return { type: "input_text", text: part.source.text }
  }
}

/** A canonical user or tool-result part as an input part. Audio has no Open Responses part. */
export const userPartFromCanonical = (part: UserPart | ToolResultPart, param: string): Result.Result<ResponsesInputPartOut, UnsupportedField> => {
  switch (part._tag) {
    case "Text":
      return Result.succeed({ type: "input_text", text: part.text })
    case "Image":
      return Result.succeed({
        type: "input_image",
        image_url: part.source._tag === "Base64" ? dataUrl(part.source.mediaType, part.source.data) : part.source.url,
        // Required by the spec's output schema; `auto` is the documented default.
        detail: part.detail ?? "auto"
      })
    case "Document":
      return Result.succeed(documentFromCanonical(part))
    case "Audio":
      return Result.fail(
        new UnsupportedField({ param, message: "Open Responses cannot take audio input", target: "open-responses" })
      )
  }
}
