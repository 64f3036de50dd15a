/**
 * A stateful splitter over `SseFraming.frameEvents` for tests that feed chunks one by one: the
 * drivers thread `frameEvents`'s `pending` through the pure `PassThroughExchange` state instead.
 */
import { frameEvents } from "../../src/http/SseFraming.ts"

export const makeEventFramer = () => {
  let pending: Uint8Array | undefined
  return {
    /** The complete events this chunk finishes (possibly none). */
    push: (chunk: Uint8Array): Uint8Array | undefined => {
      const framed = frameEvents(pending, chunk)
      pending = framed.pending
      return framed.events
    },
    /** What is left when the upstream ended normally: passed on as it came. */
    rest: (): Uint8Array | undefined => {
      const out = pending
      pending = undefined
      return out
    }
  }
}
