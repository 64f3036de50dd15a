/**
 * What the page reads from Switchboard's OpenAI-format endpoints, as Schemas: `/v1/models`
 * (src/http/ModelsRoute.ts) and chat completion stream chunks. (The admin API's schemas are its
 * definition's, src/admin/AdminApi.ts.) Unknown fields are ignored.
 */
import { Schema } from "effect"

export const Model = Schema.Struct({
  id: Schema.String,
  owned_by: Schema.String,
  /** Switchboard's additions: the provider id (`null` for a virtual model) and the provider's own model id. */
  provider: Schema.NullOr(Schema.String),
  upstream_id: Schema.optionalKey(Schema.String),
  /** A virtual model's strategy and targets (remote.json `virtualModels`). */
  virtual: Schema.optionalKey(Schema.Struct({ strategy: Schema.String, targets: Schema.Array(Schema.String) }))
})
export type Model = typeof Model.Type

export const ModelList = Schema.Struct({ data: Schema.Array(Model) })

export const Usage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Schema.Number
})
export type Usage = typeof Usage.Type

const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/**
 * One `chat.completion.chunk`, or an error event mid-stream. Reasoning arrives as
 * `reasoning_content` or `reasoning` (see src/formats/openai-chat/Reasoning.ts).
 */
export const ChatChunk = Schema.Struct({
  choices: Schema.optionalKey(Schema.Array(Schema.Struct({
    delta: Schema.optionalKey(Schema.Struct({
      content: OptionalText,
      reasoning_content: OptionalText,
      reasoning: OptionalText,
      refusal: OptionalText
    })),
    finish_reason: OptionalText
  }))),
  /** The last chunk's, when `stream_options.include_usage` asked for it (`null` on the others). */
  usage: Schema.optionalKey(Schema.NullOr(Usage)),
  error: Schema.optionalKey(Schema.Struct({ message: Schema.String }))
})
export type ChatChunk = typeof ChatChunk.Type

/** Decodes a JSON text with `schema`, throwing a readable error when it does not fit. */
export const decodeJson = <S extends Schema.Decoder<unknown>>(schema: S) => {
  const decode = Schema.decodeUnknownSync(schema)
  return (text: string): S["Type"] => decode(JSON.parse(text))
}
