/**
 * OpenAI error `type`/`code` ↔ canonical error kind, for errors reported inside a stream
 * (`data: {"error": {...}}`).
 *
 * @see https://platform.openai.com/docs/guides/error-codes#api-errors
 */
import type { ErrorKind, StreamError } from "../Canonical.ts"

/** The error body OpenAI sends, in a stream or as a response. */
export interface OpenAiErrorOut {
  readonly error: { readonly message: string; readonly type: string; readonly param: null; readonly code: string | null }
}

const fromWire: Record<string, ErrorKind> = {
  invalid_request_error: "invalid_request",
  authentication_error: "authentication",
  invalid_api_key: "authentication",
  permission_error: "permission",
  permission_denied: "permission",
  not_found_error: "not_found",
  model_not_found: "not_found",
  rate_limit_error: "rate_limit",
  rate_limit_exceeded: "rate_limit",
  insufficient_quota: "rate_limit",
  tokens: "rate_limit",
  requests: "rate_limit",
  overloaded: "overloaded",
  server_overloaded: "overloaded",
  timeout: "timeout",
  server_error: "server",
  api_error: "server"
}

/** The kind of an upstream error from its `type` or `code`; anything else is a server error. */
export const toCanonical = (type: string | undefined, code: string | undefined): ErrorKind =>
  (code !== undefined ? fromWire[code] : undefined) ?? (type !== undefined ? fromWire[type] : undefined) ?? "server"

const toWire: Record<ErrorKind, { readonly type: string; readonly code: string | null }> = {
  invalid_request: { type: "invalid_request_error", code: null },
  authentication: { type: "authentication_error", code: null },
  permission: { type: "permission_error", code: null },
  not_found: { type: "not_found_error", code: null },
  rate_limit: { type: "rate_limit_error", code: "rate_limit_exceeded" },
  overloaded: { type: "server_error", code: "overloaded" },
  timeout: { type: "server_error", code: "timeout" },
  server: { type: "server_error", code: "upstream_error" }
}

/** The OpenAI error body for a canonical stream error. */
export const fromCanonical = (error: StreamError): OpenAiErrorOut => ({
  error: { message: error.message, ...toWire[error.kind], param: null }
})
