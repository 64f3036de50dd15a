/**
 * The management API under `/admin` (JSON): presets, providers (list, get, create, edit, delete,
 * enable, disable, reconnect, test connection) and the live event stream. Every route passes
 * `AdminGuard` first (loopback Host, own Origin).
 *
 * Changes go through `ProviderCatalog` (remote.json and the secret store together), then are
 * applied to the running providers at once, so the answer already shows the new state; the
 * ConfigSync watcher sees the same file a moment later and finds nothing left to change.
 */
import { Effect, Redacted } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { ConfigStore } from "../config/ConfigStore.ts"
import { checkSecrets, ProviderCatalog, providerEntry, UnknownProvider } from "../config/ProviderCatalog.ts"
import { presets } from "../config/Presets.ts"
import { emptyConfig, type ProviderConfig } from "../config/RemoteConfig.ts"
import { openAiError } from "../http/OpenAiError.ts"
import { discoverModels } from "../providers/ModelDiscovery.ts"
import { Providers } from "../providers/Providers.ts"
import { resolveAuth, scrub } from "../providers/UpstreamAuth.ts"
import * as MemorySecretStore from "../secrets/MemorySecretStore.ts"
import { accountFor, apiKey, header } from "../secrets/SecretStore.ts"
import { type AdminError, answerErrors } from "./AdminErrors.ts"
import { eventsResponse } from "./AdminEvents.ts"
import { guarded } from "./AdminGuard.ts"
import { CreateProvider, EditProvider, readBody, secretValues, toNewProvider, toProviderEdit } from "./AdminRequests.ts"
import { providerJson } from "./ProviderJson.ts"

const json = (body: unknown, status = 200): HttpServerResponse.HttpServerResponse => HttpServerResponse.jsonUnsafe(body, { status })

const idParam = Effect.map(HttpRouter.params, (params) => params.id ?? "")

const loadEntries = Effect.gen(function*() {
  return (yield* (yield* ConfigStore).load).providers
})

const entryFor = (id: string) =>
  Effect.flatMap(loadEntries, (entries) => {
    const entry = entries.find((p) => p.id === id)
    return entry === undefined ? Effect.fail(new UnknownProvider({ id })) : Effect.succeed(entry)
  })

/** Puts remote.json as it is now into effect, so the answer that follows shows the new state. */
const applyNow = Effect.gen(function*() {
  const config = yield* (yield* ConfigStore).load
  yield* (yield* Providers).apply(config)
})

const listJson = Effect.flatMap(loadEntries, (entries) => Effect.forEach(entries, providerJson))

const listProviders = Effect.map(listJson, (data) => json({ object: "list", data }))

const getProvider = Effect.gen(function*() {
  return json(yield* providerJson(yield* entryFor(yield* idParam)))
})

const createProvider = Effect.gen(function*() {
  const body = yield* readBody(CreateProvider)
  const entry = yield* (yield* ProviderCatalog).add(toNewProvider(body))
  yield* applyNow
  return json(yield* providerJson(entry), 201)
})

const editProvider = Effect.gen(function*() {
  const id = yield* idParam
  const body = yield* readBody(EditProvider)
  const before = yield* entryFor(id)
  const { entry, secretsChanged } = yield* (yield* ProviderCatalog).edit(id, toProviderEdit(body))
  yield* applyNow
  // Same settings, new secrets: the running provider keeps its old headers until it reconnects.
  // (Changed settings restart it, which reads the secrets anew.)
  if (secretsChanged && JSON.stringify(before) === JSON.stringify(entry) && entry.enabled) {
    const providers = yield* Providers
    const status = yield* providers.get(id)
    if (status.state._tag !== "Disconnected" && status.state._tag !== "Disabled") yield* providers.reconnect(id)
  }
  return json(yield* providerJson(entry))
})

const deleteProvider = Effect.gen(function*() {
  const id = yield* idParam
  yield* (yield* ProviderCatalog).remove(id)
  yield* applyNow
  return json({ id, deleted: true })
})

