/**
 * Every environment variable Switchboard reads, in one place: its name, how it is read (an Effect
 * `Config`, so it goes through the current `ConfigProvider` and a test gives its own provider
 * instead of changing `process.env`), its default and what it means. `table` lists them all; the
 * README's environment table is checked against it (test/config/Settings.test.ts), so a new
 * variable is one entry here and one row there.
 *
 * Nothing else in src/ reads `process.env`. (bin/switchboard.js, plain JavaScript that runs before
 * the sources load, reads `SWITCHBOARD_FROM_SOURCE` itself; it is listed here all the same.)
 *
 * Empty values count as unset (the env provider's rule), as they always did here.
 */
import { Config, ConfigProvider, Effect, Option, Redacted } from "effect"
import { homedir } from "node:os"
import { delimiter, join } from "node:path"
import { DEFAULT_MAX_BODY_BYTES } from "../http/BodyReader.ts"

/** One variable, or one family of variables, as the README shows it. */
export interface Setting {
  /** Its name; a family's has placeholders (`SWITCHBOARD_KEY_<ID>`). */
  readonly variable: string
  /** The value when it is unset, as the README shows it; `undefined`: none. */
  readonly default: string | undefined
  /** What it means, in one sentence. */
  readonly meaning: string
}

/** A single variable and how it is read. */
export interface Variable<A> extends Setting {
  readonly config: Config.Config<A>
}

/** A family of variables, one per provider (and header); `config` reads one member. */
export interface Family<Args extends ReadonlyArray<string>, A> extends Setting {
  readonly default: undefined
  // Methods, not function properties: a family of one argument is then still a `Family<ReadonlyArray<string>, …>` in `table`.
  /** The member's name, e.g. `SWITCHBOARD_KEY_MY_PROVIDER`. */
  name(...args: Args): string
  config(...args: Args): Config.Config<A>
}

const variable = <A>(
  name: string,
  read: (name: string) => Config.Config<A>,
  options: { readonly default: A; readonly shown: string | undefined; readonly meaning: string }
): Variable<A> => ({
  variable: name,
  default: options.shown,
  meaning: options.meaning,
  config: read(name).pipe(Config.withDefault(options.default))
})

/** A variable with no default: `None` when unset. */
const optional = <A>(name: string, read: (name: string) => Config.Config<A>, meaning: string): Variable<Option.Option<A>> => ({
  variable: name,
  default: undefined,
  meaning,
  config: Config.option(read(name))
})

/** A list in one variable: comma-separated, blanks ignored. */
const commaList = (name: string) =>
  Config.String(name).pipe(Config.map((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== "")))

export const host = variable("SWITCHBOARD_HOST", Config.String, {
  default: "127.0.0.1",
  shown: "127.0.0.1",
  meaning: "The address `serve` listens on (`--host` wins)."
})

export const port = variable("SWITCHBOARD_PORT", Config.Int, {
  default: 1337,
  shown: "1337",
  meaning: "The port `serve` listens on (`--port` wins), and where the CLI looks for a running server (`--url` wins)."
})

export const home = variable("SWITCHBOARD_HOME", Config.String, {
  default: join(homedir(), ".switchboard"),
  shown: "~/.switchboard",
  meaning: "The configuration folder."
})

export const secrets = variable<"keychain" | "env" | "file">("SWITCHBOARD_SECRETS", (name) => Config.Literals(["keychain", "env", "file"], name), {
  default: "keychain",
  shown: "keychain",
  meaning: "Where secrets live: `keychain`, `env` (the variables below, read-only) or `file` (`secrets.json` in the configuration folder, plain text, mode 0600)."
})

export const gatewayKeys = variable("SWITCHBOARD_GATEWAY_KEYS", commaList, {
  default: [],
  shown: undefined,
  meaning: "With `SWITCHBOARD_SECRETS=env`, the gateway keys, comma-separated."
})

export const gatewayKey = optional(
  "SWITCHBOARD_GATEWAY_KEY",
  Config.Redacted,
  "The gateway key the CLI sends to a server that requires one."
)

export const logFormat = variable("SWITCHBOARD_LOG_FORMAT", (name) => Config.Literals(["text", "json"], name), {
  default: "text",
  shown: "text",
  meaning: "The log lines of `serve`: `text`, or `json` (one object per line) for log collectors (`--log-format` wins)."
})

export const fastLane = variable("SWITCHBOARD_FAST_LANE", Config.Boolean, {
  default: true,
  shown: "true",
  meaning: "`false` sends every API request through the Effect app instead of the fast lane (pass-through, and translation to providers reached over HTTP)."
})

export const maxBodyBytes = variable("SWITCHBOARD_MAX_BODY_BYTES", Config.Int, {
  default: DEFAULT_MAX_BODY_BYTES,
  shown: String(DEFAULT_MAX_BODY_BYTES),
  meaning: "The largest request body the API endpoints accept (a larger one is a 413)."
})

