/**
 * The management API under `/admin`, defined once: its endpoints, path parameters, bodies, answers
 * and errors with their statuses. The server's handlers (AdminRoutes.ts), the CLI's client
 * (src/cli/AdminClient.ts), the web page's client (web/src/Api.ts) and the OpenAPI document served
 * at `GET /admin/openapi.json` are all derived from it, so none of them can drift.
 *
 * It imports only `effect` and pure config schemas: the page bundles it too.
 *
 * The event stream `GET /admin/events` is a plain route (a long-lived Server-Sent Events stream the
 * page reads with fetch); its events are the schemas at the end of this module.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import { ApiFormat, AuthKind, PresetId, Protocol } from "../config/RemoteConfig.ts"
import { Condition, Defaults, Strategy, VirtualModelFields } from "../config/VirtualModelConfig.ts"
import { GroupBy, UsageGroup } from "../usage/Ledger.ts"
import { RequestRecord } from "../usage/RequestRecord.ts"
import { KeyLimits, LimitsChange } from "../gateway-keys/KeyLimits.ts"

// --- Requests ------------------------------------------------------------------------------------
// Secrets arrive as plain JSON strings (write-only: no answer ever holds one); the server wraps
// them in `Redacted` as soon as they are decoded. The server refuses unknown fields, so a typo
// (`apikey`) is a 400, not a silent no-op.

/** Settings of a provider; every field optional. `null` clears `port` (protocol default) and `models`. */
export const Settings = Schema.Struct({
  protocol: Schema.optionalKey(Protocol),
  host: Schema.optionalKey(Schema.String),
  port: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  basePath: Schema.optionalKey(Schema.String),
  format: Schema.optionalKey(ApiFormat),
  auth: Schema.optionalKey(AuthKind),
  enabled: Schema.optionalKey(Schema.Boolean),
  autoConnect: Schema.optionalKey(Schema.Boolean),
  timeoutSeconds: Schema.optionalKey(Schema.Finite),
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** Names of secret headers; their values go in the top-level `secretHeaders`. */
  secretHeaders: Schema.optionalKey(Schema.Array(Schema.String)),
  models: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.String)))
})
export type Settings = typeof Settings.Type

/** `POST /admin/providers`, `POST /admin/providers/test` and `POST /admin/providers/{id}/test`. */
export const CreateProvider = Schema.Struct({
  preset: Schema.optionalKey(PresetId),
  name: Schema.optionalKey(Schema.String),
  settings: Schema.optionalKey(Settings),
  /** Write-only: stored in the secret store, never returned. An empty string means "not given". */
  apiKey: Schema.optionalKey(Schema.String),
  /** Secret header values by name; write-only. */
  secretHeaders: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type CreateProvider = typeof CreateProvider.Type

/** `PATCH /admin/providers/{id}`: `apiKey: null` / `secretHeaders: { Name: null }` remove a secret. */
export const EditProvider = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  settings: Schema.optionalKey(Settings),
  apiKey: Schema.optionalKey(Schema.NullOr(Schema.String)),
  secretHeaders: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(Schema.String))),
  /** Plain headers to set or (`null`) remove, one by one, on top of the headers as they are when written. */
  headerChanges: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(Schema.String))),
  /** Keep the stored secrets although protocol, host or port change. */
  confirmKeepSecrets: Schema.optionalKey(Schema.Boolean)
})
export type EditProvider = typeof EditProvider.Type

// --- Answers -------------------------------------------------------------------------------------
// Only the fields listed here reach the wire (encoding drops any other), which is one more reason
// no secret can: none is listed.

export const StateName = Schema.Literals(["connecting", "connected", "error", "disconnected", "disabled"])
export type StateName = typeof StateName.Type

/**
 * The format a provider's status reports: a remote provider's wire format, or `local` for the local
 * models (`ProviderFormat` in src/providers/Upstream.ts). The one place to change when that changes.
 */
export const ProviderFormat = Schema.Literals([...ApiFormat.literals, "local"])
export type ProviderFormat = typeof ProviderFormat.Type

