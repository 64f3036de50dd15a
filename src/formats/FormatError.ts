/**
 * What can go wrong translating between formats. Each error names the wire format and, where
 * there is one, the field (`messages[2].content[0]`), so the HTTP layer can answer with a 400
 * (or a 502 for an upstream body) in the caller's own error format.
 */
import { Result, Schema } from "effect"

/** The wire formats this folder translates. */
export const WireFormat = Schema.Literals(["openai-chat", "anthropic-messages", "open-responses"])
export type WireFormat = typeof WireFormat.Type

/** The inbound request does not follow its format's schema (HTTP 400). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  format: WireFormat,
  message: Schema.String,
  /** The offending field, when one can be named. */
  param: Schema.optional(Schema.String)
}) {}

/**
 * The request uses something the target format cannot express and that cannot be dropped
 * without changing its meaning (HTTP 400).
 */
export class UnsupportedField extends Schema.TaggedError<UnsupportedField>()("UnsupportedField", {
  /** Where it is (`messages[1].content[0]`): in the inbound request, as closely as it can be named. */
  param: Schema.String,
  message: Schema.String,
  /** The format that cannot express it; absent when no other format can (the hub does not carry it). */
  target: Schema.optional(WireFormat)
}) {}

/** An upstream answered with a body its format does not allow (HTTP 502). */
/** A field the target format cannot express, as the failed `Result` the decoders return. */
export const unsupported = (param: string, message: string) => Result.fail(new UnsupportedField({ param, message }))

export class InvalidUpstreamBody extends Schema.TaggedError<InvalidUpstreamBody>()("InvalidUpstreamBody", {
  format: WireFormat,
  message: Schema.String
}) {}

/** Any translation failure. */
export type FormatError = InvalidRequest | UnsupportedField | InvalidUpstreamBody

/**
 * The field a schema error is about, as `messages[0].content[1]`. When a union reports several
 * alternatives, the deepest path is the one that matched furthest, so it names the real culprit.
 */
export const schemaErrorParam = (error: Schema.SchemaError): string | undefined => {
  const paths = Array.from(error.message.matchAll(/^\s*at (\[.*\])\s*$/gm), (match) =>
    Array.from(match[1]!.matchAll(/\[("(?:[^"\\]|\\.)*"|\d+)\]/g), (m) => m[1]!))
  const deepest = paths.reduce<ReadonlyArray<string> | undefined>(
    (best, path) => best === undefined || path.length > best.length ? path : best,
    undefined
  )
  return deepest?.reduce((path, segment) =>
    segment.startsWith("\"")
      ? `${path}${path === "" ? "" : "."}${JSON.parse(segment) as string}`
      : `${path}[${segment}]`, "")
}

/** Decodes an inbound request body with `schema`, failing with `InvalidRequest` naming the field. */
export const decodeRequestBody = <S extends Schema.ConstraintDecoder<unknown>>(format: WireFormat, schema: S) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (body: unknown): Result.Result<S["Type"], InvalidRequest> =>
    Result.mapError(decode(body), (error) =>
      new InvalidRequest({
        format,
        message: `invalid request: ${error.message.replace(/\s+/g, " ")}`,
        param: schemaErrorParam(error)
      }))
}

/** Decodes an upstream body with `schema`, failing with `InvalidUpstreamBody`. */
export const decodeUpstreamBody = <S extends Schema.ConstraintDecoder<unknown>>(format: WireFormat, schema: S) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (body: unknown): Result.Result<S["Type"], InvalidUpstreamBody> =>
    Result.mapError(decode(body), (error) =>
      new InvalidUpstreamBody({ format, message: `unexpected ${format} response: ${error.message.replace(/\s+/g, " ")}` }))
}