export const ledger = variable("SWITCHBOARD_LEDGER", Config.Boolean, {
  default: true,
  shown: "true",
  meaning: "`false` (or `off`) records nothing: no usage ledger, no request metrics or traces, no database opened."
})

export const otlpEndpoint = optional(
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  Config.String,
  "An OTLP/HTTP collector's base URL (e.g. `http://127.0.0.1:4318`): one span per request is sent to `<url>/v1/traces`. Unset: no tracing."
)

export const otelServiceName = variable("OTEL_SERVICE_NAME", Config.String, {
  default: "switchboard",
  shown: "switchboard",
  meaning: "The `service.name` the spans carry."
})

/**
 * A Postgres URL, kept `Redacted` (it may hold the password). Only `postgres://` and
 * `postgresql://` are accepted; the error for anything else never repeats the value.
 */
const postgresUrl = (name: string) =>
  Config.Redacted(name).pipe(
    Config.mapEffect((url) =>
      /^postgres(ql)?:\/\/./.test(Redacted.value(url))
        ? Effect.succeed(url)
        : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: `${name} must be a postgres:// or postgresql:// URL` })))
    )
  )

export const databaseUrl = optional(
  "SWITCHBOARD_DATABASE_URL",
  postgresUrl,
  "A `postgres://user:password@host:5432/database` URL: the usage ledger (and gateway keys' budgets) go to that Postgres, shared by every instance pointed at it, instead of the SQLite file `switchboard.db` in the configuration folder."
)

export const retentionDays = variable("SWITCHBOARD_RETENTION_DAYS", Config.Int, {
  default: 90,
  shown: "90",
  meaning: "How many days the usage ledger keeps a request's row, and a response stored with `store: true` is kept; older ones are deleted at start and every hour (`0`: kept forever)."
})

/** Upper-cased, every character other than A–Z and 0–9 replaced by `_`. */
const envName = (part: string) => part.toUpperCase().replace(/[^A-Z0-9]/g, "_")

const keyName = (providerId: string) => `SWITCHBOARD_KEY_${envName(providerId)}`

export const providerKey: Family<[providerId: string], Option.Option<Redacted.Redacted<string>>> = {
  variable: "SWITCHBOARD_KEY_<ID>",
  default: undefined,
  meaning: "With `SWITCHBOARD_SECRETS=env`, the API key of provider `<id>` (upper-cased, other characters than A–Z and 0–9 as `_`).",
  name: keyName,
  config: (providerId) => Config.option(Config.Redacted(keyName(providerId)))
}

const headerName = (providerId: string, header: string) => `SWITCHBOARD_HEADER_${envName(providerId)}_${envName(header)}`

export const providerHeader: Family<[providerId: string, header: string], Option.Option<Redacted.Redacted<string>>> = {
  variable: "SWITCHBOARD_HEADER_<ID>_<NAME>",
  default: undefined,
  meaning: "With `SWITCHBOARD_SECRETS=env`, the value of secret header `<Name>` of provider `<id>` (spelled like the key's).",
  name: headerName,
  config: (providerId, header) => Config.option(Config.Redacted(headerName(providerId, header)))
}

/** Read by bin/switchboard.js itself (before any source loads); here so the table is whole. */
export const fromSource = optional(
  "SWITCHBOARD_FROM_SOURCE",
  Config.String,
  "`1` runs the TypeScript sources even when the built bundle is newer than them."
)

// The terminal conventions the CLI honours (https://no-color.org, FORCE_COLOR, TERM=dumb). Read
// raw: `Table.colourEnabled` applies the rules.
export const noColor = optional("NO_COLOR", Config.String, "Any value turns the CLI's colours off.")
export const forceColor = optional("FORCE_COLOR", Config.String, "Any value but `0` turns the CLI's colours on even on a pipe.")
export const term = optional("TERM", Config.String, "`dumb` turns the CLI's colours off on a terminal.")

/** The folders of the PATH, in order: where the MLX engine's `mlx_lm.server` is looked for. */
export const searchPath = variable(
  "PATH",
  (name) => Config.String(name).pipe(Config.map((value) => value.split(delimiter).filter((dir) => dir !== ""))),
  { default: [], shown: undefined, meaning: "Where local engines' commands (`mlx_lm.server`, Apple Silicon) are looked for." }
)

/** Every variable Switchboard reads, in the README's order. */
export const table: ReadonlyArray<Variable<unknown> | Family<ReadonlyArray<string>, unknown>> = [
  host,
  port,
  home,
  secrets,
  providerKey,
  providerHeader,
  gatewayKeys,
  gatewayKey,
  logFormat,
  fastLane,
  maxBodyBytes,
  ledger,
  otlpEndpoint,
  otelServiceName,
  databaseUrl,
  retentionDays,
  noColor,
  forceColor,
  term,
  searchPath,
  fromSource
]
