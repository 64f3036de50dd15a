/**
 * Adding, editing and removing providers: the operations that touch remote.json and the secret
 * store together, so they stay consistent — a provider's secrets are stored when it is added or
 * edited and deleted when it is removed, and never written to the file. Used by the CLI and the
 * admin API, so both apply the same rules (valid hosts and header names, unique names, no stored
 * secret silently following a provider to a new endpoint).
 */
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { SecretStore, type SecretName, type SecretStoreError, apiKey, header } from "../secrets/SecretStore.ts"
import { ConfigStore, type ConfigError } from "./ConfigStore.ts"
import { presetFor } from "./Presets.ts"
import { baseUrl, ProviderConfig, type ProviderFields, type PresetId, type RemoteConfig } from "./RemoteConfig.ts"

/** What a user gives to add a provider: a preset, a name, and whatever differs from the preset. */
export interface NewProvider {
  readonly preset: PresetId
  /** Defaults to the preset's label. */
  readonly name?: string
  readonly settings?: Partial<Omit<typeof ProviderFields.Encoded, "id" | "name" | "preset">>
  readonly apiKey?: Redacted.Redacted<string>
  /** Secret header values by header name; the names are recorded in `secretHeaders`. */
  readonly secretHeaders?: Readonly<Record<string, Redacted.Redacted<string>>>
}

/** Settings a provider can be edited with: any field but the id and preset; `null` clears `port` / `models`. */
export type SettingsPatch =
  & Partial<Omit<typeof ProviderFields.Encoded, "id" | "name" | "preset" | "port" | "models">>
  & { readonly port?: number | null; readonly models?: ReadonlyArray<string> | null }

/** What a user gives to change a provider. Absent fields are left as they are. */
export interface ProviderEdit {
  readonly name?: string
  readonly settings?: SettingsPatch
  /** A new API key, or `null` to delete the stored one (auth becomes `none` unless `settings.auth` says otherwise). */
  readonly apiKey?: Redacted.Redacted<string> | null
  /** New secret header values by name, or `null` to remove that secret header and its value. */
  readonly secretHeaders?: Readonly<Record<string, Redacted.Redacted<string> | null>>
  /**
   * Plain headers to set (a value) or remove (`null`), by name, case-insensitively, applied to the
   * headers as they are when the edit is written (after `settings.headers`, when both are given):
   * two tools changing different headers of one provider at once both keep their change, which a
   * whole `settings.headers` map read earlier cannot promise.
   */
  readonly headerChanges?: Readonly<Record<string, string | null>>
  /** Keep the stored secrets although the endpoint (protocol, host, port) changes. */
  readonly confirmKeepSecrets?: boolean
}

export class InvalidProvider extends Schema.TaggedError<InvalidProvider>()("InvalidProvider", {
  message: Schema.String,
  /** The offending field (`host`, `headers`, …), when one can be named. */
  field: Schema.optional(Schema.String)
}) {}

/** Another provider already has this name: names tell providers apart in lists and model pickers. */
export class DuplicateName extends Schema.TaggedError<DuplicateName>()("DuplicateName", {
  name: Schema.String
}) {
  override get message() {
    return `a provider named ${JSON.stringify(this.name)} already exists: choose another name`
  }
}

/**
 * An edit moves a provider to another endpoint while keeping stored secrets it did not replace:
 * refused unless confirmed, so a changed endpoint never silently receives the old key.
 */
export class SecretsWouldMove extends Schema.TaggedError<SecretsWouldMove>()("SecretsWouldMove", {
  message: Schema.String
}) {}

export class UnknownProvider extends Schema.TaggedError<UnknownProvider>()("UnknownProvider", {
  id: Schema.String
}) {
  override get message() {
    return `no provider with id ${this.id}`
  }
}

/**
 * A stable slug from a display name: lower-case letters, digits and dashes, unique among `taken`
 * (`OpenAI` → `openai`, a second one → `openai-2`). It becomes the model prefix and never changes
 * when the provider is renamed.
 */
/** `headers` with `changes` applied: each named header (any case) removed, then set unless `null`. */
export const applyHeaderChanges = (
  headers: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, string | null>>
): Record<string, string> => {
  const result = { ...headers }
  for (const [name, value] of Object.entries(changes)) {
    for (const existing of Object.keys(result)) if (existing.toLowerCase() === name.toLowerCase()) delete result[existing]
    if (value !== null) result[name] = value
  }
  return result
}

