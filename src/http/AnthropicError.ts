/**
 * Errors in the Anthropic shape, for callers of the Anthropic Messages endpoint.
 *
 * @see https://docs.anthropic.com/en/api/errors — `{ type: "error", error: { type, message } }`
 */
import { HttpServerResponse } from "effect/http"
import type { GatewayError, GatewayErrorKind } from "./GatewayError.ts"

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

export interface AnthropicErrorBody {
  readonly type: "error"
  readonly error: { readonly type: AnthropicErrorType; readonly message: string }
}

/**
 * Kind → Anthropic type. There is no "not implemented" type; `api_error` is the generic one the
 * SDK knows, and the status (501) and message say the rest.
 */
const typeOf: Record<GatewayErrorKind, AnthropicErrorType> = {
  invalid_request: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  rate_limit: "rate_limit_error",
  overloaded: "overloaded_error",
  timeout: "timeout_error",
  server: "api_error",
  not_implemented: "api_error"
}

export const anthropicErrorBody = (type: AnthropicErrorType, message: string): AnthropicErrorBody => ({
  type: "error",
  error: { type, message }
})

export const anthropicError = (
  status: number,
  type: AnthropicErrorType,
  message: string,
  headers?: Readonly<Record<string, string>>
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(anthropicErrorBody(type, message), { status, ...(headers ? { headers } : {}) })

/**
 * A gateway error as an Anthropic error response. Anthropic bodies have no `param`, so a field
 * the message does not already name is added to it.
 */
export const renderAnthropicError = (error: GatewayError): HttpServerResponse.HttpServerResponse =>
  anthropicError(
    error.status,
    typeOf[error.kind],
    error.param !== undefined && !error.message.includes(error.param) ? `${error.message} (${error.param})` : error.message,
    error.headers
  )
