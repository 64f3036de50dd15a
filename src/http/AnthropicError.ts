/**
 * Errors in the Anthropic shape, for callers of the Anthropic Messages endpoint.
 *
 * @see https://docs.anthropic.com/en/api/errors — `{ type: "error", error: { type, message } }`
 */
import { HttpServerResponse } from "effect/http"
import { type AnthropicErrorOut, type AnthropicErrorType, wireType } from "../formats/anthropic-messages/ErrorType.ts"
import type { GatewayError, GatewayErrorKind } from "./GatewayError.ts"

/**
 * Kind → Anthropic type, as inside streams. There is no "not implemented" type; `api_error` is the
 * generic one the SDK knows, and the status (501) and message say the rest.
 */
const typeOf = (kind: GatewayErrorKind): AnthropicErrorType => kind === "not_implemented" ? "api_error" : wireType[kind]

export const anthropicErrorBody = (type: AnthropicErrorType, message: string): AnthropicErrorOut => ({
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
    typeOf(error.kind),
    error.param !== undefined && !error.message.includes(error.param) ? `${error.message} (${error.param})` : error.message,
    error.headers
  )
