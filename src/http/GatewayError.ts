/**
 * An error Switchboard answers itself (unknown model, bad body, an upstream it cannot reach) or
 * relays from a translated upstream, before it is rendered in the caller's wire format. Each
 * format's renderer (`OpenAiError.ts`, `AnthropicError.ts`) turns the `kind` into its own type
 * names; the status is always the one given here.
 */
import type { ErrorKind } from "../formats/Canonical.ts"

/** The canonical error kinds, plus the one only the gateway says: a route it does not serve yet. */
export type GatewayErrorKind = ErrorKind | "not_implemented"

export interface GatewayError {
  readonly status: number
  readonly kind: GatewayErrorKind
  readonly message: string
  /** The request field at fault (OpenAI's `param`; Anthropic has no field for it, so messages name it too). */
  readonly param?: string | undefined
  /** OpenAI's machine-readable `code` (`model_not_found`, …); Anthropic has none. */
  readonly code?: string | undefined
  /** Upstream headers worth keeping on a relayed error (`retry-after`, rate-limit counters). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** The kind an HTTP status means, for error bodies that do not say. */
export const kindOfStatus = (status: number): ErrorKind => {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return "invalid_request"
    case 401:
      return "authentication"
    case 402:
    case 403:
      return "permission"
    case 404:
      return "not_found"
    case 429:
      return "rate_limit"
    case 503:
    case 529:
      return "overloaded"
    case 408:
    case 504:
      return "timeout"
    default:
      return status >= 400 && status < 500 ? "invalid_request" : "server"
  }
}
