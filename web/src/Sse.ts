/**
 * The events of a `text/event-stream` response body, parsed by `eventsource-parser` (the page
 * reads SSE with fetch, not `EventSource`, because `EventSource` cannot send the gateway key).
 */
import type { EventSourceMessage } from "eventsource-parser"
import { EventSourceParserStream } from "eventsource-parser/stream"

/** Calls `onEvent` for each event until the body ends (or the request's signal aborts it). */
export const readSse = async (response: Response, onEvent: (event: EventSourceMessage) => void): Promise<void> => {
  if (response.body === null) return
  const reader = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      onEvent(value)
    }
  } finally {
    reader.releaseLock()
  }
}
