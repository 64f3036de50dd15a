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
 * user message carrying the summary (`contextText`) in its place in the conversation.
 *
 * @see ../shared/specs/openresponses/openapi.json `CompactionSummaryItemParam`, `CompactionBody`
 */
import { Result } from "effect"
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
