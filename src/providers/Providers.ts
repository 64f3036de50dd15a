/**
 * The supervisor of provider actors. Each configured provider is an actor (`ProviderActor.ts`)
 * that owns its state; providers given by a Layer (`BuiltInProviders`: the local engines) are
 * supervised the same way. The supervisor only reads states: it runs each actor's loop in a
 * `FiberMap` keyed by provider id and restarts one that dies of a defect (logged with the provider
 * id, on a capped schedule), and follows each actor's state to publish it and to rebuild the
 * routing table. Applying a configuration starts new providers, restarts changed ones, stops
 * removed ones and leaves the rest alone (a healthy provider is never disturbed by an edit to
 * another); the set of providers is swapped whole, and states live in the actors, so no state
 * change is ever lost in between. Closing the layer's scope interrupts every actor.
 */
import { Cause, Context, Effect, FiberMap, Layer, Option, PubSub, Queue, Ref, Schema, Semaphore, Stream, SubscriptionRef } from "effect"
import type { HttpClient } from "effect/http"
import { baseUrl, type ProviderConfig, type ProviderId, type RemoteConfig } from "../config/RemoteConfig.ts"
import { buildRoutingTable, emptyRoutingTable, type RoutableProvider, type RoutingTable } from "../router/RoutingTable.ts"
import { compileVirtualModels, type CompiledVirtualModels, noVirtualModels } from "../router/VirtualModels.ts"
import type { SecretStore } from "../secrets/SecretStore.ts"
import { BuiltInProviders } from "./BuiltInProviders.ts"
import { type ActorOptions, type ActorSnapshot, defaultActorOptions, makeProviderActor, type ModelState, type ProviderCommand } from "./ProviderActor.ts"
import { type ProviderState, stateName } from "./ProviderState.ts"
import type { ProviderFormat, Upstream } from "./Upstream.ts"

/** What the outside world may see of a provider: never its secrets. */
export interface ProviderStatus {
  readonly id: ProviderId
  readonly name: string
  /** The wire format it speaks, or `local` for the engines of this machine. */
  readonly format: ProviderFormat
  readonly baseUrl: string
  readonly state: ProviderState
  /** Given by a Layer (`BuiltInProviders`: the local models), not configured in remote.json. */
  readonly builtIn: boolean
  /** Per-model states, for providers that have them (local engines). */
  readonly modelStates?: ReadonlyArray<ModelState> | undefined
}
export type ProviderEvent =
  | { readonly _tag: "StateChanged"; readonly status: ProviderStatus }
  | { readonly _tag: "Removed"; readonly id: ProviderId }

/** The first element of `changesAfter`, then the live events. */
export type SnapshotOr<A> = { readonly _tag: "Snapshot"; readonly value: A } | ProviderEvent

export class ProviderNotFound extends Schema.TaggedError<ProviderNotFound>()("ProviderNotFound", {
  id: Schema.String
}) {
  override get message() {
    return `no provider with id ${this.id}`
  }
}

export class Providers extends Context.Service<Providers, {
  /** Every configured provider with its current state, in configuration order. */
  readonly list: Effect.Effect<ReadonlyArray<ProviderStatus>>
  readonly get: (id: string) => Effect.Effect<ProviderStatus, ProviderNotFound>
  /** The current routing table: a plain read, cheap enough for every request. */
  readonly routingTable: Effect.Effect<RoutingTable>
  /** Start (or restart) the given configuration; unchanged providers keep running untouched. */
  readonly apply: (config: RemoteConfig) => Effect.Effect<void>
  /** Connect now: rediscover models, leave an error or disconnected state. */
  readonly reconnect: (id: string) => Effect.Effect<void, ProviderNotFound>
  readonly disconnect: (id: string) => Effect.Effect<void, ProviderNotFound>
  /** Every state change from now on. */
  readonly changes: Stream.Stream<ProviderEvent>
  /** How many actor fibers run: one per configured provider, none left behind by a removal or restart (a leak check). */
  readonly actorFibers: Effect.Effect<number>
  /**
   * `snapshot`'s result, then every change after it. The subscription opens before `snapshot`
   * runs, so a change in between is delivered (possibly also reflected in the snapshot — harmless,
   * events carry whole states) instead of lost.
   */
  readonly changesAfter: <A, E, R>(snapshot: Effect.Effect<A, E, R>) => Stream.Stream<SnapshotOr<A>, E, R>
}>()("switchboard/Providers") {
  static readonly layerWith = (options: ActorOptions) =>
    Layer.effect(Providers, Effect.suspend(() => make(options)))

  /** Supervisor with the production retry schedule and refresh interval. */
  static readonly layer = Providers.layerWith(defaultActorOptions)
}

