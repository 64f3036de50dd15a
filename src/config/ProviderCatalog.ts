/**
 * Adding and removing providers: the operations that touch remote.json and the secret store
 * together, so they stay consistent — a provider's secrets are stored when it is added and
 * deleted when it is removed, and never written to the file.
 */
import { Context, Effect, Layer, type Redacted, Schema } from "effect"
import { SecretStore, type SecretStoreError, apiKey, header } from "../secrets/SecretStore.ts"
import { ConfigStore, type ConfigError } from "./ConfigStore.ts"
import { presetFor } from "./Presets.ts"
import { ProviderConfig, type ProviderFields, type PresetId, type RemoteConfig } from "./RemoteConfig.ts"

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

export class InvalidProvider extends Schema.TaggedError<InvalidProvider>()("InvalidProvider", {
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

/** The remote.json entry for a new provider: preset defaults, then the user's settings. */
export const providerEntry = (input: NewProvider, config: RemoteConfig) => {
  const preset = presetFor(input.preset)
  const name = input.name?.trim() || preset.label
  const id = slugFor(name, new Set(config.providers.map((p) => p.id)))
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
  }, { errors: "all" }).pipe(Effect.mapError((error) => new InvalidProvider({ message: error.message })))
}

export class ProviderCatalog extends Context.Service<ProviderCatalog, {
  /** Stores the secrets, then adds the entry; returns the entry (with its new id). */
  readonly add: (input: NewProvider) => Effect.Effect<ProviderConfig, InvalidProvider | ConfigError | SecretStoreError>
  /** Removes the entry, then every secret it had (API key and secret headers). */
  readonly remove: (id: string) => Effect.Effect<void, UnknownProvider | ConfigError | SecretStoreError>
}>()("switchboard/ProviderCatalog") {
  static readonly layer = Layer.effect(
    ProviderCatalog,
    Effect.gen(function*() {
      const store = yield* ConfigStore
      const secrets = yield* SecretStore

      // The id is chosen and the secrets stored inside the config lock, so two concurrent adds
      // never pick the same id; a bad entry fails before any secret is stored.
      const add = (input: NewProvider) =>
        Effect.map(
          store.update((config) =>
            Effect.gen(function*() {
              const entry = yield* providerEntry(input, config)
              if (input.apiKey !== undefined) yield* secrets.set(entry.id, apiKey, input.apiKey)
              for (const [name, value] of Object.entries(input.secretHeaders ?? {})) {
                yield* secrets.set(entry.id, header(name), value)
              }
              return { ...config, providers: [...config.providers, entry] }
            })
          ),
          (config) => config.providers[config.providers.length - 1]!
        )

      const remove = Effect.fnUntraced(function*(id: string) {
        const existing = (yield* store.load).providers.find((p) => p.id === id)
        if (existing === undefined) return yield* new UnknownProvider({ id })
        yield* store.update((config) => ({ ...config, providers: config.providers.filter((p) => p.id !== id) }))
        yield* secrets.delete(id, apiKey)
        for (const name of existing.secretHeaders) yield* secrets.delete(id, header(name))
      })

      return ProviderCatalog.of({ add, remove })
    })
  )
}
