/**
 * Errors in the OpenAI shape, for callers of the OpenAI-format endpoints.
 *
 * @see ../shared/specs/openai/openapi.yaml `ErrorResponse`: `{ error: { message, type, param, code } }`
 */
import { HttpServerResponse } from "effect/http"
import * as OpenAiWireError from "../formats/openai-chat/ErrorType.ts"
import type { GatewayError, GatewayErrorKind } from "./GatewayError.ts"

export type OpenAiErrorType =
  | "invalid_request_error"
  | "not_found_error"
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "server_error"
  | "api_error"
  | "not_implemented"

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string
    readonly type: OpenAiErrorType
    readonly param: string | null
    readonly code: string | null
  }
}

export const openAiErrorBody = (
  message: string,
  type: OpenAiErrorType,
  options: { readonly param?: string | undefined; readonly code?: string | undefined } = {}
): OpenAiErrorBody => ({ error: { message, type, param: options.param ?? null, code: options.code ?? null } })

export const openAiError = (
  status: number,
  message: string,
  type: OpenAiErrorType,
  options: { readonly param?: string | undefined; readonly code?: string | undefined; readonly headers?: Record<string, string> } = {}
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(openAiErrorBody(message, type, options), {
    status,
    ...(options.headers ? { headers: options.headers } : {})
  })

/**
 * Kind → OpenAI type. OpenAI itself answers an unknown model with `invalid_request_error` and a
 * 404, so `not_found` does too; the `code` tells the cases apart.
 */
const typeOf: Record<GatewayErrorKind, OpenAiErrorType> = {
  invalid_request: "invalid_request_error",
  not_found: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  rate_limit: "rate_limit_error",
  overloaded: "server_error",
  timeout: "server_error",
  server: "server_error",
  not_implemented: "not_implemented"
}

/**
 * A gateway error as an OpenAI error response. Without an explicit `code`, the kind's usual one
 * (`rate_limit_exceeded`, …) is used, the same one a stream error of that kind carries.
 */
export const renderOpenAiError = (error: GatewayError): HttpServerResponse.HttpServerResponse =>
  openAiError(error.status, error.message, typeOf[error.kind], {
    param: error.param,
    code: error.code ??
      (error.kind === "not_implemented" ? undefined : OpenAiWireError.fromCanonical({ kind: error.kind, message: "" }).error.code ?? undefined),
    ...(error.headers ? { headers: { ...error.headers } } : {})
  })
