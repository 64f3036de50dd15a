/**
 * Errors in the Open Responses shape, for callers of `POST /v1/responses`: the same
 * `{ error: { message, type, param, code } }` body as OpenAI's, with the Open Responses error
 * types (`invalid_request`, `not_found`, `too_many_requests`, `server_error`, …) and the status
 * given. A failure after the stream started is not rendered here: it is the `error` event
 * followed by `response.failed` (see `Formats.ts` and `open-responses/Stream.ts`).
 *
 * @see https://www.openresponses.org/specification#errors
 */
import { HttpServerResponse } from "effect/http"
import * as ResponsesErrorType from "../formats/open-responses/ErrorType.ts"
import type { GatewayError } from "./GatewayError.ts"

export interface ResponsesErrorBody {
  readonly error: {
    readonly message: string
    readonly type: string
    readonly param: string | null
    readonly code: string | null
  }
}

/**
 * The body for a gateway error. The type and default code are the ones the translation writes
 * in stream `error` events, so a client sees the same names either way; "not implemented" has
 * no Open Responses type, so it is a `server_error` whose code says it (the 501 says the rest).
 */
export const responsesErrorBody = (error: GatewayError): ResponsesErrorBody => {
  const wire = error.kind === "not_implemented"
    ? { type: "server_error", code: "not_implemented" }
    : ResponsesErrorType.payloadFromCanonical({ kind: error.kind, message: error.message })
  return { error: { message: error.message, type: wire.type, param: error.param ?? null, code: error.code ?? wire.code } }
}

/** A gateway error as an Open Responses error response, with its status (and relayed upstream headers). */
export const renderResponsesError = (error: GatewayError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(responsesErrorBody(error), {
    status: error.status,
    ...(error.headers ? { headers: { ...error.headers } } : {})
  })
