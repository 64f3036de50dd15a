/**
 * Anthropic error `type` ↔ canonical error kind, for `event: error` inside a stream.
 *
 * @see https://docs.anthropic.com/en/api/errors#error-shapes
 * @see https://docs.anthropic.com/en/api/messages-streaming#error-events
 */
import type { ErrorKind, StreamError } from "../Canonical.ts"

/** The error types Anthropic documents (and `@anthropic-ai/sdk` declares as `ErrorType`). */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "timeout_error"
  | "api_error"
  | "overloaded_error"

/** The error payload: of an `event: error` in a stream, and of an error response. */
export interface AnthropicErrorOut {
  readonly type: "error"
  readonly error: { readonly type: AnthropicErrorType; readonly message: string }
}

const fromWire: Record<string, ErrorKind> = {
  invalid_request_error: "invalid_request",
  request_too_large: "invalid_request",
  authentication_error: "authentication",
  permission_error: "permission",
  billing_error: "permission",
  not_found_error: "not_found",
  rate_limit_error: "rate_limit",
  overloaded_error: "overloaded",
  timeout_error: "timeout",
  api_error: "server"
}

/** The kind of an upstream error type; anything else is a server error. */
export const toCanonical = (type: string | undefined): ErrorKind => (type !== undefined ? fromWire[type] : undefined) ?? "server"

/** The Anthropic type of a canonical error kind. */
export const wireType: Record<ErrorKind, AnthropicErrorType> = {
  invalid_request: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  rate_limit: "rate_limit_error",
  overloaded: "overloaded_error",
  timeout: "timeout_error",
  server: "api_error"
}

/** The Anthropic error payload for a canonical stream error. */
export const fromCanonical = (error: StreamError): AnthropicErrorOut => ({
  type: "error",
  error: { type: wireType[error.kind], message: error.message }
})
