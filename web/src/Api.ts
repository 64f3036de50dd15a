/**
 * Every request the page makes goes through `apiFetch`: it adds the gateway key the user entered
 * (kept in sessionStorage, so it lasts as long as the tab) and, when Switchboard answers 401 for a
 * missing or wrong gateway key, tells the page to ask for one.
 */
import type { Schema } from "effect"
import { decodeJson, ErrorBody } from "./Wire.ts"

const KEY_STORAGE = "switchboard.gatewayKey"
const KEY_CODES = new Set(["gateway_key_required", "invalid_gateway_key"])

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

/** An answer Switchboard gave with an error status, carrying its message. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code: string | null) {
    super(message)
  }
}

const decodeError = decodeJson(ErrorBody)

/** The error an unsuccessful response stands for, read from its OpenAI-shaped body when it has one. */
export const errorOf = async (response: Response): Promise<ApiError> => {
  const text = await response.text()
  try {
    const body = decodeError(text)
    return new ApiError(response.status, body.error.message, body.error.code ?? null)
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`.trim(), null)
  }
}

/** `fetch` with the gateway key; a 401 about the key is reported to `onGatewayKeyNeeded` listeners. */
export const apiFetch = async (path: string, init: RequestInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers)
  const key = sessionStorage.getItem(KEY_STORAGE)
  if (key !== null && key !== "") headers.set("authorization", `Bearer ${key}`)
  const response = await fetch(path, { ...init, headers })
  if (response.status === 401) {
    const error = await errorOf(response.clone())
    if (error.code !== null && KEY_CODES.has(error.code)) {
      for (const listener of Array.from(keyListeners)) listener(error.code as KeyProblem)
    }
  }
  return response
}

/** A JSON request whose answer is decoded with `schema`; an error status throws an `ApiError`. */
export const apiJson = async <S extends Schema.Decoder<unknown>>(
  schema: S,
  path: string,
  init: { readonly method?: string; readonly body?: unknown; readonly signal?: AbortSignal } = {}
): Promise<S["Type"]> => {
  const response = await apiFetch(path, {
    method: init.method ?? "GET",
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { "content-type": "application/json" } }),
    ...(init.signal === undefined ? {} : { signal: init.signal })
  })
  if (!response.ok) throw await errorOf(response)
  return decodeJson(schema)(await response.text())
}
