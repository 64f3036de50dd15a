/**
 * Errors in the OpenAI shape, for callers of the OpenAI-format endpoints.
 *
 * @see ../shared/specs/openai/openapi.yaml `ErrorResponse`: `{ error: { message, type, param, code } }`
 */
import { HttpServerResponse } from "effect/http"

export type OpenAiErrorType =
  | "invalid_request_error"
  | "not_found_error"
  | "authentication_error"
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
