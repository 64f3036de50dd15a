/**
 * The schema of `$SWITCHBOARD_HOME/providers/remote.json`: the non-secret settings of every
 * remote provider. Secrets (API keys, secret header values) never live here — see `SecretStore`.
 *
 * Unknown fields are kept (the file may be written by a newer Switchboard or edited by hand),
 * so every object is a struct with an `unknown` rest record.
 */
import { Effect, Result, Schema } from "effect"

/** The wire formats a provider can speak. */
export const ApiFormat = Schema.Literals(["openai", "anthropic", "responses"])
export type ApiFormat = typeof ApiFormat.Type

export const Protocol = Schema.Literals(["http", "https"])
export type Protocol = typeof Protocol.Type

export const AuthKind = Schema.Literals(["none", "apiKey"])
export type AuthKind = typeof AuthKind.Type

export const PresetId = Schema.Literals(["openai", "anthropic", "xai", "openrouter", "venice", "ollama", "lmstudio", "custom"])
export type PresetId = typeof PresetId.Type

/** A provider id: a stable slug, used as the model prefix (`<id>/<upstream model>`). */
export const ProviderId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    description: "a slug: lower-case letters, digits and dashes, starting with a letter or digit"
  })),
  Schema.brand("ProviderId")
)
export type ProviderId = typeof ProviderId.Type

/** A price per million tokens: a finite number, zero or more. */
const PerMTok = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

const defaulted = <S extends Schema.Top>(schema: S, value: S["Encoded"]) =>
  Schema.withDecodingDefaultKey<S>(Effect.succeed(value))(schema)

/**
 * A price override for one upstream model, US dollars per million tokens (`"prices"` on a
 * provider). Cached reads, cache writes and reasoning tokens cost what input (or, for reasoning,
 * output) costs unless priced on their own. Used by `src/usage/Prices.ts`.
 */
export const ModelPrice = Schema.Struct({
  inputPerMTok: PerMTok,
  outputPerMTok: PerMTok,
  cachedInputPerMTok: Schema.optionalKey(PerMTok),
  cacheWritePerMTok: Schema.optionalKey(PerMTok),
  reasoningPerMTok: Schema.optionalKey(PerMTok)
})
export type ModelPrice = typeof ModelPrice.Type

/** The known fields of one provider entry. */
export const ProviderFields = Schema.Struct({
  id: ProviderId,
  name: Schema.NonEmptyString,
  preset: defaulted(PresetId, "custom"),
  protocol: defaulted(Protocol, "https"),
  host: Schema.NonEmptyString,
  /** Absent: the protocol's default port (80 / 443). */
  port: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 65535 })))),
  basePath: defaulted(Schema.String, "/v1"),
  format: defaulted(ApiFormat, "openai"),
  auth: defaulted(AuthKind, "none"),
  enabled: defaulted(Schema.Boolean, true),
  autoConnect: defaulted(Schema.Boolean, true),
  timeoutSeconds: defaulted(Schema.Number.pipe(Schema.check(Schema.isGreaterThan(0))), 60),
  /** Plain (non-secret) custom headers sent to the provider. */
  headers: defaulted(Schema.Record(Schema.String, Schema.String), {}),
  /** Names of headers whose values live in the SecretStore. */
  secretHeaders: defaulted(Schema.Array(Schema.String), []),
  /** Model ids added by hand, merged into the discovered list. */
  models: Schema.optionalKey(Schema.Array(Schema.String)),
  /**
   * Price overrides by upstream model id (`ModelPrice` each), kept as written: each entry is
   * decoded on its own (`modelPrices`), so a broken one is reported (`priceProblems`) and left
   * out without breaking the file.
   */
  prices: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
})

/** One provider entry; unknown fields are carried through untouched. */
export const ProviderConfig = Schema.StructWithRest(ProviderFields, [Schema.Record(Schema.String, Schema.Unknown)])
export type ProviderConfig = typeof ProviderConfig.Type

/**
 * Settings of the local models (`src/local/`): every field optional, defaults in
 * `src/local/LocalModels.ts`. Unknown fields are kept.
 */
export const LocalConfig = Schema.StructWithRest(
  Schema.Struct({
    /** Model files or folders besides `$SWITCHBOARD_HOME/models/`. */
    modelPaths: Schema.optionalKey(Schema.Array(Schema.String)),
    /** Unload a model after this long without a request. */
    idleUnloadSeconds: Schema.optionalKey(Schema.Number.pipe(Schema.check(Schema.isGreaterThan(0)))),
    /** Requests that may wait for a busy model; one more is answered 503. */
    maxQueue: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))),
    /**
     * The longest answer, in tokens, when the request gives no limit (default: the model's context
     * size). A caller's own limit wins, capped at the context size.
     */
    maxOutputTokens: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0)))),
    /** `auto` picks what this machine can run; `none` turns local models off. */
    engine: Schema.optionalKey(Schema.Literals(["auto", "llama.cpp", "mlx", "none"]))
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)
export type LocalConfig = typeof LocalConfig.Type