/** One model's state, for providers that know it (local engines). */
export const ModelState = Schema.Struct({
  id: Schema.String,
  /** What runs it (`llama.cpp`, `mlx`), or null when nothing can. */
  engine: Schema.NullOr(Schema.String),
  /** `unloaded`, `loading`, `loaded` or `error`. */
  state: Schema.String,
  error: Schema.NullOr(Schema.String),
  /** Generations running and waiting in its queue. */
  running: Schema.Int,
  waiting: Schema.Int
})
export type ModelState = typeof ModelState.Type

/** The live part of a provider, as `GET /v1/providers` and the `state` event show it. */
export const ProviderStatus = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  format: ProviderFormat,
  base_url: Schema.String,
  state: StateName,
  error: Schema.NullOr(Schema.String),
  /** In the `error` state: whether the provider retries by itself (false for a refused key). */
  retrying: Schema.NullOr(Schema.Boolean),
  model_count: Schema.Int,
  models: Schema.Array(Schema.String),
  /** When the provider last connected or failed (ISO 8601), else `null`. */
  since: Schema.NullOr(Schema.String),
  /** Part of the gateway (the local models), not of remote.json: nothing to edit or delete. */
  built_in: Schema.Boolean,
  /** Per-model states, for providers that have them. */
  model_states: Schema.optionalKey(Schema.Array(ModelState))
})
export type ProviderStatus = typeof ProviderStatus.Type

/** The settings of a provider, every field present (`null` for an absent port or model list). */
export const ProviderSettings = Schema.Struct({
  preset: PresetId,
  protocol: Protocol,
  host: Schema.String,
  port: Schema.NullOr(Schema.Int),
  basePath: Schema.String,
  format: ApiFormat,
  auth: AuthKind,
  enabled: Schema.Boolean,
  autoConnect: Schema.Boolean,
  timeoutSeconds: Schema.Finite,
  headers: Schema.Record(Schema.String, Schema.String),
  secretHeaders: Schema.Array(Schema.String),
  /** Model ids added by hand (`null`: none). */
  models: Schema.NullOr(Schema.Array(Schema.String))
})
export type ProviderSettings = typeof ProviderSettings.Type

/**
 * Whether a secret has a value: `true`, `false`, or `null` when the secret store cannot be read
 * (no keychain): unknown, which never keeps a provider from being listed.
 */
export const SecretSet = Schema.NullOr(Schema.Boolean)

/** A provider as the admin API shows it: status, settings, and only whether each secret is set. */
export const Provider = Schema.Struct({
  ...ProviderStatus.fields,
  settings: ProviderSettings,
  apiKeySet: SecretSet,
  secretHeaders: Schema.Array(Schema.Struct({ name: Schema.String, set: SecretSet }))
})
export type Provider = typeof Provider.Type

export const ProviderList = Schema.Struct({ object: Schema.Literal("list"), data: Schema.Array(Provider) })

export const Preset = Schema.Struct({
  id: PresetId,
  label: Schema.String,
  protocol: Protocol,
  host: Schema.String,
  port: Schema.NullOr(Schema.Int),
  basePath: Schema.String,
  format: ApiFormat,
  auth: AuthKind
})
export type Preset = typeof Preset.Type

export const PresetList = Schema.Struct({ object: Schema.Literal("list"), data: Schema.Array(Preset) })

/** `POST /admin/providers/test`: the models, or the upstream's error text scrubbed of the secrets sent. */
export const TestOutcome = Schema.Struct({
  ok: Schema.Boolean,
  models: Schema.Array(Schema.String),
  error: Schema.NullOr(Schema.String)
})
export type TestOutcome = typeof TestOutcome.Type

export const Deleted = Schema.Struct({ id: Schema.String, deleted: Schema.Literal(true) })

/** `GET /admin/secrets`: the secret store in use and what its user should know (never a secret). */
export const SecretStoreStatus = Schema.Struct({
  /** `keychain`, `env` or `file` (`SWITCHBOARD_SECRETS`), or `memory` (tests, embedding programs). */
  kind: Schema.Literals(["keychain", "env", "file", "memory"]),
  /** Its name, e.g. "OS keychain (Secret Service)". */
  backend: Schema.String,
  /** Whether secrets can be stored through Switchboard (the environment is read-only). */
  writable: Schema.Boolean,
  /** Why it cannot be used, with the ways out; `null` when it works. */
  problem: Schema.NullOr(Schema.String),
  /** What its user should know although it works (where env secrets come from, plain-text file), or `null`. */
  notice: Schema.NullOr(Schema.String)
})
export type SecretStoreStatus = typeof SecretStoreStatus.Type

