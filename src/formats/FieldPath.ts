/**
 * Field paths in errors, in the caller's own terms.
 *
 * An error found after the inbound translation — a provider's encoder that cannot express a part,
 * a local engine that takes text only — knows only the canonical request, so it names the field
 * in the hub's own grammar: the canonical request's, spelt as Chat Completions spells it
 * (`messages[2].content[0]`, `response_format`, `tools[1]`). A caller of another format would read
 * fields it never sent. So an inbound decoder whose format names things differently records, as
 * it builds the canonical request, where each message and part came from (`Request.origin`), and
 * whoever turns such an error into a response renders its path with `inCallerTerms`: a Responses
 * caller reads `input[0].content[1]` and `text.format`. Chat Completions callers need no origin:
 * the canonical names are theirs.
 */
import type { Request } from "./Canonical.ts"

/** Canonical path → the caller's path, for what the caller names differently. */
export type Origin = { readonly [canonicalPath: string]: string }

/** The canonical path of message `message`, or of part `part` of its content. */
export const canonicalPath = (message: number, part?: number): string =>
  part === undefined ? `messages[${message}]` : `messages[${message}].content[${part}]`

/**
 * Canonical top-level fields as the hub's errors name them (their Chat Completions names), for
 * the decoders that record an origin.
 */
export const CanonicalField = {
  responseFormat: "response_format",
  maxTokens: "max_tokens",
  reasoningEffort: "reasoning_effort"
} as const

/**
 * `param` (a canonical path) in the caller's terms: its longest recorded prefix — whole segments
 * only, so `messages[1]` never matches `messages[12]` — is replaced by where that came from;
 * the rest (`.source`, `.file_id`) follows as it is. A path with no recorded prefix is the
 * caller's own already.
 */
export const inCallerTerms = (param: string, origin: Origin | undefined): string => {
  if (origin === undefined) return param
  for (let end = param.length; end > 0; end--) {
    if (end < param.length && param[end] !== "." && param[end] !== "[") continue
    const caller = origin[param.slice(0, end)]
    if (caller !== undefined) return caller + param.slice(end)
  }
  return param
}

/** `param` in the terms of the caller of `request`. */
export const inRequestTerms = (param: string, request: Request): string => inCallerTerms(param, request.origin)