/** The whole file, version 1. */
export const RemoteConfig = Schema.StructWithRest(
  Schema.Struct({
    version: Schema.Literal(1),
    providers: Schema.Array(ProviderConfig),
    local: Schema.optionalKey(LocalConfig),
    /**
     * Virtual models (`VirtualModelConfig.ts`), kept as written: each entry is decoded on its own
     * when applied, so one broken entry is reported and left out without breaking the file.
     */
    virtualModels: Schema.optionalKey(Schema.Array(Schema.Unknown))
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)
export type RemoteConfig = typeof RemoteConfig.Type

export const emptyConfig: RemoteConfig = { version: 1, providers: [] }

/** `scheme://host:port/basePath` without a trailing slash, e.g. `https://api.openai.com/v1`. */
export const baseUrl = (p: ProviderConfig): string => {
  const port = p.port ?? (p.protocol === "https" ? 443 : 80)
  const defaultPort = p.protocol === "https" ? 443 : 80
  const path = p.basePath === "" || p.basePath === "/" ? "" : "/" + p.basePath.replace(/^\/+|\/+$/g, "")
  return `${p.protocol}://${p.host}${port === defaultPort ? "" : `:${port}`}${path}`
}

/** Edit distance, for "did you mean": a typo of one or two letters in a key names the known one. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = row
  }
  return previous[b.length]!
}

/** The known key `key` most likely misspells (at most two edits away), if any. */
export const closestKey = (key: string, known: ReadonlyArray<string>): string | undefined => {
  const [best] = known.map((name) => [distance(key.toLowerCase(), name.toLowerCase()), name] as const)
    .filter(([d]) => d <= 2)
    .sort(([a], [b]) => a - b)
  return best?.[1]
}

const unknownIn = (where: string, value: object, known: ReadonlyArray<string>): ReadonlyArray<string> =>
  Object.keys(value).filter((key) => !known.includes(key)).map((key) => {
    const suggestion = closestKey(key, known)
    return `unknown key "${key}" in ${where}${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}: kept in the file, but it has no effect`
  })

/**
 * Warnings about keys this version does not know. They are kept (a newer Switchboard may have
 * written them), but a misspelt known key (`"protocl"`) would otherwise be silently ignored.
 */
export const unknownKeys = (config: RemoteConfig): ReadonlyArray<string> => [
  ...unknownIn("remote.json", config, Object.keys(RemoteConfig.schema.fields)),
  ...config.providers.flatMap((provider) => unknownIn(`provider ${provider.id}`, provider, Object.keys(ProviderFields.fields))),
  ...(config.local === undefined ? [] : unknownIn(`"local"`, config.local, Object.keys(LocalConfig.schema.fields)))
]

const decodeModelPrice = Schema.decodeUnknownResult(ModelPrice)
const priceKeys = Object.keys(ModelPrice.fields)

/** What is wrong with one price entry, or undefined when it decodes. */
const priceProblem = (value: unknown): string | undefined =>
  Result.match(decodeModelPrice(value, { errors: "all" }), {
    onSuccess: () => undefined,
    onFailure: (error) => error.message.replace(/\s*\n\s*/g, " ")
  })

/**
 * Problems of the `prices` overrides: entries that do not decode (reported and left out: the model
 * is priced as if they were absent) and keys an entry does not know (a misspelt
 * `"cachedInputPerMtok"` would otherwise price cached reads at the input price unnoticed).
 */
export const priceProblems = (config: RemoteConfig): ReadonlyArray<string> =>
  config.providers.flatMap((provider) =>
    Object.entries(provider.prices ?? {}).flatMap(([model, value]) => {
      const where = `the price of ${JSON.stringify(model)} in provider ${provider.id}`
      const problem = priceProblem(value)
      if (problem !== undefined) return [`${where} is left out (the model is priced as if it had none): ${problem}`]
      return typeof value === "object" && value !== null ? unknownIn(where, value, priceKeys) : []
    })
  )

/** Everything worth a warning in a configuration that loads: unknown keys and broken prices. */
export const configWarnings = (config: RemoteConfig): ReadonlyArray<string> => [...unknownKeys(config), ...priceProblems(config)]

const pricesCache = new WeakMap<object, ReadonlyMap<string, ModelPrice>>()

/**
 * A provider's price overrides that decode, by upstream model id; computed once per `prices`
 * object (a configuration is immutable, so its entries are decoded once, not per request).
 */
export const modelPrices = (provider: ProviderConfig): ReadonlyMap<string, ModelPrice> => {
  const prices = provider.prices
  if (prices === undefined) return noPrices
  const cached = pricesCache.get(prices)
  if (cached !== undefined) return cached
  const decoded = new Map<string, ModelPrice>()
  for (const [model, value] of Object.entries(prices)) {
    const price = decodeModelPrice(value)
    if (Result.isSuccess(price)) decoded.set(model, price.success)
  }
  pricesCache.set(prices, decoded)
  return decoded
}

const noPrices: ReadonlyMap<string, ModelPrice> = new Map()