/** A target's circuit breaker (src/router/Breaker.ts). */
export const BreakerStatus = Schema.Struct({
  state: Schema.Literals(["closed", "open", "half_open"]),
  /** Failures in a row (closed), or trips in a row (open, half-open). */
  failures: Schema.Int,
  /** When an open breaker lets a probe through (ISO 8601), else null. */
  open_until: Schema.NullOr(Schema.String),
  /** Why the last attempt failed, until a success. */
  last_failure: Schema.NullOr(Schema.String)
})
export type BreakerStatus = typeof BreakerStatus.Type

/** One target of a virtual model, with what routing knows of it now. */
export const TargetStatus = Schema.Struct({
  /** The model id as configured. */
  model: Schema.String,
  weight: Schema.Number,
  /** The qualified id a connected provider serves it as, or null when none does now. */
  serves: Schema.NullOr(Schema.String),
  /** The provider id it names or is served by, when known. */
  provider: Schema.NullOr(Schema.String),
  /** That provider's state (`connected`, `error`, …), or null when no such provider exists. */
  provider_state: Schema.NullOr(StateName),
  breaker: BreakerStatus,
  /** Whether a request may go there now: served, and its breaker not open. */
  available: Schema.Boolean
})
export type TargetStatus = typeof TargetStatus.Type

export const RuleStatus = Schema.Struct({
  name: Schema.String,
  when: Condition,
  targets: Schema.Array(TargetStatus)
})
export type RuleStatus = typeof RuleStatus.Type

/** A virtual model as `GET /v1/virtual-models` and the admin API show it. */
export const VirtualModelStatus = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("virtual_model"),
  strategy: Strategy,
  description: Schema.NullOr(Schema.String),
  /** Targets that name other virtual models appear expanded. */
  targets: Schema.Array(TargetStatus),
  rules: Schema.Array(RuleStatus),
  system: Schema.NullOr(Schema.String),
  defaults: Schema.NullOr(Defaults)
})
export type VirtualModelStatus = typeof VirtualModelStatus.Type

/** An entry of remote.json left out, and why (what a fix starts from: its place, name and the field at fault). */
export const LeftOut = Schema.Struct({
  index: Schema.Int,
  name: Schema.NullOr(Schema.String),
  field: Schema.NullOr(Schema.String),
  /** What is wrong, e.g. `strategy: Expected "fallback" | "balance"`. */
  reason: Schema.String,
  /** The whole sentence, as the log and `/health` say it. */
  message: Schema.String
})
export type LeftOut = typeof LeftOut.Type

export const VirtualModelList = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(VirtualModelStatus),
  /** Entries of remote.json left out, each with the field at fault. */
  problems: Schema.Array(LeftOut),
  /** Virtual names that hide a bare model id of a provider (the virtual model wins). */
  warnings: Schema.Array(Schema.String)
})
export type VirtualModelList = typeof VirtualModelList.Type

/**
 * `PUT /admin/virtual-models/{name}`: the whole entry but its name (the path's). Unknown keys are
 * refused (a typo would be silently ignored otherwise).
 */
export const VirtualModelBody = VirtualModelFields.mapFields(({ name: _name, ...fields }) => fields)
export type VirtualModelBody = typeof VirtualModelBody.Type

/**
 * `GET /admin/virtual-models/{name}/entry`: the entry as remote.json has it, valid or not — what an
 * edit starts from (the status shows targets that are virtual models expanded, and a broken entry
 * not at all).
 */
export const VirtualModelEntry = Schema.JsonObject
export type VirtualModelEntry = typeof VirtualModelEntry.Type

/** `GET /admin/usage`: the window asked for (ISO 8601), its groups (by cost, largest first) and their totals. */
export const UsageReport = Schema.Struct({
  since: Schema.String,
  until: Schema.String,
  by: GroupBy,
  /** The gateway key asked for, or null for every request. */
  keyId: Schema.NullOr(Schema.String),
  groups: Schema.Array(UsageGroup),
  /** The groups' sums; the percentiles only when there is one group (they do not add up), else null. */
  totals: UsageGroup.mapFields(({ group: _group, ...fields }) => fields)
})
export type UsageReport = typeof UsageReport.Type

