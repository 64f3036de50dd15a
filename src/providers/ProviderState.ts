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
import { Data, Result } from "effect"

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

/**
 * What moves a provider from one state to the next: a user's command, or what its actor found.
 * - `Connect` / `Disconnect`: asked by a user (or `autoConnect` at start, or credentials changing);
 * - `Attempt`: the actor tries again after a retryable failure;
 * - `Discovered`: the provider answered with its models (a first connection, or a refresh);
 * - `Failed`: it did not.
 */
export type ProviderSignal = Data.TaggedEnum<{
  Connect: {}
  Disconnect: {}
  Attempt: {}
  Discovered: { readonly models: ReadonlyArray<string>; readonly at: number }
  Failed: { readonly reason: string; readonly retrying: boolean; readonly at: number }
}>

export const ProviderSignal = Data.taggedEnum<ProviderSignal>()

/** A signal that makes no sense in a state (a stale discovery after a disconnect, anything while disabled). */
export class IllegalTransition extends Data.TaggedError("IllegalTransition")<{
  readonly from: StateName
  readonly signal: ProviderSignal["_tag"]
}> {
  override get message() {
    return `${this.signal} is not allowed while ${this.from}`
  }
}

/**
 * The provider state machine as a pure function: the next state, or a refusal. The actor is the
 * only one to call it, on the state it owns.
 *
 *   disabled      ── nothing (a config change replaces the actor)
 *   disconnected  ── Connect ─▶ connecting(1)
 *   connecting(n) ── Discovered ─▶ connected · Failed ─▶ error(n) · Connect ─▶ connecting(1)
 *   connected     ── Discovered ─▶ connected (refreshed) · Failed ─▶ error(1) · Connect ─▶ connecting(1)
 *   error(n)      ── Attempt ─▶ connecting(n+1), only while retrying · Connect ─▶ connecting(1)
 *   any but disabled ── Disconnect ─▶ disconnected
 */
export const transition = (state: ProviderState, signal: ProviderSignal): Result.Result<ProviderState, IllegalTransition> => {
  const refuse = () => Result.fail(new IllegalTransition({ from: stateName(state), signal: signal._tag }))
  if (state._tag === "Disabled") return refuse()
  switch (signal._tag) {
    case "Disconnect":
      return Result.succeed(ProviderState.Disconnected())
    case "Connect":
      return Result.succeed(ProviderState.Connecting({ attempt: 1 }))
    case "Attempt":
      return state._tag === "Error" && state.retrying ? Result.succeed(ProviderState.Connecting({ attempt: state.attempt + 1 })) : refuse()
    case "Discovered":
      return state._tag === "Connecting" || state._tag === "Connected"
        ? Result.succeed(ProviderState.Connected({ models: signal.models, at: signal.at }))
        : refuse()
    case "Failed":
      return state._tag === "Connecting" || state._tag === "Connected"
        ? Result.succeed(ProviderState.Error({
          reason: signal.reason,
          retrying: signal.retrying,
          at: signal.at,
          attempt: state._tag === "Connecting" ? state.attempt : 1
        }))
        : refuse()
  }
}

/** Where a new actor starts: disabled, disconnected until asked, or connecting at once. */
export const initialState = (config: { readonly enabled: boolean; readonly autoConnect: boolean }): ProviderState =>
  !config.enabled ? ProviderState.Disabled() : config.autoConnect ? ProviderState.Connecting({ attempt: 1 }) : ProviderState.Disconnected()
