/**
 * The usage chunk of a Chat Completions stream the caller did not ask for.
 *
 * A Chat Completions stream says its token usage only when the request sets
 * `stream_options.include_usage`; most callers don't, and without it the ledger could not know
 * what a pass-through stream cost. So Switchboard asks for it on their behalf (`asksForUsage`),
 * and undoes what that changes in the stream before it is written (`withholdUsageChunk`): the
 * extra last chunk — `{"choices":[],"usage":{…}}`, which the caller never asked for — is taken
 * out, for the ledger alone, and the `"usage":null` the provider then adds to every other chunk is
 * taken off again, so the caller gets the bytes it would have got without the option.
 */

const USAGE = Buffer.from("\"usage\":")
const USAGE_SPACED = Buffer.from("\"usage\": ")
/** `"usage":null` as a member: with the comma before it, or (the first member) the one after it. */
const NULL_USAGE = /,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,/g

/**
 * Whether Switchboard adds `stream_options.include_usage` to a Chat Completions request: a stream
 * whose caller set no `stream_options` at all (one that did chose for itself).
 */
export const asksForUsage = (body: unknown): boolean =>
  typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true &&
  (body as { stream_options?: unknown }).stream_options === undefined

/** The request text with `"stream_options":{"include_usage":true}` added as its first member. */
export const withUsageAsked = (text: string): string => {
  const open = text.indexOf("{")
  return `${text.slice(0, open + 1)}"stream_options":{"include_usage":true},${text.slice(open + 1)}`
}

const isUsageOnly = (block: string): boolean => {
  for (const line of block.split("\n")) {
    if (!line.startsWith("data:")) continue
    try {
      const chunk = JSON.parse(line.slice(5)) as { choices?: unknown; usage?: unknown }
      return Array.isArray(chunk.choices) && chunk.choices.length === 0 && typeof chunk.usage === "object" && chunk.usage !== null
    } catch {
      return false
    }
  }
  return false
}

/**
 * `events` (whole SSE events) as the caller would have had them without `include_usage`: no
 * usage-only chunk (its text is returned as `withheld`), no `"usage":null` members.
 */
export const withholdUsageChunk = (events: Uint8Array): { readonly events: Uint8Array; readonly withheld: string | undefined } => {
  const bytes = Buffer.from(events.buffer, events.byteOffset, events.byteLength)
  if (!bytes.includes(USAGE) && !bytes.includes(USAGE_SPACED)) return { events, withheld: undefined }
  const blocks = bytes.toString("utf8").split(/(?<=\n\n)/)
  const index = blocks.findIndex(isUsageOnly)
  const withheld = index === -1 ? undefined : blocks.splice(index, 1)[0]
  return { events: Buffer.from(blocks.join("").replace(NULL_USAGE, ""), "utf8"), withheld }
}