/** `GET /admin/requests`: ledger rows, newest first. */
export const RequestList = Schema.Struct({ object: Schema.Literal("list"), data: Schema.Array(RequestRecord) })
export type RequestList = typeof RequestList.Type

// --- Errors --------------------------------------------------------------------------------------
// Every error has the OpenAI shape `{ error: { message, type, param, code } }`, one class per
// status so the server encodes each with its status and clients decode by status.

/** `{ error: { message, type, param, code } }`, the shape of every Switchboard error. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    /** The request field at fault (`settings.port`), when one is. */
    param: Schema.NullOr(Schema.String),
    /** A stable code (`duplicate_name`, `secrets_would_move`, …). */
    code: Schema.NullOr(Schema.String)
  })
})
export type ErrorBody = typeof ErrorBody.Type

/** 400: a body off the schema or a setting the catalog refuses; `param` names the field. */
export class InvalidRequest extends Schema.Error<InvalidRequest>("InvalidRequest")(ErrorBody, { httpApiStatus: 400 }) {}
/** 401: the server listens beyond loopback and wants a gateway key (src/gateway-keys/GatewayKeyGuard.ts). */
export class GatewayKeyNeeded extends Schema.Error<GatewayKeyNeeded>("GatewayKeyNeeded")(ErrorBody, { httpApiStatus: 401 }) {}
/** 403: a non-loopback Host (DNS rebinding) or a foreign Origin (CSRF); see AdminGuard.ts. */
export class Forbidden extends Schema.Error<Forbidden>("Forbidden")(ErrorBody, { httpApiStatus: 403 }) {}
/** 404: no provider with that id. */
export class NotFound extends Schema.Error<NotFound>("NotFound")(ErrorBody, { httpApiStatus: 404 }) {}
/** 409: a duplicate name, or stored secrets that would follow a changed endpoint. */
export class Conflict extends Schema.Error<Conflict>("Conflict")(ErrorBody, { httpApiStatus: 409 }) {}
/** 413: a body over the size limit. */
export class PayloadTooLarge extends Schema.Error<PayloadTooLarge>("PayloadTooLarge")(ErrorBody, { httpApiStatus: 413 }) {}
/** 415: a body that is not JSON. */
export class UnsupportedMediaType extends Schema.Error<UnsupportedMediaType>("UnsupportedMediaType")(ErrorBody, { httpApiStatus: 415 }) {}
/** 500: the config file or the secret store failed (their own sentence, never a secret). */
export class ServerError extends Schema.Error<ServerError>("ServerError")(ErrorBody, { httpApiStatus: 500 }) {}
/** 503: the usage ledger cannot answer now (its database is unreachable or broken; the reason is said). */
export class ServiceUnavailable extends Schema.Error<ServiceUnavailable>("ServiceUnavailable")(ErrorBody, { httpApiStatus: 503 }) {}

/** Any error the admin API answers. */
export type AdminApiError =
  | InvalidRequest
  | GatewayKeyNeeded
  | Forbidden
  | NotFound
  | Conflict
  | PayloadTooLarge
  | UnsupportedMediaType
  | ServerError
  | ServiceUnavailable

/**
 * Who may call: requests addressed to a loopback name from no web origin but Switchboard's own
 * (403 otherwise). On a non-loopback listening address the gateway key is checked before, which
 * answers 401.
 */
export class AdminGuard extends HttpApiMiddleware.Service<AdminGuard>()("switchboard/AdminGuard", {
  error: [Forbidden, GatewayKeyNeeded]
}) {}

// --- Endpoints -----------------------------------------------------------------------------------

const id = { id: Schema.String }
/** Reading the config file or the secret store may fail on any call. */
const readFailures = [ServerError]
/** Calls naming a provider. */
const byIdFailures = [NotFound, ServerError]
/** Calls with a JSON body. */
const bodyFailures = [InvalidRequest, PayloadTooLarge, UnsupportedMediaType, ServerError]

