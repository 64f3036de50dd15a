/**
 * `switchboard providers list|add|edit|remove|enable|disable|test`: the same operations as the
 * admin API, carried out by a running server when one answers and on the config directly when
 * none does (`ProviderBackend.choose`), so both stay consistent.
 */
import { Console, Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { NewProvider, ProviderEdit } from "../config/ProviderCatalog.ts"
import { presetFor } from "../config/Presets.ts"
import { AuthKind, PresetId } from "../config/RemoteConfig.ts"
import type { SecretStoreStatus } from "../admin/AdminApi.ts"
import { variableFor } from "../secrets/EnvSecretStore.ts"
import { apiKey } from "../secrets/SecretStore.ts"
import { CliFailure, operation } from "./Operation.ts"
import { choose, type ConfigNotes, type ProviderBackend, type ProviderHeaders, type ProviderRow, urlFlag } from "./ProviderBackend.ts"
import { readSecrets } from "./SecretInput.ts"
import { type Colour, colourEnabled, renderTable } from "./Table.ts"

const providerId = Argument.String("provider-id").pipe(Argument.withDescription("The provider's id (its model prefix)"))

const preset = Argument.Literals("preset", PresetId.literals).pipe(
  Argument.withDescription(`Where the provider lives: ${PresetId.literals.join(", ")} (custom: give --host)`)
)

/** Flags that set a provider's settings; shared by `add` and `edit`. */
const settingsFlags = {
  name: Flag.String("name").pipe(Flag.withDescription("Display name (default: the preset's); the id never changes"), Flag.optional),
  host: Flag.String("host").pipe(Flag.withDescription("Host name or IP address, without scheme, port or path"), Flag.optional),
  port: Flag.Int("port").pipe(Flag.withDescription("Port (default: the protocol's)"), Flag.optional),
  protocol: Flag.Literals("protocol", ["http", "https"]).pipe(Flag.withDescription("http or https"), Flag.optional),
  basePath: Flag.String("base-path").pipe(Flag.withDescription("Path of the API, e.g. /v1"), Flag.optional),
  format: Flag.Literals("format", ["openai", "anthropic", "responses"]).pipe(
    Flag.withDescription("Wire format the provider speaks: openai (Chat Completions), anthropic (Messages), responses"),
    Flag.optional
  ),
  timeout: Flag.Finite("timeout").pipe(Flag.withDescription("Seconds allowed for an upstream answer"), Flag.optional),
  header: Flag.String("header").pipe(
    Flag.withDescription("A plain header K=V sent upstream (repeatable; on edit, K= removes it)"),
    Flag.atLeast(0)
  ),
  secretHeader: Flag.String("secret-header").pipe(
    Flag.withDescription("Name of a header whose value is secret (repeatable): read from a hidden prompt, or one line of stdin each"),
    Flag.atLeast(0)
  ),
  models: Flag.String("models").pipe(
    Flag.withDescription(
      "Model ids set by hand, comma-separated (a,b,c): served besides the discovered ones, or alone when the upstream has no " +
        "GET /models. On edit they replace the previous manual list"
    ),
    Flag.optional
  ),
  auth: Flag.Literals("auth", AuthKind.literals).pipe(
    Flag.withDescription(
      "apiKey: send the provider's API key (from the secret store; with SWITCHBOARD_SECRETS=env, from SWITCHBOARD_KEY_<ID>); " +
        "none: send none (default: the preset's, apiKey when --api-key-stdin is given)"
    ),
    Flag.optional
  ),
  apiKeyStdin: Flag.Boolean("api-key-stdin").pipe(
    Flag.withDescription("Read the API key from stdin (first line), e.g. echo -n \"$KEY\" | switchboard providers add openai --api-key-stdin"),
    Flag.withDefault(false)
  ),
  url: urlFlag
}

type SettingsFlags = {
  readonly [K in keyof typeof settingsFlags]: (typeof settingsFlags)[K] extends Flag.Flag<infer A> ? A : never
}

/** `K=V` pairs, split at the first `=`; an empty value (`K=`) is kept: on edit it removes the header. */
const parseHeaders = (pairs: ReadonlyArray<string>) =>
  Effect.forEach(pairs, (pair) => {
    const eq = pair.indexOf("=")
    return eq <= 0
      ? Effect.fail(new CliFailure({ message: `--header ${JSON.stringify(pair)}: expected NAME=VALUE` }))
      : Effect.succeed([pair.slice(0, eq).trim(), pair.slice(eq + 1)] as const)
  })

/** `a, b,c` → `["a", "b", "c"]`; a list with no model in it is a mistake, not a way to clear one. */
const parseModels = (value: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isNone(value)) return {}
    const models = Array.from(new Set(value.value.split(",").map((model) => model.trim()).filter((model) => model !== "")))
    if (models.length === 0) return yield* new CliFailure({ message: "--models: expected model ids separated by commas (to remove the list: --clear-models)" })
    return { models }
  })

