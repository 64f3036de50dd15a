/**
 * The bodies the admin API accepts (schemas in AdminApi.ts), read and turned into catalog inputs.
 * The endpoints that take a body read it here rather than through HttpApi's own decoder, so they
 * keep the gateway's body rules (size limit 413, non-JSON 415, the fast lane's pre-read body) and
 * refuse unknown fields. Secrets are wrapped in `Redacted` as soon as they are decoded
 * (`toNewProvider`, `toProviderEdit`).
 */
import { Effect, Redacted, Schema, type SchemaIssue } from "effect"
import { summariseIssue } from "../config/SchemaIssues.ts"
import { InvalidProvider, type NewProvider, type ProviderEdit, type SettingsPatch } from "../config/ProviderCatalog.ts"
import { readJsonObject } from "../http/RequestBody.ts"
import type { CreateProvider, EditProvider, Settings } from "./AdminApi.ts"

/** `settings.host: Expected …` for each issue, the first issue's path as the field at fault. */
const invalidBody = (issue: SchemaIssue.Issue): InvalidProvider => {
  const { field, message } = summariseIssue(issue)
  return new InvalidProvider({ message: `invalid request body: ${message}`, ...(field === undefined ? {} : { field }) })
}

/** The request body decoded with `schema`; a body off the schema is an `InvalidProvider` naming the field. */
export const readBody = <S extends Schema.Decoder<unknown>>(schema: S) =>
  Effect.flatMap(readJsonObject, (json) =>
    Schema.decodeUnknownEffect(schema)(json, { errors: "all", onExcessProperty: "error" }).pipe(
      Effect.mapError((error) => invalidBody(error.issue))
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
