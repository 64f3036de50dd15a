/**
 * The headers Switchboard sends to a provider: its plain custom headers, its secret headers and
 * its API key in the form its API format expects. Resolved once per (re)connect, never per
 * request: a keychain read is a D-Bus round trip, far too slow for the request path.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import type { ApiFormat, ProviderConfig } from "../config/RemoteConfig.ts"
import { SecretStore, apiKey, header } from "../secrets/SecretStore.ts"

/** Anthropic's API requires a version header; this is the stable version every model accepts. */
export const ANTHROPIC_VERSION = "2023-06-01"

export class MissingSecret extends Schema.TaggedError<MissingSecret>()("MissingSecret", {
  message: Schema.String
}) {}

export interface UpstreamAuth {
  /** Every header to send upstream, secrets included. Unwrap only when writing the request. */
  readonly headers: Redacted.Redacted<Readonly<Record<string, string>>>
  /** The secret values themselves, so error texts can be scrubbed of them. */
  readonly secrets: Redacted.Redacted<ReadonlyArray<string>>
}

const authHeaders = (format: ApiFormat, key: string): Record<string, string> => {
  switch (format) {
    case "anthropic":
      return { "x-api-key": key }
    case "openai":
    case "responses":
      return { authorization: `Bearer ${key}` }
  }
}

export const resolveAuth = Effect.fnUntraced(function*(provider: ProviderConfig) {
  const store = yield* SecretStore
  const headers: Record<string, string> = {}
  const secrets: Array<string> = []
  if (provider.format === "anthropic") headers["anthropic-version"] = ANTHROPIC_VERSION
  for (const [name, value] of Object.entries(provider.headers)) headers[name.toLowerCase()] = value
  for (const name of provider.secretHeaders) {
    const value = yield* store.get(provider.id, header(name))
    if (Option.isNone(value)) {
      return yield* new MissingSecret({
        message: `no value for secret header ${name} of provider ${provider.id} in ${store.backend}: ${store.howToSet(provider.id, header(name))}`
      })
    }
    headers[name.toLowerCase()] = Redacted.value(value.value)
    secrets.push(Redacted.value(value.value))
  }
  if (provider.auth === "apiKey") {
    const key = yield* store.get(provider.id, apiKey)
    if (Option.isNone(key)) {
      return yield* new MissingSecret({
        message: `no API key for provider ${provider.id} in ${store.backend}: ${store.howToSet(provider.id, apiKey)}`
      })
    }
    Object.assign(headers, authHeaders(provider.format, Redacted.value(key.value)))
    secrets.push(Redacted.value(key.value))
  }
  return { headers: Redacted.make(headers), secrets: Redacted.make(secrets) } satisfies UpstreamAuth
})

/** Replaces every secret value (and any long prefix of one) in a text meant for humans. */
export const scrub = (text: string, secrets: Redacted.Redacted<ReadonlyArray<string>>): string => {
  let out = text
  for (const secret of Redacted.value(secrets)) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]")
  }
  return out
}
