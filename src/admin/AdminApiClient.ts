/**
 * The admin API's typed client, derived from its definition (AdminApi.ts) by `HttpApiClient`, for
 * both of its callers: the CLI (src/cli/AdminClient.ts) and the web page (web/src/Api.ts). Requests
 * go out with `fetch` (the platform's own, in node and in the browser), carrying the headers the
 * caller gives (its gateway key). Like AdminApi.ts it imports only `effect` and pure schemas: the page bundles it.
 */
import { Effect, Schema } from "effect"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { AdminApi, type AdminApiError } from "./AdminApi.ts"

export type AdminApiClient = HttpApiClient.ForApi<typeof AdminApi>

/** The client of the server at `baseUrl`; `headers` is read for every request. */
export const makeAdminApiClient = (options: {
  readonly baseUrl: string
  readonly headers: () => Readonly<Record<string, string>>
}): Effect.Effect<AdminApiClient> =>
  HttpApiClient.make(AdminApi, {
    baseUrl: options.baseUrl,
    transformClient: HttpClient.mapRequest((request) => HttpClientRequest.setHeaders(request, options.headers()))
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** Every way an admin call can fail: an answer of the API's, no answer, or an answer off the definition. */
export type AdminCallError = AdminApiError | HttpClientError.HttpClientError | Schema.SchemaError

/** What a failed call tells its user. */
export interface AdminCallFailure {
  readonly message: string
  /** The error's stable code (`duplicate_name`, `gateway_key_required`, …), when the answer had one. */
  readonly code: string | null
  /** Whether no server answered at all (refused, timed out). */
  readonly unreachable: boolean
}

/** The codes of a 401 for a missing or wrong gateway key (src/gateway-keys/GatewayKeyGuard.ts). */
export const GATEWAY_KEY_CODES: ReadonlySet<string> = new Set(["gateway_key_required", "invalid_gateway_key"])

/** The cause's own sentence (`connect ECONNREFUSED …`) rather than the client's wrapper. */
const describeCause = (cause: unknown): string => cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)

export const callFailure = (error: AdminCallError): AdminCallFailure => {
  if (Schema.isSchemaError(error)) {
    return { message: `off the admin API's definition: ${error.message}`, code: null, unreachable: false }
  }
  if (HttpClientError.isHttpClientError(error)) {
    const response = error.response
    return response === undefined
      ? { message: describeCause("cause" in error.reason ? error.reason.cause : error), code: null, unreachable: true }
      : { message: `${error.request.method} ${new URL(error.request.url).pathname} answered ${response.status}`, code: null, unreachable: false }
  }
  return { message: error.error.message, code: error.error.code, unreachable: false }
}