/** A supervised provider, configured or built in, as the supervisor sees it. */
interface Member {
  readonly id: ProviderId
  readonly name: string
  readonly format: ProviderFormat
  readonly baseUrl: string
  readonly builtIn: boolean
  /** Equal fingerprints: the same settings, so a new configuration leaves the actor alone. */
  readonly fingerprint: string
  /** Owned by the actor; `undefined` while a built-in provider has nothing to offer. */
  readonly snapshot: SubscriptionRef.SubscriptionRef<ActorSnapshot | undefined>
  readonly command: (command: ProviderCommand) => Effect.Effect<void>
}

const fingerprint = (config: ProviderConfig): string => JSON.stringify(config)

/** What the routing table takes from a snapshot: the upstream and the models, while connected. */
type Routed = { readonly upstream: Upstream; readonly models: ReadonlyArray<string> }

const routedOf = (snapshot: ActorSnapshot | undefined): Routed | undefined =>
  snapshot?.state._tag === "Connected" && snapshot.upstream !== undefined
    ? { upstream: snapshot.upstream, models: snapshot.state.models }
    : undefined

const sameRouted = (a: Routed | undefined, b: Routed | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.upstream === b.upstream && a.models.length === b.models.length &&
    a.models.every((model, i) => model === b.models[i]))