const setEnabled = (enabled: boolean) =>
  Effect.gen(function*() {
    const catalog = yield* ProviderCatalog
    const id = yield* idParam
    const entry: ProviderConfig = yield* (enabled ? catalog.enable(id) : catalog.disable(id))
    yield* applyNow
    return json(yield* providerJson(entry))
  })

const reconnectProvider = Effect.gen(function*() {
  const id = yield* idParam
  const entry = yield* entryFor(id)
  yield* (yield* Providers).reconnect(id)
  return json(yield* providerJson(entry))
})

/**
 * Test connection: one model discovery with settings that are not saved, with the secrets given
 * in the request only (held in a throw-away memory store, never the real one). The upstream's own
 * error text is reported, scrubbed of those secrets.
 */
const testProvider = Effect.gen(function*() {
  const body = yield* readBody(CreateProvider)
  const input = toNewProvider(body)
  const entry = yield* providerEntry(input, emptyConfig)
  // Sent as header values, if only once: refused as `add` would refuse them, not sent broken.
  yield* checkSecrets(input)
  const given = secretValues(body)
  const seeded: Array<readonly [string, Redacted.Redacted<string>]> = [
    ...(input.apiKey === undefined ? [] : [[accountFor(entry.id, apiKey), input.apiKey] as const]),
    ...Object.entries(input.secretHeaders ?? {}).map(([name, value]) => [accountFor(entry.id, header(name)), value] as const)
  ]
  const outcome = yield* resolveAuth(entry).pipe(
    Effect.mapError((error) =>
      error._tag === "MissingSecret"
        ? entry.auth === "apiKey" && input.apiKey === undefined
          ? "no apiKey given: this provider authenticates with an API key"
          : `no value given for a secret header (${entry.secretHeaders.join(", ")}): add it to secretHeaders`
        : error.message
    ),
    Effect.flatMap((auth) => Effect.mapError(discoverModels(entry, auth), (error) => error.message)),
    Effect.provide(MemorySecretStore.layer(seeded)),
    Effect.result
  )
  return outcome._tag === "Success"
    ? json({ ok: true, models: outcome.success, error: null })
    : json({ ok: false, models: [], error: scrub(outcome.failure, Redacted.make(given)) })
})

const presetsJson = json({
  object: "list",
  data: presets.map((preset) => ({ ...preset, port: preset.port ?? null }))
})

const events = eventsResponse(Effect.map(listJson, (providers) => ({ providers })))

/** The admin routes, guarded; the listening port is read once, for the Origin check. */
export const AdminRoutes = HttpRouter.addAll(Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const port = "port" in server.address ? server.address.port : undefined
  const guard = guarded(port)
  const route = <R>(
    method: "GET" | "POST" | "PATCH" | "DELETE" | "*",
    path: `/${string}`,
    handler: Effect.Effect<HttpServerResponse.HttpServerResponse, AdminError, R>
  ) => HttpRouter.route(method, path, guard(answerErrors(handler)))
  return [
    route("GET", "/admin/presets", Effect.succeed(presetsJson)),
    route("GET", "/admin/providers", listProviders),
    route("POST", "/admin/providers", createProvider),
    route("POST", "/admin/providers/test", testProvider),
    route("GET", "/admin/providers/:id", getProvider),
    route("PATCH", "/admin/providers/:id", editProvider),
    route("DELETE", "/admin/providers/:id", deleteProvider),
    route("POST", "/admin/providers/:id/enable", setEnabled(true)),
    route("POST", "/admin/providers/:id/disable", setEnabled(false)),
    route("POST", "/admin/providers/:id/reconnect", reconnectProvider),
    route("GET", "/admin/events", events),
    route("*", "/admin/*", Effect.succeed(openAiError(404, "no such admin endpoint: see README, Managing providers over HTTP", "invalid_request_error", { code: "unknown_url" })))
  ] as const
}))
