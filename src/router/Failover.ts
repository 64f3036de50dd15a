/**
 * Whether a target's failed answer sends the request on to the next target: the one decision every
 * chain (both lanes, pass-through and translation) takes, from what the attempt gave before any
 * byte of it reached the caller — its status, headers and (whole) body.
 *
 * Falls over: Switchboard's own 502/504 (no connection, TLS or DNS failure, reset, no answer within
 * the timeout), 401/403 (this provider's key), 404 (this provider does not have the model), 408,
 * 409, 429 and every 5xx: another target may well answer. Does not: any other 4xx — the request
 * itself is wrong and the next target would say the same — except a request too long for the
 * target's context window, which a target with a larger one may take. That is recognised by the
 * providers' own words for it (OpenAI's `context_length_exceeded`, Anthropic's "prompt is too
 * long", llama.cpp's "exceeds the available context size", vLLM's "maximum context length", …),
 * since no two providers give it the same code.
 */

export type Verdict =
  | { readonly _tag: "FallOver"; readonly reason: string; readonly retryAfterMs: number | undefined }
  | { readonly _tag: "Final" }

const FINAL: Verdict = { _tag: "Final" }

const RETRYABLE = new Set([401, 403, 404, 408, 409, 429])

const CONTEXT_TOO_LONG =
  /context[_ ]length[_ ]exceeded|maximum context length|context (window|length|size|limit)|prompt is too long|too many (input )?tokens|input token count|exceeds? the (model'?s? )?(context|max(imum)? (input|tokens))/i

/** `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date; undefined when absent or unreadable. */
export const retryAfterMs = (headers: Readonly<Record<string, string | undefined>>, now: number = Date.now()): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms))
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The first line of an error body, short, for the log and the breaker's last failure. */
const gist = (body: string): string => {
  let message = body
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown }
    const found = typeof json.error === "string" ? json.error : json.error?.message ?? json.message
    if (typeof found === "string") message = found
  } catch {
    // Not JSON: the text as it is.
  }
  message = message.replace(/\s+/g, " ").trim()
  return message.length > 200 ? `${message.slice(0, 200)}…` : message
}

/** What a failed attempt's answer (status ≥ 400, body read whole) means for the chain. */
export const verdictOf = (status: number, headers: Readonly<Record<string, string | undefined>>, body: string): Verdict => {
  if (status < 400) return FINAL
  if (status >= 500 || RETRYABLE.has(status)) {
    return { _tag: "FallOver", reason: `${status}: ${gist(body)}`, retryAfterMs: status === 429 || status === 503 ? retryAfterMs(headers) : undefined }
  }
  if (CONTEXT_TOO_LONG.test(body)) return { _tag: "FallOver", reason: `${status} (context too long): ${gist(body)}`, retryAfterMs: undefined }
  return FINAL
}