const make = Effect.fnUntraced(function*(options: ActorOptions) {
  // Actors run with the services the layer was built with, not those of whoever calls `apply`.
  const services = yield* Effect.context<ProvidersRequirements>()
  const builtIns = Option.getOrElse(yield* Effect.serviceOption(BuiltInProviders), () => [])
  const actors = yield* FiberMap.make<ProviderId>()
  // Built-in providers' loops are supervised alike but kept apart: `actorFibers` counts the
  // configured providers' actors, a number that must follow remote.json (the leak check).
  const builtInLoops = yield* FiberMap.make<ProviderId>()
  const watchers = yield* FiberMap.make<ProviderId>()
  const events = yield* PubSub.unbounded<ProviderEvent>()
  const table = yield* Ref.make(emptyRoutingTable)
  const lock = yield* Semaphore.make(1)
  /** Every provider in configuration order, built-in ones last; replaced whole, never edited in place. */
  let members: ReadonlyMap<ProviderId, Member> = new Map()
  /** remote.json's virtual models, compiled: part of the routing table, replaced with each configuration. */
  let virtualModels: CompiledVirtualModels = noVirtualModels

  const statusOf = (member: Member): ProviderStatus | undefined => {
    const snapshot = SubscriptionRef.getUnsafe(member.snapshot)
    return snapshot === undefined
      ? undefined
      : {
        id: member.id,
        name: member.name,
        format: member.format,
        baseUrl: member.baseUrl,
        builtIn: member.builtIn,
        state: snapshot.state,
        modelStates: snapshot.modelStates
      }
  }

  const rebuildTable = Effect.suspend(() => {
    const routable: Array<RoutableProvider> = []
    for (const member of members.values()) {
      const routed = routedOf(SubscriptionRef.getUnsafe(member.snapshot))
      if (routed !== undefined) routable.push({ id: member.id, name: member.name, ...routed })
    }
    return Ref.set(table, buildRoutingTable(routable, virtualModels))
  })

  /** Follows one member's state: the routing table and the event stream, for as long as it is a member. */
  const watch = (member: Member) => {
    let logged: string | undefined
    let routed: Routed | undefined
    return SubscriptionRef.changes(member.snapshot).pipe(
      Stream.runForEach((snapshot) =>
        Effect.gen(function*() {
          // A replaced actor's last words must not overwrite its successor's.
          if (members.get(member.id) !== member) return
          // Only what routing reads rebuilds the table: a local model's state and queue change
          // with its requests, and that is the status's business, not the router's.
          const next = routedOf(snapshot)
          if (!sameRouted(routed, next)) yield* rebuildTable
          routed = next
          const status = statusOf(member)
          const event: ProviderEvent = status === undefined ? { _tag: "Removed", id: member.id } : { _tag: "StateChanged", status }
          yield* PubSub.publish(events, event)
          const state = snapshot?.state
          const line = state === undefined
            ? undefined
            : state._tag === "Error"
            ? `${state.reason}`
            : state._tag === "Connected"
            ? `connected, ${state.models.length} models`
            : stateName(state)
          if (state === undefined || line === logged) return
          logged = line
          const log = state._tag === "Error" ? Effect.logWarning : state._tag === "Connected" ? Effect.logInfo : Effect.logDebug
          yield* log(`provider ${member.id}: ${line}`).pipe(Effect.annotateLogs({ provider: member.id, state: stateName(state) }))
        })
      )
    )
  }

  /** An actor's loop, restarted whenever it dies of a defect: the provider comes back without a restart of the gateway. */
  const supervised = (id: ProviderId, run: Effect.Effect<void, never, ProvidersRequirements>) =>
    run.pipe(
      Effect.sandbox,
      Effect.tapError((cause) =>
        Effect.logError(`provider ${id}: its actor died, restarting it`, Cause.squash(cause)).pipe(Effect.annotateLogs({ provider: id }))
      ),
      Effect.retry(options.restartSchedule),
      Effect.ignore,
      Effect.provideContext(services)
    )

  const start = (member: Member, run: Effect.Effect<void, never, ProvidersRequirements>) =>
    Effect.andThen(
      FiberMap.run(member.builtIn ? builtInLoops : actors, member.id, supervised(member.id, run)),
      FiberMap.run(watchers, member.id, watch(member))
    )

  const stop = (id: ProviderId) => Effect.andThen(FiberMap.remove(actors, id), FiberMap.remove(watchers, id))

  const builtInMembers = builtIns.map((provider): Member => ({
    id: provider.id,
    name: provider.name,
    format: provider.format,
    baseUrl: provider.baseUrl,
    builtIn: true,
    fingerprint: "built-in",
    snapshot: provider.snapshot,
    command: provider.command
  }))
  members = new Map(builtInMembers.map((member) => [member.id, member]))
  for (const [i, member] of builtInMembers.entries()) yield* start(member, builtIns[i]!.run)

  const apply = (config: RemoteConfig) =>
    lock.withPermits(1)(Effect.gen(function*() {
      const next = new Map<ProviderId, Member>()
      const started: Array<readonly [Member, Effect.Effect<void, never, ProvidersRequirements>]> = []
      for (const provider of config.providers) {
        if (builtIns.some((builtIn) => builtIn.id === provider.id)) {
          yield* Effect.logWarning(`provider id ${provider.id} is reserved for a built-in provider: rename the configured one`)
          continue
        }
        const existing = members.get(provider.id)
        if (existing !== undefined && existing.fingerprint === fingerprint(provider)) {
          next.set(provider.id, existing)
          continue
        }
        const actor = yield* makeProviderActor(provider, options)
        const member: Member = {
          id: provider.id,
          name: provider.name,
          format: provider.format,
          baseUrl: baseUrl(provider),
          builtIn: false,
          fingerprint: fingerprint(provider),
          snapshot: actor.snapshot as SubscriptionRef.SubscriptionRef<ActorSnapshot | undefined>,
          command: (command) => Queue.offer(actor.commands, command).pipe(Effect.asVoid)
        }
        next.set(provider.id, member)
        started.push([member, actor.run])
      }
      for (const member of builtInMembers) next.set(member.id, member)
      const previous = members
      members = next
      // An unchanged list keeps its compiled form (and the balancers' running weights).
      if (JSON.stringify(config.virtualModels ?? []) !== JSON.stringify(virtualModels.source)) {
        virtualModels = compileVirtualModels(config.virtualModels)
      }
      for (const id of previous.keys()) {
        if (next.has(id)) continue
        yield* stop(id)
        yield* PubSub.publish(events, { _tag: "Removed", id })
      }
      // `FiberMap.run` replaces (interrupts) a changed provider's old actor under the same key.
      for (const [member, run] of started) yield* start(member, run)
      yield* rebuildTable
      for (const builtIn of builtIns) yield* builtIn.configure(config)
    }))

  const find = (id: string) =>
    Effect.suspend(() => {
      const member = members.get(id as ProviderId)
      const status = member && statusOf(member)
      return member !== undefined && status !== undefined ? Effect.succeed({ member, status }) : Effect.fail(new ProviderNotFound({ id }))
    })

  return Providers.of({
    list: Effect.sync(() => Array.from(members.values()).flatMap((member) => statusOf(member) ?? [])),
    get: (id) => Effect.map(find(id), (found) => found.status),
    routingTable: Ref.get(table),
    apply,
    reconnect: (id) => Effect.flatMap(find(id), (found) => found.member.command("connect")),
    disconnect: (id) => Effect.flatMap(find(id), (found) => found.member.command("disconnect")),
    changes: Stream.fromPubSub(events),
    actorFibers: FiberMap.size(actors),
    changesAfter: <A, E, R>(snapshot: Effect.Effect<A, E, R>) =>
      Stream.unwrap(Effect.gen(function*() {
        const subscription = yield* PubSub.subscribe(events)
        const value = yield* snapshot
        return Stream.concat(Stream.succeed<SnapshotOr<A>>({ _tag: "Snapshot", value }), Stream.fromSubscription(subscription))
      }))
  })
})

/** The dependencies of the supervisor's actors. */
export type ProvidersRequirements = SecretStore | HttpClient.HttpClient