/**
 * What `--header K=V` / `K=` and `--remove-header K` make of a provider's headers: plain header
 * changes by name (a value, or `null` to remove; applied by the catalog to the headers as they are
 * when written, so a concurrent edit of another header is kept) and the secret headers to remove
 * with their values. Header names are case-insensitive: `--remove-header x-token` finds `X-Token`.
 * `current` is only read to check that a removed header exists.
 */
export const headerEdits = (
  providerId: string,
  current: ProviderHeaders,
  pairs: ReadonlyArray<readonly [string, string]>,
  removals: ReadonlyArray<string>,
  newSecretHeaders: ReadonlyArray<string>
): Effect.Effect<{ readonly headerChanges: Record<string, string | null> | undefined; readonly removedSecretHeaders: Record<string, null> }, CliFailure> => {
  const headerChanges: Record<string, string | null> = {}
  const removedSecretHeaders: Record<string, null> = {}
  for (const [name, value] of pairs) headerChanges[name] = value === "" ? null : value
  for (const wanted of removals) {
    const same = (name: string) => name.toLowerCase() === wanted.toLowerCase()
    const plain = Object.keys(current.headers).filter(same)
    const secret = current.secretHeaders.filter(same)
    if (plain.length === 0 && secret.length === 0) {
      return Effect.fail(new CliFailure({ message: `--remove-header ${wanted}: provider ${providerId} has no such header` }))
    }
    if (newSecretHeaders.some(same)) {
      return Effect.fail(new CliFailure({ message: `--remove-header ${wanted} and --secret-header ${wanted} contradict each other: give one` }))
    }
    if (plain.length > 0) headerChanges[wanted] = null
    for (const name of secret) removedSecretHeaders[name] = null
  }
  return Effect.succeed({ headerChanges: Object.keys(headerChanges).length === 0 ? undefined : headerChanges, removedSecretHeaders })
}

const optional = <K extends string, A>(key: K, value: Option.Option<A>): { [P in K]?: A } =>
  Option.isSome(value) ? ({ [key]: value.value } as { [P in K]?: A }) : {}

/** The settings the flags give, except headers (which differ between add and edit). */
const plainSettings = (flags: SettingsFlags) => ({
  ...optional("host", flags.host),
  ...optional("port", flags.port),
  ...optional("protocol", flags.protocol),
  ...optional("basePath", flags.basePath),
  ...optional("format", flags.format),
  ...optional("timeoutSeconds", flags.timeout),
  ...optional("auth", flags.auth)
})

const secretHeadersOf = (values: Readonly<Record<string, Redacted.Redacted<string>>>) =>
  Object.keys(values).length === 0 ? {} : { secretHeaders: values }

const stateColour = (state: string): Colour | undefined => {
  switch (state) {
    case "connected":
      return "green"
    case "connecting":
      return "blue"
    case "error":
      return "red"
    case "disconnected":
    case "disabled":
    case "not running":
      return "gray"
    default:
      return undefined
  }
}

const modelsCell = (backend: ProviderBackend, row: ProviderRow) =>
  backend.running ? String(row.models.length) : row.models.length === 0 ? "-" : `${row.models.length} manual`

/** The providers table; without a server, a line says the states are not live. */
export const providersTable = (backend: ProviderBackend, rows: ReadonlyArray<ProviderRow>, colour: boolean): string => {
  // Nothing to tabulate: one line, not a header row over nothing.
  if (rows.length === 0) {
    return `no providers configured${backend.running ? "" : " in remote.json (Switchboard is not running)"}: add one with \`switchboard providers add <preset>\``
  }
  const table = renderTable(
    ["ID", "NAME", "STATE", "MODELS", "BASE URL", "ERROR"],
    rows.map((row) => [
      row.id,
      row.name,
      { text: row.state, colour: stateColour(row.state) },
      modelsCell(backend, row),
      row.baseUrl,
      { text: row.error ?? "", colour: "red" }
    ]),
    colour
  )
  const note = backend.running ? "" : `\nSwitchboard is not running (no server at ${backend.url}): settings from remote.json, no live state`
  return table + note
}

/**
 * What to tell the user who added provider `id` with key authentication but gave no key, in the
 * terms of the store in use: the variable it is read from (env), why the keychain cannot take one,
 * or the command that stores one (keychain, file).
 */
