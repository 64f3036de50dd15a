/**
 * Providers that come from a Layer rather than from remote.json's list: the engines of this
 * machine (`src/local/LocalProvider.ts`) are one. The supervisor treats each like a configured
 * provider — listed, routed, its loop supervised and restarted on a defect — without knowing what
 * it is: a new kind of built-in provider is one more Layer, not a branch in `Providers`.
 */
import { Context, type Effect, type SubscriptionRef } from "effect"
import type { ProviderId, RemoteConfig } from "../config/RemoteConfig.ts"
import type { ActorSnapshot, ProviderCommand } from "./ProviderActor.ts"
import type { ProviderFormat } from "./Upstream.ts"

export interface BuiltInProvider {
  /** Reserved: a configured provider with this id is ignored, with a warning. */
  readonly id: ProviderId
  readonly name: string
  readonly format: ProviderFormat
  /** What is shown where a remote provider shows its URL (e.g. `local:llama.cpp`). */
  readonly baseUrl: string
  /** Its state; `undefined` while it has nothing to offer (no engine, nowhere to look for models): then it is not listed at all. */
  readonly snapshot: SubscriptionRef.SubscriptionRef<ActorSnapshot | undefined>
  /** Takes the configuration's part that concerns it (applied with every configuration). */
  readonly configure: (config: RemoteConfig) => Effect.Effect<void>
  /** A user's connect (e.g. look for models again) or disconnect. */
  readonly command: (command: ProviderCommand) => Effect.Effect<void>
  /** Its own loop, supervised like an actor's: run until interrupted, restarted after a defect. */
  readonly run: Effect.Effect<void>
}

export class BuiltInProviders extends Context.Service<BuiltInProviders, ReadonlyArray<BuiltInProvider>>()("switchboard/BuiltInProviders") {}
