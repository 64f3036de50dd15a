/**
 * Failures talking to a provider, turned into sentences a person can act on
 * ("401 Unauthorized from api.openai.com: Incorrect API key provided"), with the facts the
 * caller needs to decide what to do (status, whether retrying can help). Never holds a secret:
 * texts pass through `scrub` before they get here.
 */
import { Predicate, Schema } from "effect"
import { STATUS_CODES } from "node:http"

export class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  message: Schema.String,
  /** The upstream HTTP status, when the provider answered. */
  status: Schema.optional(Schema.Number),
  /** Whether trying again later can succeed (network trouble, 5xx, 429) or not (401, 403, 404…). */
  retryable: Schema.Boolean,
  /** The provider did not answer within its timeout (so callers can be told "timeout", not just "failed"). */
  timedOut: Schema.optional(Schema.Boolean)
}) {}

/** 401/403 mean the credentials are wrong: retrying with the same ones only hammers the provider. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/** The message inside an OpenAI (`{error:{message}}`), Anthropic (`{type:"error",error:{message}}`) or plain error body. */
export const errorBodyMessage = (body: string): string => {
  try {
    const json: unknown = JSON.parse(body)
    if (Predicate.isObject(json) && "error" in json) {
      const error = json.error
      if (Predicate.isString(error)) return error
      if (Predicate.isObject(error) && "message" in error && Predicate.isString(error.message)) return error.message
    }
    if (Predicate.isObject(json) && "message" in json && Predicate.isString(json.message)) return json.message
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim()
  return text.length > 200 ? text.slice(0, 200) + "…" : text
}

export const httpStatusError = (host: string, status: number, body: string): UpstreamError => {
  const detail = errorBodyMessage(body)
  return new UpstreamError({
    message: `${status} ${STATUS_CODES[status] ?? "Error"} from ${host}${detail ? `: ${detail}` : ""}`,
    status,
    retryable: isRetryableStatus(status)
  })
}

/** A transport failure (refused, reset, DNS, TLS) as a sentence naming the endpoint and the cause. */
export const transportError = (host: string, cause: unknown): UpstreamError => {
  const code = findCode(cause)
  const what = code === "ECONNREFUSED"
    ? "connection refused"
    : code === "ENOTFOUND" || code === "EAI_AGAIN"
    ? "host not found"
    : code === "ECONNRESET" || code === "UND_ERR_SOCKET"
    ? "connection reset"
    : code?.startsWith("ERR_TLS") || code?.startsWith("ERR_SSL") || code?.includes("CERT")
    ? `TLS error (${code})`
    : code ?? (cause instanceof Error ? cause.message : String(cause))
  return new UpstreamError({ message: `cannot reach ${host}: ${what}`, retryable: true })
}

export const timeoutError = (host: string, seconds: number): UpstreamError =>
  new UpstreamError({ message: `no answer from ${host} within ${seconds} s`, retryable: true, timedOut: true })

const findCode = (cause: unknown, depth = 0): string | undefined => {
  if (depth > 5 || !Predicate.isObject(cause)) return undefined
  if ("code" in cause && Predicate.isString(cause.code)) return cause.code
  return "cause" in cause ? findCode(cause.cause, depth + 1) : undefined
}