export const PresetsGroup = HttpApiGroup.make("presets").add(
  HttpApiEndpoint.get("list", "/admin/presets", { success: PresetList })
)

export const ProvidersGroup = HttpApiGroup.make("providers").add(
  HttpApiEndpoint.get("list", "/admin/providers", { success: ProviderList, error: readFailures }),
  HttpApiEndpoint.post("create", "/admin/providers", {
    payload: CreateProvider,
    success: Provider.pipe(HttpApiSchema.status(201)),
    error: [...bodyFailures, Conflict]
  }),
  HttpApiEndpoint.post("test", "/admin/providers/test", { payload: CreateProvider, success: TestOutcome, error: bodyFailures }),
  /**
   * Test an edit before saving it: the secrets left out of the body are the provider's stored ones,
   * sent only while protocol, host and port stay those it has (as for saving, secrets never follow
   * a changed endpoint unasked).
   */
  HttpApiEndpoint.post("testStored", "/admin/providers/:id/test", {
    params: id,
    payload: CreateProvider,
    success: TestOutcome,
    error: [...bodyFailures, NotFound]
  }),
  HttpApiEndpoint.get("get", "/admin/providers/:id", { params: id, success: Provider, error: byIdFailures }),
  HttpApiEndpoint.patch("edit", "/admin/providers/:id", {
    params: id,
    payload: EditProvider,
    success: Provider,
    error: [...bodyFailures, NotFound, Conflict]
  }),
  HttpApiEndpoint.delete("remove", "/admin/providers/:id", { params: id, success: Deleted, error: byIdFailures }),
  HttpApiEndpoint.post("enable", "/admin/providers/:id/enable", { params: id, success: Provider, error: byIdFailures }),
  HttpApiEndpoint.post("disable", "/admin/providers/:id/disable", { params: id, success: Provider, error: byIdFailures }),
  HttpApiEndpoint.post("reconnect", "/admin/providers/:id/reconnect", { params: id, success: Provider, error: byIdFailures })
)

const name = { name: Schema.String }

export const VirtualModelsGroup = HttpApiGroup.make("virtualModels").add(
  HttpApiEndpoint.get("list", "/admin/virtual-models", { success: VirtualModelList, error: readFailures }),
  HttpApiEndpoint.get("get", "/admin/virtual-models/:name", { params: name, success: VirtualModelStatus, error: [NotFound, ServerError] }),
  HttpApiEndpoint.get("entry", "/admin/virtual-models/:name/entry", { params: name, success: VirtualModelEntry, error: [NotFound, ServerError] }),
  /** Create or replace; refused with the field named when invalid (unknown strategy, no targets, a loop). */
  HttpApiEndpoint.put("put", "/admin/virtual-models/:name", {
    params: name,
    payload: VirtualModelBody,
    success: VirtualModelStatus,
    error: bodyFailures
  }),
  HttpApiEndpoint.delete("remove", "/admin/virtual-models/:name", { params: name, success: Deleted, error: [NotFound, ServerError] })
)

/** What a key used in a window (UTC), dollars including requests not settled yet. */
export const KeySpend = Schema.Struct({ requests: Schema.Number, tokens: Schema.Number, usd: Schema.Number })

/** A gateway key as the admin API shows it: never the key nor its hash. */
export const GatewayKeyJson = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  created: Schema.NullOr(Schema.String),
  limits: KeyLimits,
  /** This minute, today and this month (UTC); null when the counters cannot be read. */
  usage: Schema.NullOr(Schema.Struct({ minute: KeySpend, day: KeySpend, month: KeySpend }))
})
export type GatewayKeyJson = typeof GatewayKeyJson.Type

export const GatewayKeyList = Schema.Struct({
  object: Schema.Literal("list"),
  /** Where the keys live (the secret store's name, or the database). */
  backend: Schema.String,
  data: Schema.Array(GatewayKeyJson)
})

/** `POST /admin/keys`. */
export const CreateGatewayKey = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  limits: Schema.optionalKey(KeyLimits)
})

/** `POST /admin/keys`'s answer: the key itself, this once. */
export const CreatedGatewayKey = Schema.Struct({ key: Schema.String, info: GatewayKeyJson })