export const noKeyGiven = (store: SecretStoreStatus, id: string): string =>
  store.kind === "env"
    ? `${id} sends the API key from ${variableFor(id, apiKey)}: set it where Switchboard starts`
    : store.problem !== null
    ? `no API key stored for ${id}: ${store.problem}`
    : `no API key given for ${id}: set one with \`switchboard providers edit ${id} --api-key-stdin\``

/** What is wrong with remote.json, under the table (on stderr): its error and what the table shows instead, then its warnings. */
export const configNoteLines = (backend: ProviderBackend, notes: ConfigNotes, shown: number): ReadonlyArray<string> => [
  ...(notes.error === null ? [] : [
    `switchboard: ${notes.path}: ${notes.error}`,
    backend.running
      ? "the server keeps running its last good configuration (shown above) until the file is fixed"
      : `${shown === 0 ? "no provider entry could be read from it" : "shown above: the provider entries that could be read"}; ` +
        "commands that change providers refuse to write until the file is fixed"
  ]),
  ...notes.warnings.map((warning) => `warning: ${notes.path}: ${warning}`)
]

const list = Command.make("list", { url: urlFlag }, ({ url }) =>
  operation(Effect.gen(function*() {
    const backend = yield* choose(url)
    const rows = yield* backend.list
    const notes = yield* backend.configNotes
    // A broken file with nothing readable in it is not "no providers configured".
    if (rows.length > 0 || notes.error === null) yield* Console.log(providersTable(backend, rows, yield* colourEnabled))
    for (const line of configNoteLines(backend, notes, rows.length)) yield* Console.error(line)
    // Listing never reads secrets, so it works without a keychain; but the user should know.
    const store = yield* backend.secretStore
    if (store.problem !== null) yield* Console.error(`secrets: ${store.problem}`)
  }))).pipe(Command.withDescription("List providers with their state, model count and base URL"))

const contradictoryAuth = (flags: { readonly auth: Option.Option<AuthKind>; readonly apiKeyStdin: boolean }) =>
  flags.apiKeyStdin && Option.contains(flags.auth, "none")
    ? Effect.fail(new CliFailure({ message: "--auth none and --api-key-stdin contradict each other: give one" }))
    : Effect.void

const add = Command.make("add", { preset, ...settingsFlags }, (flags) =>
  operation(Effect.gen(function*() {
    yield* contradictoryAuth(flags)
    const backend = yield* choose(flags.url)
    const store = yield* backend.secretStore
    const headers = Object.fromEntries(yield* parseHeaders(flags.header))
    const label = Option.getOrElse(flags.name, () => presetFor(flags.preset).label)
    const needsKey = Option.getOrElse(flags.auth, () => presetFor(flags.preset).auth) === "apiKey"
    const secrets = yield* readSecrets({
      // A prompt for a key the store cannot keep would only lead to a failure.
      apiKey: flags.apiKeyStdin ? "required" : needsKey && store.writable ? "optional" : "no",
      headers: flags.secretHeader
    }, label)
    const input: NewProvider = {
      preset: flags.preset,
      ...optional("name", flags.name),
      settings: { ...plainSettings(flags), ...(yield* parseModels(flags.models)), ...(Object.keys(headers).length === 0 ? {} : { headers }) },
      ...(secrets.apiKey === undefined ? {} : { apiKey: secrets.apiKey }),
      ...secretHeadersOf(secrets.headers)
    }
    const id = yield* backend.add(input)
    if (needsKey && secrets.apiKey === undefined) yield* Console.error(noKeyGiven(store, id))
    yield* Console.log(id)
  }))).pipe(
    Command.withDescription(
      "Add a provider from a preset and print its new id. The API key is read from a hidden prompt, " +
        "or from stdin with --api-key-stdin (never from a flag value); with SWITCHBOARD_SECRETS=env, give --auth apiKey " +
        "and set SWITCHBOARD_KEY_<ID> where Switchboard starts"
    )
  )

