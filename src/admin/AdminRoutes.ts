/**
 * The server side of the management API under `/admin`: handlers for the endpoints of its
 * definition (AdminApi.ts: presets, providers list, get, create, edit, delete, enable, disable,
 * reconnect, test connection of new settings or of an edit; the secret store's status), plus the routes outside it: the live event stream, the OpenAPI
 * document and a 404 for unknown admin paths. Every route passes `AdminGuard` first (loopback
 * Host, own Origin).
 *
 * Changes go through `ProviderCatalog` (remote.json and the secret store together), then are
 * applied to the running providers at once, so the answer already shows the new state; the
 * ConfigSync watcher sees the same file a moment later and finds nothing left to change.
 */
import { Effect, Layer, Option, Redacted, Result } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, OpenApi } from "effect/http-api"
import { ConfigStore } from "../config/ConfigStore.ts"
import { checkSecrets, endpointOf, ProviderCatalog, providerEntry, UnknownProvider } from "../config/ProviderCatalog.ts"
import { presets } from "../config/Presets.ts"
import { emptyConfig, type ProviderConfig } from "../config/RemoteConfig.ts"
import { openAiError } from "../http/OpenAiError.ts"
import { discoverModels } from "../providers/ModelDiscovery.ts"
import { providerStatusJson } from "../http/StatusRoutes.ts"
import { Providers } from "../providers/Providers.ts"
import { resolveAuth, scrub } from "../providers/UpstreamAuth.ts"
import * as MemorySecretStore from "../secrets/MemorySecretStore.ts"
import { accountFor, apiKey, header, type SecretName, SecretStore, statusOf } from "../secrets/SecretStore.ts"
import { AdminApi, CreateProvider, EditProvider, InvalidRequest, NotFound, type PresetList, ServiceUnavailable, type UsageReport } from "./AdminApi.ts"
import { type AdminError, toApiError } from "./AdminErrors.ts"
import { eventsResponse } from "./AdminEvents.ts"
import * as AdminGuard from "./AdminGuard.ts"
import { readBody, secretValues, toNewProvider, toProviderEdit } from "./AdminRequests.ts"
import { providerJson } from "./ProviderJson.ts"
import { putVirtualModel, removeVirtualModel, UnknownVirtualModel, virtualModelEntry } from "../config/VirtualModelCatalog.ts"
import { readJsonObject } from "../http/RequestBody.ts"
import { virtualModelList } from "../http/VirtualModelsRoute.ts"
import { openAiErrorBody } from "../http/OpenAiError.ts"
import { Ledger, type LedgerError } from "../usage/Ledger.ts"
import { usageTotals } from "../usage/UsageReport.ts"
import { DEFAULT_BY, parseGroupBy, parseInstant, parseLimit, parseWindow, type WindowProblem } from "../usage/UsageWindow.ts"
import { KeysHandlers } from "./AdminKeys.ts"

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

const createProvider = Effect.gen(function*() {
  const body = yield* readBody(CreateProvider)
  const entry = yield* (yield* ProviderCatalog).add(toNewProvider(body))
  yield* applyNow
  return yield* providerJson(entry)
})

const editProvider = (id: string) =>
  Effect.gen(function*() {
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
    return yield* providerJson(entry)
  })

const deleteProvider = (id: string) =>
  Effect.gen(function*() {
    yield* (yield* ProviderCatalog).remove(id)
    yield* applyNow
    return { id, deleted: true } as const
  })

const setEnabled = (id: string, enabled: boolean) =>
  Effect.gen(function*() {
    const catalog = yield* ProviderCatalog
    const entry: ProviderConfig = yield* (enabled ? catalog.enable(id) : catalog.disable(id))
    yield* applyNow
    return yield* providerJson(entry)
  })

const reconnectProvider = (id: string) =>
  Effect.gen(function*() {
    const entry = yield* entryFor(id)
    yield* (yield* Providers).reconnect(id)
    return yield* providerJson(entry)
  })

/**
 * Test connection: one model discovery with settings that are not saved, with the secrets given
 * in the request (held in a throw-away memory store, never the real one). Testing an edit of a
 * saved provider (`storedId`), a secret left out is the stored one, but only while the endpoint
 * stays the same: as for saving, a stored secret never follows a changed host unasked. The
 * upstream's own error text is reported, scrubbed of every secret sent.
 */
