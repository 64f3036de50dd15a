/**
 * The bodies the admin API accepts, as Schemas. Secrets arrive as plain JSON strings and are
 * wrapped in `Redacted` as soon as they are decoded (`toNewProvider`, `toProviderEdit`). Unknown
 * fields are refused rather than ignored, so a typo (`apikey`) is a 400, not a silent no-op.
 */
import { Effect, Redacted, Schema } from "effect"
import { InvalidProvider, type NewProvider, type ProviderEdit, type SettingsPatch } from "../config/ProviderCatalog.ts"
import { ApiFormat, AuthKind, PresetId, Protocol } from "../config/RemoteConfig.ts"
import { readJsonObject } from "../http/RequestBody.ts"

/** Settings of a provider; every field optional. `null` clears `port` (protocol default) and `models`. */
export const Settings = Schema.Struct({
  protocol: Schema.optionalKey(Protocol),
  host: Schema.optionalKey(Schema.String),
  port: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  basePath: Schema.optionalKey(Schema.String),
  format: Schema.optionalKey(ApiFormat),
  auth: Schema.optionalKey(AuthKind),
  enabled: Schema.optionalKey(Schema.Boolean),
  autoConnect: Schema.optionalKey(Schema.Boolean),
  timeoutSeconds: Schema.optionalKey(Schema.Number),
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** Names of secret headers; their values go in the top-level `secretHeaders`. */
  secretHeaders: Schema.optionalKey(Schema.Array(Schema.String)),
  models: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.String)))
})
export type Settings = typeof Settings.Type

/** `POST /admin/providers` and `POST /admin/providers/test`. */
export const CreateProvider = Schema.Struct({
  preset: Schema.optionalKey(PresetId),
  name: Schema.optionalKey(Schema.String),
  settings: Schema.optionalKey(Settings),
  /** Write-only: stored in the secret store, never returned. */
  apiKey: Schema.optionalKey(Schema.String),
  /** Secret header values by name; write-only. */
  secretHeaders: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type CreateProvider = typeof CreateProvider.Type

/** `PATCH /admin/providers/{id}`: `apiKey: null` / `secretHeaders: { Name: null }` remove a secret. */
export const EditProvider = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  settings: Schema.optionalKey(Settings),
  apiKey: Schema.optionalKey(Schema.NullOr(Schema.String)),
  secretHeaders: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(Schema.String))),
  /** Plain headers to set or (`null`) remove, one by one, on top of the headers as they are when written. */
  headerChanges: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(Schema.String))),
  /** Keep the stored secrets although protocol, host or port change. */
  confirmKeepSecrets: Schema.optionalKey(Schema.Boolean)
})
export type EditProvider = typeof EditProvider.Type

/** `Expected …\n  at ["settings"]["host"]` → `settings.host: Expected …`, naming the first field. */
const invalidBody = (message: string): InvalidProvider => {
  const lines = message.split("\n").map((line) => line.trim()).filter((line) => line !== "")
  const parts: Array<string> = []
  let field: string | undefined
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i + 1]?.startsWith("at ") ? lines[i + 1]! : undefined
    if (at === undefined) {
      parts.push(lines[i]!)
      continue
    }
    const path = Array.from(at.matchAll(/\["?([^"\]]*)"?\]/g), (m) => m[1]).join(".")
    field ??= path
    parts.push(`${path}: ${lines[i]}`)
    i++
  }
  return new InvalidProvider({ message: `invalid request body: ${parts.join("; ")}`, ...(field === undefined ? {} : { field }) })
}

/** The request body decoded with `schema`; a body off the schema is an `InvalidProvider` naming the field. */
export const readBody = <S extends Schema.Decoder<unknown>>(schema: S) =>
  Effect.flatMap(readJsonObject, (json) =>
    Schema.decodeUnknownEffect(schema)(json, { errors: "all", onExcessProperty: "error" }).pipe(
      Effect.mapError((error) => invalidBody(error.message))
    ))

/** An empty string from a form field means "not given", not "an empty key". */
const given = (value: string | undefined): value is string => value !== undefined && value !== ""

/** The `port: null` of a new provider just means "the protocol's default". */
const newSettings = (settings: Settings | undefined): NewProvider["settings"] => {
  if (settings === undefined) return undefined
  const { port, models, ...rest } = settings
  return { ...rest, ...(port == null ? {} : { port }), ...(models == null ? {} : { models }) }
}

export const toNewProvider = (body: CreateProvider): NewProvider => ({
  preset: body.preset ?? "custom",
  ...(body.name === undefined ? {} : { name: body.name }),
  ...(body.settings === undefined ? {} : { settings: newSettings(body.settings) }),
  ...(given(body.apiKey) ? { apiKey: Redacted.make(body.apiKey) } : {}),
  ...(body.secretHeaders === undefined
    ? {}
    : { secretHeaders: Object.fromEntries(Object.entries(body.secretHeaders).map(([name, value]) => [name, Redacted.make(value)])) })
})

export const toProviderEdit = (body: EditProvider): ProviderEdit => ({
  ...(body.name === undefined ? {} : { name: body.name }),
  ...(body.settings === undefined ? {} : { settings: body.settings satisfies SettingsPatch }),
  ...(body.apiKey === null ? { apiKey: null } : given(body.apiKey) ? { apiKey: Redacted.make(body.apiKey) } : {}),
  ...(body.secretHeaders === undefined
    ? {}
    : {
      secretHeaders: Object.fromEntries(
        Object.entries(body.secretHeaders).map(([name, value]) => [name, value === null ? null : Redacted.make(value)])
      )
    }),
  ...(body.headerChanges === undefined ? {} : { headerChanges: body.headerChanges }),
  ...(body.confirmKeepSecrets === undefined ? {} : { confirmKeepSecrets: body.confirmKeepSecrets })
})

/** The secret values a body carries, so texts shown to the user can be scrubbed of them. */
export const secretValues = (body: CreateProvider): ReadonlyArray<string> =>
  [...(given(body.apiKey) ? [body.apiKey] : []), ...Object.values(body.secretHeaders ?? {})]
