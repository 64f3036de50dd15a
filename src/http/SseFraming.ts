/**
 * Keeps a passed-through SSE stream in whole events.
 *
 * Bytes are forwarded untouched, but only up to the last blank line (the end of an event): the
 * bytes of an event still being written are held until it is complete. A caller's SSE parser
 * cannot use half an event anyway, so this adds no delay it could see — and when the upstream
 * stalls or drops mid-event, the half event is dropped and Switchboard's error event starts on a
 * clean line instead of being glued onto a broken one.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

const LF = 0x0a
const CR = 0x0d

/** The index just past the last event terminator (`\n\n`, `\r\n\r\n`, `\r\r`), or 0 when there is none. */
export const endOfLastEvent = (bytes: Uint8Array): number => {
  for (let i = bytes.length - 1; i > 0; i--) {
    const b = bytes[i]
    if (b === LF) {
      if (bytes[i - 1] === LF) return i + 1
      if (bytes[i - 1] === CR && i >= 3 && bytes[i - 2] === LF && bytes[i - 3] === CR) return i + 1
    } else if (b === CR && bytes[i - 1] === CR) {
      return i + 1
    }
  }
  return 0
}

/** What framing one chunk gives: the complete events it finishes (if any), and the unfinished tail to keep. */
export interface Framed {
  readonly events: Uint8Array | undefined
  readonly pending: Uint8Array | undefined
}

/** Pure framing step: `pending` (the tail held so far) and the next `chunk` → the complete events, and the new tail. */
export const frameEvents = (pending: Uint8Array | undefined, chunk: Uint8Array): Framed => {
  const bytes = pending === undefined ? chunk : concat(pending, chunk)
  const end = endOfLastEvent(bytes)
  return {
    events: end === 0 ? undefined : bytes.subarray(0, end),
    pending: end === bytes.length ? undefined : bytes.subarray(end)
  }
}


const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