const testProvider = (storedId?: string) =>
  Effect.gen(function*() {
    const body = yield* readBody(CreateProvider)
    const input = toNewProvider(body)
    const entry = yield* providerEntry(input, emptyConfig)
    // Sent as header values, if only once: refused as `add` would refuse them, not sent broken.
    yield* checkSecrets(input)
    const stored = storedId === undefined ? undefined : yield* entryFor(storedId)
    const sameEndpoint = stored !== undefined && endpointOf(stored) === endpointOf(entry)
    const typed: Array<readonly [SecretName, Redacted.Redacted<string>]> = [
      ...(input.apiKey === undefined ? [] : [[apiKey, input.apiKey] as const]),
      ...Object.entries(input.secretHeaders ?? {}).map(([name, value]) => [header(name), value] as const)
    ]
    const kept = stored === undefined || !sameEndpoint ? [] : yield* storedSecrets(stored, entry, typed.map(([name]) => accountFor("", name)))
    const seeded = [...typed, ...kept].map(([name, value]) => [accountFor(entry.id, name), value] as const)
    const outcome = yield* resolveAuth(entry).pipe(
      Effect.mapError((error) =>
        error._tag !== "MissingSecret"
          ? error.message
          : stored !== undefined && !sameEndpoint
          ? "the stored secrets are not sent to a changed protocol, host or port: type them here to test"
          : entry.auth === "apiKey" && input.apiKey === undefined
          ? "no apiKey given: this provider authenticates with an API key"
          : `no value given for a secret header (${entry.secretHeaders.join(", ")}): add it to secretHeaders`
      ),
      Effect.flatMap((auth) => Effect.mapError(discoverModels(entry, auth), (error) => error.message)),
      Effect.provide(MemorySecretStore.layer(seeded)),
      Effect.result
    )
    const sent = [...secretValues(body), ...kept.map(([, value]) => Redacted.value(value))]
    return outcome._tag === "Success"
      ? { ok: true, models: outcome.success, error: null }
      : { ok: false, models: [], error: scrub(outcome.failure, Redacted.make(sent)) }
  })

/** The stored secrets of `stored` that the tested `entry` uses and the request did not type. */
const storedSecrets = (stored: ProviderConfig, entry: ProviderConfig, typed: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const secrets = yield* SecretStore
    const wanted: Array<SecretName> = [...(entry.auth === "apiKey" ? [apiKey] : []), ...entry.secretHeaders.map(header)]
    const found: Array<readonly [SecretName, Redacted.Redacted<string>]> = []
    for (const name of wanted) {
      if (typed.includes(accountFor("", name))) continue
      const value = yield* secrets.get(stored.id, name)
      if (Option.isSome(value)) found.push([name, value.value])
    }
    return found
  })

const presetList: typeof PresetList.Type = {
  object: "list",
  data: presets.map((preset) => ({ ...preset, port: preset.port ?? null }))
}

/** A handler's own failures as the API's errors. */
const answer = <A, R>(handler: Effect.Effect<A, AdminError, R>) => Effect.mapError(handler, toApiError)

/** The listing's entry for `name`, once the change is in effect. */
const virtualModelStatus = (name: string) =>
  Effect.flatMap(virtualModelList, (list) => {
    const found = list.data.find((model) => model.id === name)
    return found === undefined ? Effect.fail(new UnknownVirtualModel({ name })) : Effect.succeed(found)
  })

const VirtualModelsHandlers = HttpApiBuilder.group(AdminApi, "virtualModels", (handlers) =>
  handlers
    .handle("list", () => virtualModelList)
    .handle("get", ({ params }) => answer(virtualModelStatus(params.name)))
    .handle("entry", ({ params }) => answer(virtualModelEntry(params.name)))
    .handleRaw("put", ({ params }) =>
      answer(Effect.gen(function*() {
        yield* putVirtualModel(params.name, yield* readJsonObject)
        yield* applyNow
        return yield* virtualModelStatus(params.name)
      })))
    .handle("remove", ({ params }) =>
      answer(Effect.gen(function*() {
        yield* removeVirtualModel(params.name)
        yield* applyNow
        return { id: params.name, deleted: true as const }
      }))))

const PresetsHandlers = HttpApiBuilder.group(AdminApi, "presets", (handlers) => handlers.handle("list", () => Effect.succeed(presetList)))

/** The secret store in use, for the page's banner and the CLI's advice; read from the store itself, no secret touched. */
const SecretsHandlers = HttpApiBuilder.group(AdminApi, "secrets", (handlers) =>
  handlers.handle("status", () => Effect.map(SecretStore, statusOf)))

const invalidQuery = (problem: WindowProblem) =>
  new InvalidRequest(openAiErrorBody(problem.message, "invalid_request_error", { param: problem.param, code: "invalid_query" }))

const unavailable = (reason: string) =>
  new ServiceUnavailable(openAiErrorBody(`the usage ledger cannot answer: ${reason}`, "server_error", { code: "ledger_unavailable" }))

const fromLedger = (error: LedgerError) => unavailable(error.message)

/** A parse of a query value, or the 400 naming it. */
const queryValue = <A>(result: Result.Result<A, WindowProblem>) => Effect.mapError(Effect.fromResult(result), invalidQuery)

/**
 * The ledger's questions. The ledger is looked up once, when the routes are built: a gateway built
 * without one (an embedding program that records nothing) answers 503 saying so, rather than
 * failing to start.
 */
