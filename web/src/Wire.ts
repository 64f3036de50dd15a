/**
 * What the page reads from Switchboard, as Schemas: the admin API's providers and presets
 * (src/admin/ProviderJson.ts, AdminRoutes.ts), `/v1/models` (src/http/ModelsRoute.ts), the
 * OpenAI error shape and chat completion stream chunks. Unknown fields are ignored, so a newer
 * server does not break an older page.
 */
import { Schema } from "effect"

export const StateName = Schema.Literals(["connecting", "connected", "error", "disconnected", "disabled"])
export type StateName = typeof StateName.Type

/** The live part of a provider, as `GET /v1/providers` and the `state` event show it. */
export const ProviderStatus = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  format: Schema.String,
  base_url: Schema.String,
  state: StateName,
  error: Schema.NullOr(Schema.String),
  model_count: Schema.Number,
  models: Schema.Array(Schema.String)
})
export type ProviderStatus = typeof ProviderStatus.Type

export const ProviderSettings = Schema.Struct({
  preset: Schema.String,
  protocol: Schema.Literals(["http", "https"]),
  host: Schema.String,
  port: Schema.NullOr(Schema.Number),
  basePath: Schema.String,
  format: Schema.String,
  auth: Schema.String,
  enabled: Schema.Boolean,
  autoConnect: Schema.Boolean,
  timeoutSeconds: Schema.Number,
  headers: Schema.Record(Schema.String, Schema.String),
  secretHeaders: Schema.Array(Schema.String),
  /** Model ids added by hand (`null`: none). */
  models: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.String)))
})
export type ProviderSettings = typeof ProviderSettings.Type

/** A provider as the admin API shows it: status, settings, and only whether each secret is set. */
export const Provider = Schema.Struct({
  ...ProviderStatus.fields,
  settings: ProviderSettings,
  apiKeySet: Schema.Boolean,
  secretHeaders: Schema.Array(Schema.Struct({ name: Schema.String, set: Schema.Boolean }))
})
export type Provider = typeof Provider.Type

export const ProviderList = Schema.Struct({ data: Schema.Array(Provider) })

export const Preset = Schema.Struct({
  id: Schema.String,
  label: Schema.String,
  protocol: Schema.Literals(["http", "https"]),
  host: Schema.String,
  port: Schema.NullOr(Schema.Number),
  basePath: Schema.String,
  format: Schema.String,
  auth: Schema.String
})
export type Preset = typeof Preset.Type

export const PresetList = Schema.Struct({ data: Schema.Array(Preset) })

/** `POST /admin/providers/test`. */
export const TestOutcome = Schema.Struct({
  ok: Schema.Boolean,
  models: Schema.Array(Schema.String),
  error: Schema.NullOr(Schema.String)
})
export type TestOutcome = typeof TestOutcome.Type

/** The admin event stream (src/admin/AdminEvents.ts). */
export const SnapshotEvent = Schema.Struct({ providers: Schema.Array(Provider) })
export const RemovedEvent = Schema.Struct({ id: Schema.String })
export const StreamErrorEvent = Schema.Struct({ message: Schema.String })

export const Model = Schema.Struct({
  id: Schema.String,
  owned_by: Schema.String,
  /** Switchboard's additions: the provider id and the provider's own model id. */
  provider: Schema.String,
  upstream_id: Schema.String
})
export type Model = typeof Model.Type

export const ModelList = Schema.Struct({ data: Schema.Array(Model) })

/** `{ error: { message, code } }`, the shape of every Switchboard error. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    code: Schema.optionalKey(Schema.NullOr(Schema.String))
  })
})

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
  error: Schema.optionalKey(Schema.Struct({ message: Schema.String }))
})
export type ChatChunk = typeof ChatChunk.Type

/** Decodes a JSON text with `schema`, throwing a readable error when it does not fit. */
export const decodeJson = <S extends Schema.Decoder<unknown>>(schema: S) => {
  const decode = Schema.decodeUnknownSync(schema)
  return (text: string): S["Type"] => decode(JSON.parse(text))
}
