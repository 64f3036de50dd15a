/**
 * Talking to a running Switchboard: a short probe of `/health` tells whether one runs, then the
 * provider operations go through its admin API (`/admin/providers…`), so the server applies them
 * at once and the answer shows live states. Answers are decoded with Schemas; an admin error body
 * `{ error: { message } }` becomes the one-line failure the user sees. Secrets leave `Redacted`
 * only to be written into a request body.
 */
import { Config, Duration, Effect, Option, Redacted, Schema } from "effect"
import type { NewProvider, ProviderEdit } from "../config/ProviderCatalog.ts"
import * as Settings from "../config/Settings.ts"
import { CliFailure } from "./Operation.ts"
import type { ProviderBackend, ProviderRow, TestOutcome } from "./ProviderBackend.ts"

/** `http://127.0.0.1:$SWITCHBOARD_PORT`, port 1337 by default: where `switchboard serve` listens. */
export const defaultUrl = Config.map(Settings.port.config, (port) => `http://127.0.0.1:${port}`)

/** Long enough for a loaded server on loopback, short enough that commands stay snappy when none runs. */
const PROBE_TIMEOUT = Duration.millis(1_000)
/** Admin calls store secrets in the keychain, which may be slow; never wait forever. */
const CALL_TIMEOUT = Duration.seconds(30)

/** A provider as `GET /admin/providers` shows it: only the fields the CLI uses. */
const ProviderView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  state: Schema.String,
  error: Schema.NullOr(Schema.String),
  models: Schema.Array(Schema.String),
  base_url: Schema.String,
  since: Schema.NullOr(Schema.String),
  settings: Schema.Struct({ headers: Schema.Record(Schema.String, Schema.String), secretHeaders: Schema.Array(Schema.String) })
})
type ProviderView = typeof ProviderView.Type

const ProviderList = Schema.Struct({ data: Schema.Array(ProviderView) })
const Deleted = Schema.Struct({ id: Schema.String })
const ErrorBody = Schema.Struct({ error: Schema.Struct({ message: Schema.String, code: Schema.optional(Schema.NullOr(Schema.String)) }) })

export interface AdminClient {
  readonly url: string
  readonly call: <A>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    schema: Schema.Decoder<A>,
    body?: unknown
  ) => Effect.Effect<A, CliFailure>
}

const describeError = (error: unknown) => error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)

/**
 * A server on a non-loopback address wants a gateway key on every call: the CLI sends
 * `$SWITCHBOARD_GATEWAY_KEY` when set (the keychain keeps only hashes, so the key must come from
 * the user).
 */
const authorization = Config.map(Settings.gatewayKey.config, (key): Record<string, string> =>
  Option.match(key, { onNone: () => ({}), onSome: (key) => ({ authorization: `Bearer ${Redacted.value(key)}` }) }))

const send = (url: string, method: string, body: unknown, timeout: Duration.Duration) =>
  Effect.flatMap(Effect.mapError(authorization, (error) => new CliFailure({ message: error.message })), (authorization) =>
    Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, {
        method,
        signal: AbortSignal.any([signal, AbortSignal.timeout(Duration.toMillis(timeout))]),
        headers: { ...authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      return { status: response.status, text: await response.text() }
    },
    catch: (error) => new CliFailure({ message: `cannot reach Switchboard at ${url}: ${describeError(error)}` })
  }))

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const makeAdminClient = (url: string): AdminClient => ({
  url,
  call: (method, path, schema, body) =>
    Effect.gen(function*() {
      const response = yield* send(`${url}${path}`, method, body, CALL_TIMEOUT)
      const json = parseJson(response.text)
      if (response.status >= 400) {
        const error = Schema.decodeUnknownOption(ErrorBody)(json)
        const message = Option.match(error, {
          onNone: () => `${method} ${path} answered ${response.status}`,
          onSome: (body) => body.error.message
        })
        const code = Option.getOrUndefined(Option.flatMap(error, (body) => Option.fromNullishOr(body.error.code)))
        const hint = code === "gateway_key_required" || code === "invalid_gateway_key"
          ? ` (the CLI sends the key in $SWITCHBOARD_GATEWAY_KEY)`
          : ""
        return yield* new CliFailure({ message: message + hint })
      }
      return yield* Schema.decodeUnknownEffect(schema)(json).pipe(
        Effect.mapError((error) => new CliFailure({ message: `unexpected answer from ${url}${path}: ${error.message}` }))
      )
    })
})

