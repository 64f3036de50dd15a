/**
 * What the `encrypted_content` of a compaction item made by Switchboard holds, and how a later
 * request gives it back to the model.
 *
 * A provider's own `/responses/compact` returns its summary encrypted with a key only it holds.
 * Switchboard holds no key and keeps nothing, so when it compacts for a provider that does not
 * speak Open Responses (`Compaction.ts`), the summary travels in the item itself: a fixed prefix
 * naming the scheme, then the summary's UTF-8 bytes in base64url. It is opaque in shape (callers
 * must not read it, as with any compaction item) but not secret: it is the caller's own
 * conversation, summarised, and whoever holds the item could as well have sent that text.
 * Anything else in `encrypted_content` — a real provider's ciphertext — is not Switchboard's to
 * open (`open` gives undefined).
 *
 * When a later `/v1/responses` request to a translated provider holds such an item, it becomes a
 * user message carrying the summary (`contextText`) in its place in the conversation; so it does
 * on the way to a `responses` provider (`unsealedForProvider`), which could not open it.
 *
 * @see ../shared/specs/openresponses/openapi.json `CompactionSummaryItemParam`, `CompactionBody`
 */
import { Predicate, Result } from "effect"
import * as Base64Url from "effect/encoding/Base64Url"

/** Names the scheme (and its version), so a summary is never mistaken for a provider's ciphertext. */
export const SEALED_PREFIX = "switchboard.compaction.v1."

/** The summary as a compaction item's `encrypted_content`. */
export const seal = (summary: string): string => SEALED_PREFIX + Base64Url.encode(summary)

/** The summary a Switchboard compaction item carries; undefined for anything else (another provider's item, garbage). */
export const open = (encryptedContent: string): string | undefined => {
  if (!encryptedContent.startsWith(SEALED_PREFIX)) return undefined
  const decoded = Base64Url.decodeString(encryptedContent.slice(SEALED_PREFIX.length))
  return Result.isSuccess(decoded) ? decoded.success : undefined
}

/** The words that introduce a summary to the model, in the place of the turns it replaces. */
export const CONTEXT_HEADER = "The earlier part of this conversation was compacted into the following summary. Continue from it as if the earlier turns were still here."

/** The text of the user message a Switchboard compaction item becomes for the model. */
export const contextText = (summary: string): string => `${CONTEXT_HEADER}\n\n<summary>\n${summary}\n</summary>`

/**
 * A Responses body on its way to a `responses` provider, with each compaction item Switchboard
 * made replaced by the user message carrying its summary, as a translated
 * provider gets it: the provider could not open Switchboard's item (it would reject it as
 * undecryptable), and a conversation compacted with one model may continue with another (a
 * virtual model's next target). Anything else — a provider's own compaction items above all —
 * is left as it is, and a body without Switchboard's prefix is returned as the same text, unparsed.
 */
export const unsealedForProvider = (text: string): string => {
  if (!text.includes(SEALED_PREFIX)) return text
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return text
  }
  if (!Predicate.isObject(body) || !Array.isArray(body.input)) return text
  let changed = false
  const input = body.input.map((item: unknown) => {
    if (!Predicate.isObject(item) || item.type !== "compaction" || !Predicate.isString(item.encrypted_content)) return item
    const summary = open(item.encrypted_content)
    if (summary === undefined) return item
    changed = true
    return { type: "message", role: "user", content: contextText(summary) }
  })
  return changed ? JSON.stringify({ ...body, input }) : text
}