export const KeysGroup = HttpApiGroup.make("keys").add(
  HttpApiEndpoint.get("list", "/admin/keys", { success: GatewayKeyList, error: readFailures }),
  /** The key is in this answer only: only its hash is kept. */
  HttpApiEndpoint.post("create", "/admin/keys", {
    payload: CreateGatewayKey,
    success: CreatedGatewayKey.pipe(HttpApiSchema.status(201)),
    error: [InvalidRequest, ServerError]
  }),
  /** Limits set (a number), cleared (`null`) or kept (absent). */
  HttpApiEndpoint.patch("edit", "/admin/keys/:id", { params: id, payload: LimitsChange, success: GatewayKeyJson, error: [InvalidRequest, NotFound, ServerError] }),
  HttpApiEndpoint.delete("revoke", "/admin/keys/:id", { params: id, success: Deleted, error: byIdFailures })
)

export const SecretsGroup = HttpApiGroup.make("secrets").add(
  HttpApiEndpoint.get("status", "/admin/secrets", { success: SecretStoreStatus })
)

/**
 * The usage ledger's questions. Times are typed as on the command line (`since=24h`, `7d`,
 * `2026-12-01`, an ISO time with its zone, Unix ms: src/usage/UsageWindow.ts); a value off that is
 * a 400 naming the parameter, and a ledger that cannot answer a 503 with its reason.
 */
export const LedgerGroup = HttpApiGroup.make("usage").add(
  HttpApiEndpoint.get("totals", "/admin/usage", {
    query: {
      /** Default `24h`. */
      since: Schema.optionalKey(Schema.String),
      /** Default now. */
      until: Schema.optionalKey(Schema.String),
      /** model (default), provider, key, day, hour, client or inbound_format. */
      by: Schema.optionalKey(Schema.String),
      /** Only this gateway key's requests. */
      key: Schema.optionalKey(Schema.String)
    },
    success: UsageReport,
    error: [InvalidRequest, ServiceUnavailable]
  }),
  HttpApiEndpoint.get("requests", "/admin/requests", {
    query: {
      /** 1 to 500, default 50. */
      limit: Schema.optionalKey(Schema.String),
      /** Rows that started before this time (as `since`), for paging back. */
      before: Schema.optionalKey(Schema.String),
      /** Case-insensitive: id, model, requested or virtual model, provider, client, error class. */
      search: Schema.optionalKey(Schema.String),
      key: Schema.optionalKey(Schema.String)
    },
    success: RequestList,
    error: [InvalidRequest, ServiceUnavailable]
  }),
  HttpApiEndpoint.get("request", "/admin/requests/:id", { params: id, success: RequestRecord, error: [NotFound, ServiceUnavailable] })
)

export const AdminApi = HttpApi.make("switchboard-admin")
  .add(PresetsGroup)
  .add(SecretsGroup)
  .add(ProvidersGroup)
  .add(VirtualModelsGroup)
  .add(LedgerGroup)
  .add(KeysGroup)
  .middleware(AdminGuard)
  .annotate(OpenApi.Title, "Switchboard admin API")
  .annotate(
    OpenApi.Description,
    "Manage the providers of a running Switchboard. Answers only requests addressed to a loopback name, " +
      "from no web origin but Switchboard's own. Secrets are write-only. Live states: GET /admin/events (Server-Sent Events)."
  )

// --- The event stream (`GET /admin/events`) ------------------------------------------------------

/** `snapshot`: every provider, first on each connection: the configured ones with their settings, the built-in ones' status. */
export const SnapshotEvent = Schema.Struct({ providers: Schema.Array(Provider), builtIn: Schema.Array(ProviderStatus) })
/** `state`: one provider's status changed. */
export const StateEvent = ProviderStatus
/** `removed`: a provider was deleted. */
export const RemovedEvent = Schema.Struct({ id: Schema.String })
/** `error`: the stream could not go on (e.g. a broken config file); it ends after this. */
export const StreamErrorEvent = Schema.Struct({ message: Schema.String })

/** The event names and their data. */
export const AdminEvents = {
  snapshot: SnapshotEvent,
  state: StateEvent,
  removed: RemovedEvent,
  error: StreamErrorEvent
} as const
export type AdminEventName = keyof typeof AdminEvents
