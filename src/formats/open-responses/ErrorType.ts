/**
 * Open Responses error `type`/`code` ↔ canonical error kind, for `error` events and the `error`
 * of a failed response.
 *
 * @see https://www.openresponses.org/specification#errors
 */
import type { ErrorKind, StreamError } from "../Canonical.ts"

/** The `error` event payload (ErrorPayload: every field required, `code`/`param` nullable). */
export interface ResponsesErrorPayloadOut {
  readonly type: string
  readonly code: string | null
  readonly message: string
  readonly param: null
}

/** The `error` of a failed ResponseResource (Error: `code` and `message` required). */
export interface ResponsesResponseErrorOut {
  readonly code: string
  readonly message: string
}

const fromWire: Record<string, ErrorKind> = {
  invalid_request: "invalid_request",
  invalid_request_error: "invalid_request",
  invalid_prompt: "invalid_request",
  context_length_exceeded: "invalid_request",
  authentication_error: "authentication",
  invalid_api_key: "authentication",
  permission_error: "permission",
  not_found: "not_found",
  not_found_error: "not_found",
  model_not_found: "not_found",
  too_many_requests: "rate_limit",
  rate_limit_error: "rate_limit",
  rate_limit_exceeded: "rate_limit",
  insufficient_quota: "rate_limit",
  overloaded: "overloaded",
  server_overloaded: "overloaded",
  server_is_overloaded: "overloaded",
  timeout: "timeout",
  server_error: "server",
  model_error: "server",
  vector_store_timeout: "timeout"
}

/** The kind of an upstream error from its `code` or `type`; anything else is a server error. */
export const toCanonical = (type: string | null | undefined, code: string | null | undefined): ErrorKind =>
  (code ? fromWire[code] : undefined) ?? (type ? fromWire[type] : undefined) ?? "server"

const toWire: Record<ErrorKind, { readonly type: string; readonly code: string }> = {
  invalid_request: { type: "invalid_request", code: "invalid_request" },
  authentication: { type: "invalid_request", code: "invalid_api_key" },
  permission: { type: "invalid_request", code: "permission_denied" },
  not_found: { type: "not_found", code: "not_found" },
  rate_limit: { type: "too_many_requests", code: "rate_limit_exceeded" },
  overloaded: { type: "server_error", code: "server_is_overloaded" },
  timeout: { type: "server_error", code: "timeout" },
  server: { type: "server_error", code: "server_error" }
}

/** The `error` event payload for a canonical stream error. */
export const payloadFromCanonical = (error: StreamError): ResponsesErrorPayloadOut => ({
  ...toWire[error.kind],
  message: error.message,
  param: null
})

/** The `error` of a failed response for a canonical stream error. */
export const responseErrorFromCanonical = (error: StreamError): ResponsesResponseErrorOut => ({
  code: toWire[error.kind].code,
  message: error.message
})
