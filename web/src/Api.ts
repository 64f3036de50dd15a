/**
 * Every request the page makes carries the gateway key the user entered (kept in sessionStorage,
 * so it lasts as long as the tab); when Switchboard answers 401 for a missing or wrong gateway
 * key, the page is told to ask for one. Admin calls go through the client derived from the admin
 * API's definition (`admin`); the OpenAI-format endpoints and the event stream through `apiFetch`.
 */
import { Effect, Schema } from "effect"
import { HttpClientError } from "effect/http"
import type { AdminApiClient, AdminCallError } from "../../src/admin/AdminApiClient.ts"
import { callFailure, GATEWAY_KEY_CODES, makeAdminApiClient } from "../../src/admin/AdminApiClient.ts"
import { ErrorBody } from "../../src/admin/AdminApi.ts"
import { decodeJson } from "./Wire.ts"

const KEY_STORAGE = "switchboard.gatewayKey"

export type KeyProblem = "gateway_key_required" | "invalid_gateway_key"

const keyListeners = new Set<(problem: KeyProblem) => void>()

/** Called whenever a request was refused for want of a (valid) gateway key. Returns an unsubscribe. */
export const onGatewayKeyNeeded = (listener: (problem: KeyProblem) => void): (() => void) => {
  keyListeners.add(listener)
  return () => keyListeners.delete(listener)
}

export const hasGatewayKey = (): boolean => (sessionStorage.getItem(KEY_STORAGE) ?? "") !== ""

export const setGatewayKey = (key: string): void => {
  if (key === "") sessionStorage.removeItem(KEY_STORAGE)
  else sessionStorage.setItem(KEY_STORAGE, key)
}

const keyHeaders = (): Record<string, string> => {
  const key = sessionStorage.getItem(KEY_STORAGE)
  return key === null || key === "" ? {} : { authorization: `Bearer ${key}` }
}

/** An answer Switchboard gave with an error status (or no answer), carrying its message, code and the field at fault. */
export class ApiError extends Error {
  constructor(message: string, readonly code: string | null, readonly param: string | null = null) {
    super(message)
  }
}

/** The request field an admin API error names (`targets.1.weight`), when it names one. */
const paramOf = (error: AdminCallError): string | null =>
  Schema.isSchemaError(error) || HttpClientError.isHttpClientError(error) ? null : error.error.param

/** A refused gateway key tells the listeners, whichever request it was. */
const reportKeyProblem = (code: string | null): void => {
  if (code === null || !GATEWAY_KEY_CODES.has(code)) return
  for (const listener of Array.from(keyListeners)) listener(code as KeyProblem)
}

const client = Effect.runSync(makeAdminApiClient({ baseUrl: location.origin, headers: keyHeaders }))

/** One call of the admin API, e.g. `admin((api) => api.providers.list())`; a failure throws an `ApiError`. */
export const admin = async <A>(call: (api: AdminApiClient) => Effect.Effect<A, AdminCallError>): Promise<A> => {
  const result = await Effect.runPromise(Effect.result(call(client)))
  if (result._tag === "Success") return result.success
  const failure = callFailure(result.failure)
  reportKeyProblem(failure.code)
  throw new ApiError(failure.message, failure.code, paramOf(result.failure))
}

const decodeError = decodeJson(ErrorBody)

/** The error an unsuccessful response stands for, read from its OpenAI-shaped body when it has one. */
export const errorOf = async (response: Response): Promise<ApiError> => {
  const text = await response.text()
  try {
    const body = decodeError(text)
    return new ApiError(body.error.message, body.error.code, body.error.param)
  } catch {
    return new ApiError(`${response.status} ${response.statusText}`.trim(), null)
  }
}

/** `fetch` with the gateway key; a 401 about the key is reported to `onGatewayKeyNeeded` listeners. */
export const apiFetch = async (path: string, init: RequestInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers)
  for (const [name, value] of Object.entries(keyHeaders())) headers.set(name, value)
  const response = await fetch(path, { ...init, headers })
  if (response.status === 401) reportKeyProblem((await errorOf(response.clone())).code)
  return response
}

/** A JSON `GET` whose answer is decoded with `schema`; an error status throws an `ApiError`. */
export const apiJson = async <S extends Schema.Decoder<unknown>>(schema: S, path: string): Promise<S["Type"]> => {
  const response = await apiFetch(path)
  if (!response.ok) throw await errorOf(response)
  return decodeJson(schema)(await response.text())
}
