/**
 * Talking to a running Switchboard: a short probe of `/health` tells whether one runs, then the
 * provider operations go through its admin API with the client derived from the API's definition
 * (src/admin/AdminApiClient.ts), so the server applies them at once and the answer shows live
 * states. An admin error becomes the one-line failure the user sees. Secrets leave `Redacted` only
 * to be written into a request body.
 */
import { Config, Duration, Effect, Option, Redacted, Schema } from "effect"
import * as Settings from "../config/Settings.ts"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientResponse } from "effect/http"
import { type CreateProvider, type EditProvider, ProviderStatus } from "../admin/AdminApi.ts"
import { type AdminApiClient, type AdminCallError, callFailure, GATEWAY_KEY_CODES, makeAdminApiClient } from "../admin/AdminApiClient.ts"
import type { NewProvider, ProviderEdit } from "../config/ProviderCatalog.ts"
import { CliFailure } from "./Operation.ts"
import type { ProviderBackend, ProviderRow, TestOutcome } from "./ProviderBackend.ts"

/** `http://127.0.0.1:$SWITCHBOARD_PORT`, port 1337 by default: where `switchboard serve` listens. */
export const defaultUrl = Config.map(Settings.port.config, (port) => `http://127.0.0.1:${port}`)

/** Long enough for a loaded server on loopback, short enough that commands stay snappy when none runs. */
const PROBE_TIMEOUT = Duration.millis(1_000)
/** Admin calls store secrets in the keychain, which may be slow; never wait forever. */
const CALL_TIMEOUT = Duration.seconds(30)

/** The server at `url` and its admin API. */
export interface AdminClient {
  readonly url: string
  /** One call of the admin API, its failure in the user's words. */
  readonly api: <A>(f: (api: AdminApiClient) => Effect.Effect<A, AdminCallError>) => Effect.Effect<A, CliFailure>
  /** A JSON `GET` outside the admin API (`/v1/local`), decoded with `schema`. */
  readonly call: <A>(method: "GET", path: string, schema: Schema.Decoder<A>) => Effect.Effect<A, CliFailure>
}

/**
 * A server on a non-loopback address wants a gateway key on every call: the CLI sends
 * `$SWITCHBOARD_GATEWAY_KEY` when set (the keychain keeps only hashes, so the key must come from
 * the user).
 */
const authorization: Effect.Effect<Readonly<Record<string, string>>, CliFailure> = Config.map(
  Settings.gatewayKey.config,
  (key): Readonly<Record<string, string>> =>
    Option.match(key, { onNone: () => ({}), onSome: (key) => ({ authorization: `Bearer ${Redacted.value(key)}` }) })
).pipe(Effect.mapError((error) => new CliFailure({ message: error.message })))

/** The failure of one call as the user reads it; a refused gateway key adds where the CLI takes it from. */
const failure = (url: string, error: AdminCallError): CliFailure => {
  const { message, code, unreachable } = callFailure(error)
  if (unreachable) return new CliFailure({ message: `cannot reach Switchboard at ${url}: ${message}` })
  // A plain 401 too: the status endpoints outside the admin API answer a missing key without a code.
  const keyRefused = (code !== null && GATEWAY_KEY_CODES.has(code)) || (HttpClientError.isHttpClientError(error) && error.response?.status === 401)
  const hint = keyRefused ? ` (the CLI sends the key in $SWITCHBOARD_GATEWAY_KEY)` : ""
  return new CliFailure({ message: message + hint })
}

/** Never waits forever; the failure in the user's words. */
const bounded = <A>(url: string, call: Effect.Effect<A, AdminCallError>): Effect.Effect<A, CliFailure> =>
  call.pipe(
    Effect.mapError((error) => failure(url, error)),
    Effect.timeoutOrElse({
      duration: CALL_TIMEOUT,
      orElse: () => Effect.fail(new CliFailure({ message: `cannot reach Switchboard at ${url}: no answer within ${Duration.format(CALL_TIMEOUT)}` }))
    })
  )

export const makeAdminClient = (url: string): AdminClient => ({
  url,
  api: (f) =>
    Effect.flatMap(authorization, (headers) => bounded(url, Effect.flatMap(makeAdminApiClient({ baseUrl: url, headers: () => headers }), f))),
  call: (_method, path, schema) =>
    Effect.flatMap(authorization, (headers) =>
      bounded(
        url,
        HttpClient.get(`${url}${path}`, { headers }).pipe(
          Effect.flatMap(HttpClientResponse.filterStatusOk),
          Effect.flatMap(HttpClientResponse.schemaBodyJson(schema)),
          Effect.provide(FetchHttpClient.layer)
        )
      ))
})

/** The admin client of the server at `url`, if one answers `GET /health` within a second. */
export const probe = (url: string): Effect.Effect<Option.Option<AdminClient>> => {
  const base = url.replace(/\/+$/, "")
  return Effect.flatMap(authorization, (headers) => HttpClient.get(`${base}/health`, { headers })).pipe(
    Effect.timeout(PROBE_TIMEOUT),
    Effect.map((response) => response.status === 200 ? Option.some(makeAdminClient(base)) : Option.none()),
    Effect.orElseSucceed(() => Option.none()),
    Effect.provide(FetchHttpClient.layer)
  )
}

/**
 * The server a command manages: the one at `url` when given (it must answer: the user asked for
 * that server, so silently changing the files instead would be a surprise), else the default one
 * if it answers. `client` is none when no server runs; `url` says where none was found.
 */