/** Ids a configured provider never gets: `local` is the models of this machine (src/local/LocalProvider.ts). */
const RESERVED_IDS = ["local"]

export const slugFor = (name: string, taken: ReadonlySet<string>): string => {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48) || "provider"
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`
    if (!taken.has(candidate)) return candidate
  }
}

const decodeProvider = Schema.decodeUnknownEffect(ProviderConfig)

/** A schema failure (`Expected …\n  at ["host"]`) as `host: Expected …`, with the first field named. */
const invalidFrom = (message: string): InvalidProvider => {
  const lines = message.split("\n")
  const parts: Array<string> = []
  let field: string | undefined
  for (let i = 0; i < lines.length; i++) {
    const next = lines[i + 1]?.trim()
    if (next?.startsWith("at ")) {
      const path = Array.from(next.matchAll(/\["?([^"\]]*)"?\]/g), (m) => m[1]).join(".")
      field ??= path.split(".")[0]
      parts.push(`${path}: ${lines[i]!.trim()}`)
      i++
    } else if (lines[i]!.trim() !== "") parts.push(lines[i]!.trim())
  }
  return new InvalidProvider({ message: parts.join("; "), ...(field === undefined ? {} : { field }) })
}

/** RFC 9110 `token`: what a header name may be made of (no spaces, no CR/LF, no colon). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** A host name, an IPv4 address or a bracketed IPv6 address; no scheme, path, port or spaces. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$/
/** A URL path: empty or starting with `/`, without spaces, query or fragment. */
const BASE_PATH = /^(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?$/
/**
 * The longest header name and value (a secret's too) Switchboard sends. Servers refuse header
 * lines much over 8 KiB (nginx's default buffer; node answers 431 past 16 KiB in all): a longer
 * value would only turn a provider into a permanent error, so it is refused when entered.
 */
export const MAX_HEADER_NAME = 256
export const MAX_HEADER_VALUE = 8192

/**
 * Rules the file schema leaves open (a hand-edited file is read as leniently as possible) but that
 * anything Switchboard writes must follow: a value here ends up in a URL or a header line.
 */
export const validateEntry = (entry: ProviderConfig): Effect.Effect<ProviderConfig, InvalidProvider> => {
  const fail = (field: string, message: string) => Effect.fail(new InvalidProvider({ field, message: `${field}: ${message}` }))
  if (!HOST.test(entry.host)) return fail("host", `${JSON.stringify(entry.host)} is not a host name or IP address (no scheme, port or path: those have their own fields)`)
  if (!BASE_PATH.test(entry.basePath)) return fail("basePath", `${JSON.stringify(entry.basePath)} must be empty or a path starting with / (no spaces, query or fragment)`)
  // Names are printed by the CLI and the page: no line breaks, and no control characters (an
  // escape sequence in a name would be run by the terminal of whoever lists the providers).
  if (entry.name.trim() === "" || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(entry.name)) {
    return fail("name", "must be a non-empty single line without control characters")
  }
  for (const [name, value] of Object.entries(entry.headers)) {
    if (name.length > MAX_HEADER_NAME) return fail("headers", `a header name is longer than ${MAX_HEADER_NAME} characters`)
    if (!HEADER_NAME.test(name)) return fail("headers", `${JSON.stringify(name)} is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only)`)
    if (/[\r\n\0]/.test(value)) return fail("headers", `the value of ${name} contains a line break or NUL`)
    if (Buffer.byteLength(value) > MAX_HEADER_VALUE) return fail("headers", `the value of ${name} is longer than ${MAX_HEADER_VALUE} bytes`)
  }
  for (const name of entry.secretHeaders) {
    if (name.length > MAX_HEADER_NAME) return fail("secretHeaders", `a header name is longer than ${MAX_HEADER_NAME} characters`)
    if (!HEADER_NAME.test(name)) return fail("secretHeaders", `${JSON.stringify(name)} is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only)`)
  }
  return Effect.succeed(entry)
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

/** A secret becomes a header value: a line break in it would split the request. */
const checkSecretValue = (field: string, value: Redacted.Redacted<string>) =>
  /[\r\n\0]/.test(Redacted.value(value))
    ? Effect.fail(new InvalidProvider({ field, message: `${field}: the value contains a line break or NUL` }))
    : Buffer.byteLength(Redacted.value(value)) > MAX_HEADER_VALUE
    ? Effect.fail(new InvalidProvider({ field, message: `${field}: the value is longer than ${MAX_HEADER_VALUE} bytes` }))
    : Effect.void

/**
 * The secrets a new provider comes with, checked as header values before anything uses them
 * (stored by `add`, or sent once by the admin API's test connection).
 */
export const checkSecrets = (input: Pick<NewProvider, "apiKey" | "secretHeaders">): Effect.Effect<void, InvalidProvider> =>
  Effect.gen(function*() {
    if (input.apiKey !== undefined) yield* checkSecretValue("apiKey", input.apiKey)
    for (const [name, value] of Object.entries(input.secretHeaders ?? {})) yield* checkSecretValue(`secretHeaders.${name}`, value)
  })

/** The remote.json entry for a new provider: preset defaults, then the user's settings. */
export const providerEntry = (input: NewProvider, config: RemoteConfig) => {
  const preset = presetFor(input.preset)
  const name = input.name?.trim() || preset.label
  const id = slugFor(name, new Set([...RESERVED_IDS, ...config.providers.map((p) => p.id)]))
  return decodeProvider({
    id,
    name,
    preset: preset.id,
    protocol: preset.protocol,
    host: preset.host,
    ...(preset.port === undefined ? {} : { port: preset.port }),
    basePath: preset.basePath,
    format: preset.format,
    auth: input.apiKey === undefined ? preset.auth : "apiKey",
    ...input.settings,
    secretHeaders: Array.from(new Set([...(input.settings?.secretHeaders ?? []), ...Object.keys(input.secretHeaders ?? {})]))
  }, { errors: "all" }).pipe(
    Effect.mapError((error) => invalidFrom(error.message)),
    Effect.flatMap(validateEntry)
  )
}

/**
 * Which secrets of a provider are stored: never their values. `null`: unknown, because the secret
 * store cannot be read (no keychain) — listing providers never depends on reading secrets.
 */
export interface SecretPresence {
  readonly apiKey: boolean | null
  readonly headers: ReadonlyArray<{ readonly name: string; readonly set: boolean | null }>
}

/** One secret to store (a value) or delete (`null`). */
type SecretChange = readonly [SecretName, Redacted.Redacted<string> | null]

/** Where a provider's requests go: protocol, host and the port actually used. */
export const endpointOf = (p: ProviderConfig) => `${p.protocol}://${p.host}:${p.port ?? (p.protocol === "https" ? 443 : 80)}`

