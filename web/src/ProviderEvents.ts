/**
 * The live provider list: `GET /admin/events` (a `snapshot`, then `state` and `removed` per
 * change), re-opened after a pause when it ends or fails, until stopped. Each event is decoded
 * with its schema in the admin API's definition, which the server encodes with.
 */
import { AdminEvents, type Provider, type ProviderStatus } from "../../src/admin/AdminApi.ts"
import { apiFetch, errorOf } from "./Api.ts"
import { readSse } from "./Sse.ts"
import { decodeJson } from "./Wire.ts"

export interface ProviderEventHandlers {
  /** The configured providers with their settings, and the built-in ones (the local models) with their status. */
  readonly snapshot: (providers: ReadonlyArray<Provider>, builtIn: ReadonlyArray<ProviderStatus>) => void
  readonly state: (status: ProviderStatus) => void
  readonly removed: (id: string) => void
  /** `null` while the stream is open, else why it is not (it is re-opened after a pause). */
  readonly connection: (problem: string | null) => void
}

const RETRY_MS = 2_000

const decodeSnapshot = decodeJson(AdminEvents.snapshot)
const decodeState = decodeJson(AdminEvents.state)
const decodeRemoved = decodeJson(AdminEvents.removed)
const decodeStreamError = decodeJson(AdminEvents.error)

/** Starts watching; the returned function stops. */
export const watchProviders = (handlers: ProviderEventHandlers): (() => void) => {
  const controller = new AbortController()
  const once = async (): Promise<string> => {
    const response = await apiFetch("/admin/events", { signal: controller.signal, headers: { accept: "text/event-stream" } })
    if (!response.ok) return (await errorOf(response)).message
    handlers.connection(null)
    let problem = "the event stream ended"
    await readSse(response, (event) => {
      switch (event.event) {
        case "snapshot": {
          const snapshot = decodeSnapshot(event.data)
          return handlers.snapshot(snapshot.providers, snapshot.builtIn)
        }
        case "state":
          return handlers.state(decodeState(event.data))
        case "removed":
          return handlers.removed(decodeRemoved(event.data).id)
        case "error":
          problem = decodeStreamError(event.data).message
          return
      }
    })
    return problem
  }
  const loop = async () => {
    while (!controller.signal.aborted) {
      const problem = await once().catch((error: unknown) => error instanceof Error ? error.message : String(error))
      if (controller.signal.aborted) return
      handlers.connection(problem)
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
  }
  void loop()
  return () => controller.abort()
}