export const findServer = (url: Option.Option<string>): Effect.Effect<{ readonly client: Option.Option<AdminClient>; readonly url: string }, CliFailure> =>
  Effect.gen(function*() {
    const target = Option.isSome(url) ? url.value : yield* Effect.mapError(defaultUrl, (error) => new CliFailure({ message: error.message }))
    const client = yield* probe(target)
    if (Option.isNone(client) && Option.isSome(url)) return yield* new CliFailure({ message: `no Switchboard server answers at ${target}` })
    return { client, url: target }
  })

const secretHeadersBody = <V, O extends string | null>(values: Readonly<Record<string, V>> | undefined, reveal: (value: V) => O) =>
  values === undefined ? {} : { secretHeaders: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, reveal(value)])) }

/** `POST /admin/providers` body: the secrets revealed here, at the wire, and nowhere before. */
const createBody = (input: NewProvider): CreateProvider => ({
  preset: input.preset,
  ...(input.name === undefined ? {} : { name: input.name }),
  ...(input.settings === undefined ? {} : { settings: input.settings }),
  ...(input.apiKey === undefined ? {} : { apiKey: Redacted.value(input.apiKey) }),
  ...secretHeadersBody(input.secretHeaders, Redacted.value)
})

const editBody = (edit: ProviderEdit): EditProvider => ({
  ...(edit.name === undefined ? {} : { name: edit.name }),
  ...(edit.settings === undefined ? {} : { settings: edit.settings }),
  ...(edit.apiKey === undefined ? {} : { apiKey: edit.apiKey === null ? null : Redacted.value(edit.apiKey) }),
  ...secretHeadersBody(edit.secretHeaders, (value) => value === null ? null : Redacted.value(value)),
  ...(edit.headerChanges === undefined ? {} : { headerChanges: edit.headerChanges }),
  ...(edit.confirmKeepSecrets === undefined ? {} : { confirmKeepSecrets: edit.confirmKeepSecrets })
})

/** How long `test` waits for the discovery it started: beyond any provider timeout worth having. */
const TEST_DEADLINE_MS = 120_000

/**
 * Test through the server: reconnect the provider (one discovery with its saved settings and
 * secrets, the same the running provider does) and wait for the state that discovery reports —
 * one whose `since` is not older than the request.
 */
const testRemote = (client: AdminClient, id: string) =>
  Effect.gen(function*() {
    const params = { id }
    const before = yield* client.api((api) => api.providers.get({ params }))
    if (before.state === "disabled") return yield* new CliFailure({ message: `provider ${id} is disabled: enable it first` })
    const startedAt = Date.now()
    yield* client.api((api) => api.providers.reconnect({ params }))
    for (;;) {
      const view = yield* client.api((api) => api.providers.get({ params }))
      const fresh = view.since !== null && Date.parse(view.since) >= startedAt
      if (fresh && view.state === "connected") return { ok: true, models: view.models } satisfies TestOutcome
      if (fresh && view.state === "error") return { ok: false, error: view.error ?? "unknown error" } satisfies TestOutcome
      if (Date.now() - startedAt > TEST_DEADLINE_MS) {
        return yield* new CliFailure({ message: `provider ${id} is still ${view.state} after ${TEST_DEADLINE_MS / 1000} s` })
      }
      yield* Effect.sleep(Duration.millis(100))
    }
  })

/** `GET /v1/providers` (src/http/StatusRoutes.ts), the fields a listing shows. */
/** `GET /v1/providers`: the statuses the admin API's definition describes. */
const RunningProviders = Schema.Struct({ data: Schema.Array(ProviderStatus) })

const runningRow = (p: typeof RunningProviders.Type["data"][number]): ProviderRow => ({
  id: p.id,
  name: p.name,
  state: p.state,
  error: p.error,
  models: p.models,
  baseUrl: p.base_url
})

/** The `config` block of `GET /health` (src/http/StatusRoutes.ts); `warnings` is absent from older servers. */
const HealthConfig = Schema.Struct({
  config: Schema.Struct({ path: Schema.String, error: Schema.NullOr(Schema.String), warnings: Schema.optionalKey(Schema.Array(Schema.String)) })
})

export const remoteBackend = (client: AdminClient): ProviderBackend => ({
  running: true,
  url: client.url,
  // The running providers (`GET /v1/providers`), not the admin list, which reads remote.json: so the
  // listing works while the file is broken, showing the last good configuration the server runs.
  list: Effect.map(client.call("GET", "/v1/providers", RunningProviders), ({ data }) => data.filter((p) => !p.built_in).map(runningRow)),
  configNotes: Effect.map(client.call("GET", "/health", HealthConfig), ({ config }) => ({ ...config, warnings: config.warnings ?? [] })),
  headersOf: (id) => client.api((api) => Effect.map(api.providers.get({ params: { id } }), (view) => view.settings)),
  add: (input) => client.api((api) => Effect.map(api.providers.create({ payload: createBody(input) }), (view) => view.id)),
  edit: (id, edit) => client.api((api) => Effect.asVoid(api.providers.edit({ params: { id }, payload: editBody(edit) }))),
  setEnabled: (id, enabled) => client.api((api) => Effect.asVoid((enabled ? api.providers.enable : api.providers.disable)({ params: { id } }))),
  remove: (id) => client.api((api) => Effect.asVoid(api.providers.remove({ params: { id } }))),
  test: (id) => testRemote(client, id),
  secretStore: client.api((api) => api.secrets.status())
})