const edit = Command.make("edit", {
  providerId,
  ...settingsFlags,
  confirmKeepSecrets: Flag.Boolean("confirm-keep-secrets").pipe(
    Flag.withDescription("Keep the stored API key and secret headers although protocol, host or port change"),
    Flag.withDefault(false)
  ),
  removeApiKey: Flag.Boolean("remove-api-key").pipe(
    Flag.withDescription("Delete the stored API key (the provider is then called without one)"),
    Flag.withDefault(false)
  ),
  removeHeader: Flag.String("remove-header").pipe(
    Flag.withDescription("Remove this header (repeatable): a plain one, or a secret one together with its stored value"),
    Flag.atLeast(0)
  ),
  clearModels: Flag.Boolean("clear-models").pipe(
    Flag.withDescription("Remove the manual model list (only discovered models are served)"),
    Flag.withDefault(false)
  )
}, (flags) =>
  operation(Effect.gen(function*() {
    if (flags.removeApiKey && flags.apiKeyStdin) {
      return yield* new CliFailure({ message: "--remove-api-key and --api-key-stdin contradict each other: give one" })
    }
    if (flags.clearModels && Option.isSome(flags.models)) {
      return yield* new CliFailure({ message: "--clear-models and --models contradict each other: give one" })
    }
    if (flags.removeApiKey && Option.contains(flags.auth, "apiKey")) {
      return yield* new CliFailure({ message: "--remove-api-key and --auth apiKey contradict each other: give one" })
    }
    yield* contradictoryAuth(flags)
    const backend = yield* choose(flags.url)
    const pairs = yield* parseHeaders(flags.header)
    const { headerChanges, removedSecretHeaders } = pairs.length > 0 || flags.removeHeader.length > 0
      ? yield* headerEdits(flags.providerId, yield* backend.headersOf(flags.providerId), pairs, flags.removeHeader, flags.secretHeader)
      : { headerChanges: undefined, removedSecretHeaders: {} }
    const secrets = yield* readSecrets({ apiKey: flags.apiKeyStdin ? "required" : "no", headers: flags.secretHeader }, flags.providerId)
    const secretHeaders = { ...secrets.headers, ...removedSecretHeaders }
    const change: ProviderEdit = {
      ...optional("name", flags.name),
      settings: {
        ...plainSettings(flags),
        ...(yield* parseModels(flags.models)),
        ...(flags.clearModels ? { models: null } : {})
      },
      ...(headerChanges === undefined ? {} : { headerChanges }),
      ...(flags.removeApiKey ? { apiKey: null } : secrets.apiKey === undefined ? {} : { apiKey: secrets.apiKey }),
      ...(Object.keys(secretHeaders).length === 0 ? {} : { secretHeaders }),
      ...(flags.confirmKeepSecrets ? { confirmKeepSecrets: true } : {})
    }
    yield* backend.edit(flags.providerId, change)
    yield* Console.log(`updated provider ${flags.providerId}`)
    if (Option.contains(flags.auth, "apiKey") && secrets.apiKey === undefined) {
      const store = yield* backend.secretStore
      // Env mode: the one thing left to do is outside Switchboard, so say exactly what it is.
      if (store.kind === "env") yield* Console.error(noKeyGiven(store, flags.providerId))
    }
  }))).pipe(
    Command.withDescription(
      "Change a provider's settings, name or secrets (--api-key-stdin: a new key, --remove-api-key: none; --secret-header: a new value, " +
        "--remove-header: no header; --models / --clear-models: the manual model list). " +
        "Moving a provider with stored secrets to another protocol, host or port needs --confirm-keep-secrets or new values"
    )
  )

const remove = Command.make("remove", { providerId, url: urlFlag }, ({ providerId, url }) =>
  operation(Effect.gen(function*() {
    const backend = yield* choose(url)
    yield* backend.remove(providerId)
    yield* Console.log(`removed provider ${providerId} and its secrets`)
  }))).pipe(Command.withDescription("Remove a provider from remote.json and delete its secrets from the keychain"))

const setEnabled = (enabled: boolean) =>
  Command.make(enabled ? "enable" : "disable", { providerId, url: urlFlag }, ({ providerId, url }) =>
    operation(Effect.gen(function*() {
      const backend = yield* choose(url)
      yield* backend.setEnabled(providerId, enabled)
      yield* Console.log(`${enabled ? "enabled" : "disabled"} provider ${providerId}`)
    }))).pipe(Command.withDescription(enabled ? "Run a provider again" : "Stop a provider, keeping its settings and secrets"))

const test = Command.make("test", { providerId, url: urlFlag }, ({ providerId, url }) =>
  operation(Effect.gen(function*() {
    const backend = yield* choose(url)
    const outcome = yield* backend.test(providerId)
    if (!outcome.ok) return yield* new CliFailure({ message: `${providerId}: ${outcome.error}` })
    yield* Console.log(`ok: ${providerId} serves ${outcome.models.length} model${outcome.models.length === 1 ? "" : "s"}`)
  }))).pipe(
    Command.withDescription("Discover a provider's models once with its saved settings and key: ok and the model count, or the upstream's error")
  )

export const ProvidersCommand = Command.make("providers").pipe(
  Command.withDescription("Manage providers: through the running server when one answers, else in remote.json directly"),
  Command.withSubcommands([list, add, edit, remove, setEnabled(true), setEnabled(false), test])
)
