/**
 * The state machine of one provider actor:
 *
 *   disabled            (enabled: false)
 *   disconnected        (autoConnect: false, or after an explicit disconnect) ──connect──▶ connecting
 *   connecting ──▶ connected (models discovered)
 *              └─▶ error     (retried on a capped, jittered exponential schedule — except auth
 *                             failures, which wait for a config change or an explicit reconnect)
 *
 * States are plain data so they can be published, rendered as JSON and compared in tests.
 */
import { Data } from "effect"

export type ProviderState = Data.TaggedEnum<{
  Disabled: {}
  Disconnected: {}
  Connecting: { readonly attempt: number }
  Connected: { readonly models: ReadonlyArray<string>; readonly at: number }
  Error: {
    readonly reason: string
    readonly at: number
    /** false for failures retrying cannot fix (e.g. 401/403): the actor waits for a reconnect. */
    readonly retrying: boolean
    readonly attempt: number
  }
}>

export const ProviderState = Data.taggedEnum<ProviderState>()

/** The lower-case state name used on the wire (status endpoint, UI, logs). */
export type StateName = "disabled" | "disconnected" | "connecting" | "connected" | "error"

export const stateName = (state: ProviderState): StateName =>
  ProviderState.$match(state, {
    Disabled: (): StateName => "disabled",
    Disconnected: (): StateName => "disconnected",
    Connecting: (): StateName => "connecting",
    Connected: (): StateName => "connected",
    Error: (): StateName => "error"
  })

/** Models a provider serves right now: only a connected provider serves any. */
export const servedModels = (state: ProviderState): ReadonlyArray<string> =>
  state._tag === "Connected" ? state.models : []
