/**
 * Schema building blocks shared by the wire formats.
 */
import { Schema } from "effect"

/** A JSON object whose keys we do not constrain (JSON Schemas, tool inputs, metadata). */
export const JsonObject = Schema.Record(Schema.String, Schema.Unknown)
export type JsonObject = typeof JsonObject.Type

/**
 * A struct that keeps the fields it does not declare: wire objects grow new fields all the time,
 * and a translator must be able to tell which ones it did not carry over.
 */
export const Loose = <const Fields extends Schema.Struct.Fields>(fields: Fields) =>
  Schema.StructWithRest(Schema.Struct(fields), [JsonObject])

/**
 * The catch-all member of a `type`-discriminated union: an object whose `type` is none of the
 * `known` ones. A malformed known block therefore fails with its own schema's message instead of
 * slipping through as "unknown", while a block type we do not translate decodes, and the
 * translator can name it in an `UnsupportedField` error.
 */
export const OtherType = (known: ReadonlyArray<string>) =>
  Schema.Struct({
    type: Schema.String.check(Schema.makeFilter((type: string) =>
      !known.includes(type) || `is a known type, so the other fields must match it (see above)`
    ))
  })

/** The top-level keys of `body` that are not in `known`, in the body's order. */
export const unknownKeys = (body: object, known: ReadonlySet<string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const key in body) if (Object.hasOwn(body, key) && !known.has(key)) out.push(key)
  return out
}

/** The field names of a struct's fields, for `unknownKeys` (built once per format, not per request). */
export const knownKeys = (fields: object): ReadonlySet<string> => new Set(Object.keys(fields))