type CatalogError = ConfigError | SecretStoreError

export class ProviderCatalog extends Context.Service<ProviderCatalog, {
  /** Stores the secrets, then adds the entry; returns the entry (with its new id). On failure nothing is stored or written. */
  readonly add: (input: NewProvider) => Effect.Effect<ProviderConfig, InvalidProvider | DuplicateName | CatalogError>
  /**
   * Changes settings, name (the id stays) and secrets. Moving a provider that keeps a stored
   * secret to another protocol/host/port fails with `SecretsWouldMove` unless `confirmKeepSecrets`.
   * `secretsChanged`: a secret was stored or deleted (the running provider must reconnect to see it).
   */
  readonly edit: (id: string, edit: ProviderEdit) => Effect.Effect<
    { readonly entry: ProviderConfig; readonly secretsChanged: boolean },
    UnknownProvider | InvalidProvider | DuplicateName | SecretsWouldMove | CatalogError
  >
  readonly enable: (id: string) => Effect.Effect<ProviderConfig, UnknownProvider | ConfigError>
  readonly disable: (id: string) => Effect.Effect<ProviderConfig, UnknownProvider | ConfigError>
  /** Removes every secret the entry had (API key and secret headers), then the entry; on failure, the entry stays. */
  readonly remove: (id: string) => Effect.Effect<void, UnknownProvider | CatalogError>
  /** Whether the API key and each secret header of a provider have a stored value; never fails (unknown is `null`). */
  readonly secretPresence: (entry: ProviderConfig) => Effect.Effect<SecretPresence>
}>()("switchboard/ProviderCatalog") {
  static readonly layer = Layer.effect(
    ProviderCatalog,
    Effect.gen(function*() {
      const store = yield* ConfigStore
      const secrets = yield* SecretStore

      const isStored = (id: string, name: SecretName) => Effect.map(secrets.get(id, name), Option.isSome)

      /**
       * Stores and deletes `changes`, all or none: what each secret held before is read first and
       * put back when a later change fails. Returns the effect that puts them all back, for when the
       * config write that follows fails — an operation that reports failure has changed nothing.
       */
      const writeSecrets = (id: string, changes: ReadonlyArray<SecretChange>) =>
        Effect.gen(function*() {
          const done: Array<readonly [SecretName, Option.Option<Redacted.Redacted<string>>]> = []
          const undo = Effect.suspend(() =>
            Effect.forEach(done.toReversed(), ([name, before]) =>
              Effect.ignore(Option.match(before, { onNone: () => secrets.delete(id, name), onSome: (value) => secrets.set(id, name, value) })), { discard: true })
          )
          for (const [name, value] of changes) {
            const before = yield* Effect.tapError(secrets.get(id, name), () => undo)
            yield* Effect.tapError(value === null ? secrets.delete(id, name) : secrets.set(id, name, value), () => undo)
            done.push([name, before])
          }
          return undo
        })

      /** `update`, with the secrets it wrote put back if the config write fails after them. */
      const updateWithSecrets = <E>(f: (config: RemoteConfig, written: (undo: Effect.Effect<void>) => void) => Effect.Effect<RemoteConfig, E>) =>
        Effect.suspend(() => {
          let undo: Effect.Effect<void> = Effect.void
          return store.update((config) => f(config, (written) => void (undo = written))).pipe(Effect.onError(() => undo))
        })

      // The id is chosen and the secrets stored inside the config lock, so two concurrent adds
      // never pick the same id; a bad entry fails before any secret is stored.
      const add = (input: NewProvider) =>
        Effect.map(
          updateWithSecrets((config, written) =>
            Effect.gen(function*() {
              const entry = yield* providerEntry(input, config)
              if (config.providers.some((p) => sameName(p.name, entry.name))) return yield* new DuplicateName({ name: entry.name })
              yield* checkSecrets(input)
              written(yield* writeSecrets(entry.id, [
                ...(input.apiKey === undefined ? [] : [[apiKey, input.apiKey] as const]),
                ...Object.entries(input.secretHeaders ?? {}).map(([name, value]) => [header(name), value] as const)
              ]))
              return { ...config, providers: [...config.providers, entry] }
            })
          ),
          (config) => config.providers[config.providers.length - 1]!
        )

      const edit = (id: string, input: ProviderEdit) =>
        Effect.gen(function*() {
          let result: { entry: ProviderConfig; secretsChanged: boolean } | undefined
          yield* updateWithSecrets((config, written) =>
            Effect.gen(function*() {
              const existing = config.providers.find((p) => p.id === id)
              if (existing === undefined) return yield* new UnknownProvider({ id })
              const name = input.name?.trim() ?? existing.name
              if (config.providers.some((p) => p.id !== id && sameName(p.name, name))) return yield* new DuplicateName({ name })

              const headerEdits = Object.entries(input.secretHeaders ?? {})
              const names = new Set(input.settings?.secretHeaders ?? existing.secretHeaders)
              for (const [headerName, value] of headerEdits) value === null ? names.delete(headerName) : names.add(headerName)
              const { port, models, ...settings } = input.settings ?? {}
              const { port: oldPort, models: oldModels, ...rest } = existing
              const headers = input.headerChanges === undefined ? {} : { headers: applyHeaderChanges(settings.headers ?? existing.headers, input.headerChanges) }
              const auth = input.settings?.auth ?? (input.apiKey === null ? "none" : input.apiKey !== undefined ? "apiKey" : existing.auth)
              const next = yield* decodeProvider({
                ...rest,
                ...settings,
                ...headers,
                ...(port === undefined ? (oldPort === undefined ? {} : { port: oldPort }) : port === null ? {} : { port }),
                ...(models === undefined ? (oldModels === undefined ? {} : { models: oldModels }) : models === null ? {} : { models }),
                id: existing.id,
                name,
                auth,
                secretHeaders: Array.from(names)
              }, { errors: "all" }).pipe(Effect.mapError((error) => invalidFrom(error.message)), Effect.flatMap(validateEntry))
              if (input.apiKey) yield* checkSecretValue("apiKey", input.apiKey)
              for (const [name, value] of headerEdits) if (value !== null) yield* checkSecretValue(`secretHeaders.${name}`, value)

              // Secrets that stay in the store and would be sent to the new endpoint.
              if (endpointOf(next) !== endpointOf(existing) && input.confirmKeepSecrets !== true) {
                const kept: Array<string> = []
                // A store that cannot be read (no keychain) must not block moving a provider that uses
                // no secret: an unknown secret counts as kept only where the provider would send it.
                const mayBeKept = (name: SecretName, used: boolean) => Effect.map(presence(id, name), (set) => set ?? used)
                // Whatever `auth` now says: a stored key left behind would reach the new endpoint the
                // moment auth is switched back on.
                const keyUsed = existing.auth === "apiKey" || next.auth === "apiKey"
                if (input.apiKey === undefined && (yield* mayBeKept(apiKey, keyUsed))) kept.push("its API key")
                for (const name of next.secretHeaders) {
                  if (input.secretHeaders?.[name] === undefined && (yield* mayBeKept(header(name), true))) kept.push(`secret header ${name}`)
                }
                if (kept.length > 0) {
                  return yield* new SecretsWouldMove({
                    message: `changing the endpoint of ${id} from ${baseUrl(existing)} to ${baseUrl(next)} would send ${kept.join(", ")} ` +
                      `to the new endpoint: send new values, remove them, or set "confirmKeepSecrets": true to keep them`
                  })
                }
              }

              const changes: Array<SecretChange> = [
                ...(input.apiKey === undefined ? [] : [[apiKey, input.apiKey] as const]),
                ...headerEdits.map(([name, value]) => [header(name), value] as const),
                // Secret headers dropped from the list by `settings.secretHeaders` lose their values too.
                ...existing.secretHeaders
                  .filter((name) => !names.has(name) && input.secretHeaders?.[name] === undefined)
                  .map((name) => [header(name), null] as const)
              ]
              written(yield* writeSecrets(id, changes))
              result = { entry: next, secretsChanged: changes.length > 0 }
              return { ...config, providers: config.providers.map((p) => p.id === id ? next : p) }
            })
          )
          return result!
        })

      const setEnabled = (enabled: boolean) => (id: string) =>
        Effect.gen(function*() {
          let entry: ProviderConfig | undefined
          yield* store.update((config) => {
            const existing = config.providers.find((p) => p.id === id)
            if (existing === undefined) return Effect.fail(new UnknownProvider({ id }))
            entry = { ...existing, enabled }
            return Effect.succeed({ ...config, providers: config.providers.map((p) => p.id === id ? entry! : p) })
          })
          return entry!
        })

      // The secrets go first, inside the lock: when they cannot be deleted the entry stays, so the
      // failure reported is the whole truth. Two cases delete nothing: environment variables belong
      // to whoever starts the process, and a store that cannot be reached holds nothing a provider
      // without secrets (auth none, no secret headers) would miss.
      const remove = (id: string) =>
        Effect.asVoid(store.update((config) =>
          Effect.gen(function*() {
            const existing = config.providers.find((p) => p.id === id)
            if (existing === undefined) return yield* new UnknownProvider({ id })
            const usesSecrets = existing.auth === "apiKey" || existing.secretHeaders.length > 0
            if (secrets.writable || (secrets.unavailable !== null && usesSecrets)) {
              yield* secrets.delete(id, apiKey)
              for (const name of existing.secretHeaders) yield* secrets.delete(id, header(name))
            }
            return { ...config, providers: config.providers.filter((p) => p.id !== id) }
          })
        ))

      const presence = (id: string, name: SecretName): Effect.Effect<boolean | null> =>
        secrets.unavailable !== null ? Effect.succeed(null) : isStored(id, name).pipe(Effect.orElseSucceed(() => null))

      const secretPresence = (entry: ProviderConfig) =>
        Effect.gen(function*() {
          const key = yield* presence(entry.id, apiKey)
          const headers: Array<{ name: string; set: boolean | null }> = []
          for (const name of entry.secretHeaders) headers.push({ name, set: yield* presence(entry.id, header(name)) })
          return { apiKey: key, headers }
        })

      return ProviderCatalog.of({ add, edit, enable: setEnabled(true), disable: setEnabled(false), remove, secretPresence })
    })
  )
}