const UsageHandlers = HttpApiBuilder.group(AdminApi, "usage", (handlers) =>
  Effect.gen(function*() {
    const found = yield* Effect.serviceOption(Ledger)
    const withLedger = <A, E>(f: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
      Option.match(found, { onNone: () => Effect.fail(unavailable("this gateway keeps no ledger")), onSome: f })
    return handlers
      .handle("totals", ({ query }) =>
        withLedger((ledger) =>
          Effect.gen(function*() {
            const window = yield* queryValue(parseWindow(query, Date.now()))
            const by = query.by === undefined
              ? DEFAULT_BY
              : yield* queryValue(Result.mapError(parseGroupBy(query.by), (message) => ({ param: "by", message: `by: ${message}` })))
            const groups = yield* Effect.mapError(
              ledger.usage({ since: window.since, until: window.until, by, ...(query.key === undefined ? {} : { keyId: query.key }) }),
              fromLedger
            )
            return {
              since: new Date(window.since).toISOString(),
              until: new Date(window.until).toISOString(),
              by,
              keyId: query.key ?? null,
              groups,
              totals: usageTotals(groups)
            } satisfies UsageReport
          })
        ))
      .handle("requests", ({ query }) =>
        withLedger((ledger) =>
          Effect.gen(function*() {
            const limit = yield* queryValue(parseLimit(query.limit))
            const now = Date.now()
            const before = query.before === undefined
              ? undefined
              : yield* queryValue(Result.mapError(parseInstant(query.before, now), (message) => ({ param: "before", message: `before: ${message}` })))
            const search = query.search?.trim()
            const data = yield* Effect.mapError(
              ledger.requests({
                limit,
                ...(before === undefined ? {} : { before }),
                ...(search === undefined || search === "" ? {} : { search }),
                ...(query.key === undefined ? {} : { keyId: query.key })
              }),
              fromLedger
            )
            return { object: "list" as const, data }
          })
        ))
      .handle("request", ({ params }) =>
        withLedger((ledger) =>
          Effect.flatMap(Effect.mapError(ledger.request(params.id), fromLedger), (row) =>
            Option.match(row, {
              onNone: () => Effect.fail(new NotFound(openAiErrorBody(`no request ${params.id} in the ledger`, "not_found_error", { param: "id", code: "request_not_found" }))),
              onSome: Effect.succeed
            }))
        ))
  }))

/** `create`, `test` and `edit` read their body themselves (`readBody`), hence `handleRaw`. */
const ProvidersHandlers = HttpApiBuilder.group(AdminApi, "providers", (handlers) =>
  handlers
    .handle("list", () => answer(Effect.map(listJson, (data) => ({ object: "list" as const, data }))))
    .handleRaw("create", () => answer(createProvider))
    .handleRaw("test", () => answer(testProvider()))
    .handleRaw("testStored", ({ params }) => answer(testProvider(params.id)))
    .handle("get", ({ params }) => answer(Effect.flatMap(entryFor(params.id), providerJson)))
    .handleRaw("edit", ({ params }) => answer(editProvider(params.id)))
    .handle("remove", ({ params }) => answer(deleteProvider(params.id)))
    .handle("enable", ({ params }) => answer(setEnabled(params.id, true)))
    .handle("disable", ({ params }) => answer(setEnabled(params.id, false)))
    .handle("reconnect", ({ params }) => answer(reconnectProvider(params.id))))

/** The OpenAPI document of the definition, built once. */
const openApiResponse = HttpServerResponse.jsonUnsafe(OpenApi.fromApi(AdminApi))

/** The built-in providers' statuses (the local models): listed on the page, not editable. */
const builtInJson = Effect.gen(function*() {
  const list = yield* (yield* Providers).list
  return list.filter((status) => status.builtIn).map(providerStatusJson)
})

const events = eventsResponse(Effect.all({ providers: listJson, builtIn: builtInJson }))

/** The admin routes outside the definition, behind the same guard. */
const PlainRoutes = HttpRouter.addAll(Effect.gen(function*() {
  const guard = AdminGuard.guarded(yield* AdminGuard.listeningPort)
  return [
    HttpRouter.route("GET", "/admin/events", guard(events)),
    HttpRouter.route("GET", "/admin/openapi.json", guard(Effect.succeed(openApiResponse))),
    HttpRouter.route(
      "*",
      "/admin/*",
      guard(Effect.succeed(openAiError(404, "no such admin endpoint: see README, Managing providers over HTTP", "invalid_request_error", { code: "unknown_url" })))
    )
  ] as const
}))

/** Every admin route; each passes `AdminGuard` first. */
export const AdminRoutes = Layer.mergeAll(
  HttpApiBuilder.layer(AdminApi).pipe(Layer.provide([PresetsHandlers, SecretsHandlers, ProvidersHandlers, VirtualModelsHandlers, UsageHandlers, KeysHandlers]), Layer.provide(AdminGuard.layer)),
  PlainRoutes
)