/** The admin client of the server at `url`, if one answers `GET /health` within a second. */
export const probe = (url: string): Effect.Effect<Option.Option<AdminClient>> =>
  send(`${url.replace(/\/+$/, "")}/health`, "GET", undefined, PROBE_TIMEOUT).pipe(
    Effect.map((response) => response.status === 200 ? Option.some(makeAdminClient(url.replace(/\/+$/, ""))) : Option.none()),
    Effect.orElseSucceed(() => Option.none())
  )

const row = (view: ProviderView): ProviderRow => ({
  id: view.id,
  name: view.name,
  state: view.state,
  error: view.error,
  models: view.models,
  baseUrl: view.base_url
})

const secretHeadersBody = <V>(values: Readonly<Record<string, V>> | undefined, reveal: (value: V) => string | null) =>
  values === undefined ? {} : { secretHeaders: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, reveal(value)])) }

/** `POST /admin/providers` body: the secrets revealed here, at the wire, and nowhere before. */
const createBody = (input: NewProvider) => ({
  preset: input.preset,
  ...(input.name === undefined ? {} : { name: input.name }),
  ...(input.settings === undefined ? {} : { settings: input.settings }),
  ...(input.apiKey === undefined ? {} : { apiKey: Redacted.value(input.apiKey) }),
  ...secretHeadersBody(input.secretHeaders, Redacted.value)
})

const editBody = (edit: ProviderEdit) => ({
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
    const path = `/admin/providers/${encodeURIComponent(id)}`
    const before = yield* client.call("GET", path, ProviderView)
    if (before.state === "disabled") return yield* new CliFailure({ message: `provider ${id} is disabled: enable it first` })
    const startedAt = Date.now()
    yield* client.call("POST", `${path}/reconnect`, ProviderView)
    for (;;) {
      const view = yield* client.call("GET", path, ProviderView)
      const fresh = view.since !== null && Date.parse(view.since) >= startedAt
      if (fresh && view.state === "connected") return { ok: true, models: view.models } satisfies TestOutcome
      if (fresh && view.state === "error") return { ok: false, error: view.error ?? "unknown error" } satisfies TestOutcome
      if (Date.now() - startedAt > TEST_DEADLINE_MS) {
        return yield* new CliFailure({ message: `provider ${id} is still ${view.state} after ${TEST_DEADLINE_MS / 1000} s` })
      }
      yield* Effect.sleep(Duration.millis(100))
    }
  })

export const remoteBackend = (client: AdminClient): ProviderBackend => {
  const path = (id: string) => `/admin/providers/${encodeURIComponent(id)}`
  return {
    running: true,
    url: client.url,
    list: Effect.map(client.call("GET", "/admin/providers", ProviderList), (list) => list.data.map(row)),
    headersOf: (id) => Effect.map(client.call("GET", path(id), ProviderView), (view) => view.settings),
    add: (input) => Effect.map(client.call("POST", "/admin/providers", ProviderView, createBody(input)), (view) => view.id),
    edit: (id, edit) => Effect.asVoid(client.call("PATCH", path(id), ProviderView, editBody(edit))),
    setEnabled: (id, enabled) => Effect.asVoid(client.call("POST", `${path(id)}/${enabled ? "enable" : "disable"}`, ProviderView)),
    remove: (id) => Effect.asVoid(client.call("DELETE", path(id), Deleted)),
    test: (id) => testRemote(client, id)
  }
}
