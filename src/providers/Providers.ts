/**
 * The supervisor of provider actors. Each provider runs as its own fiber in a `FiberMap` keyed by
 * provider id; applying a configuration starts new providers, restarts changed ones, stops
 * removed ones and leaves the rest alone (a healthy provider is never disturbed by an edit to
 * another). Closing the layer's scope interrupts every actor.
 *
 * State changes are published on a PubSub (status endpoint, UI, logs) and folded into the
 * routing table the router reads on every request.
 */
import { Context, Effect, FiberMap, Layer, Option, PubSub, Queue, Ref, Schema, Semaphore, Stream } from "effect"
import type { HttpClient } from "effect/http"
import { baseUrl, type ProviderConfig, type ProviderId, type RemoteConfig } from "../config/RemoteConfig.ts"
import { LOCAL_PROVIDER_ID, localProviderStatus, localRoutable } from "../local/LocalProvider.ts"
import { LocalModels } from "../local/LocalModels.ts"
import { buildRoutingTable, emptyRoutingTable, type RoutableProvider, type RouteFormat, type RoutingTable } from "../router/RoutingTable.ts"
import type { SecretStore } from "../secrets/SecretStore.ts"
import { type ActorOptions, defaultActorOptions, type ProviderCommand, runProviderActor } from "./ProviderActor.ts"
import { ProviderState, stateName } from "./ProviderState.ts"
import type { UpstreamAuth } from "./UpstreamAuth.ts"

/** What the outside world may see of a provider: never its secrets. */
export interface ProviderStatus {
  readonly id: ProviderId
  readonly name: string
  /** `local` for the models of this machine (`src/local/LocalProvider.ts`). */
  readonly format: RouteFormat
  readonly baseUrl: string
  readonly state: ProviderState
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

interface Entry {
  readonly config: ProviderConfig
  readonly fingerprint: string
  readonly commands: Queue.Queue<ProviderCommand>
  state: ProviderState
  auth: Option.Option<UpstreamAuth>
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

const fingerprint = (config: ProviderConfig): string => JSON.stringify(config)

const make = Effect.fnUntraced(function*(options: ActorOptions) {
  // Actors run with the services the layer was built with, not those of whoever calls `apply`.
  const services = yield* Effect.context<ProvidersRequirements>()
  const fibers = yield* FiberMap.make<ProviderId>()
  const events = yield* PubSub.unbounded<ProviderEvent>()
  const table = yield* Ref.make(emptyRoutingTable)
  const lock = yield* Semaphore.make(1)
  // Insertion order is configuration order; only touched under `lock` or by an actor's own report.
  const entries = new Map<ProviderId, Entry>()
  // The local models, when the gateway was given them: one more provider, listed last.
  const local = yield* Effect.serviceOption(LocalModels)
  let localStatus: ProviderStatus | undefined

  const statusOf = (entry: Entry): ProviderStatus => ({
    id: entry.config.id,
    name: entry.config.name,
    format: entry.config.format,
    baseUrl: baseUrl(entry.config),
    state: entry.state
  })

  const rebuildTable = Effect.suspend(() => Ref.set(
    table,
    buildRoutingTable(
      Array.from(entries.values()).flatMap((entry): ReadonlyArray<RoutableProvider> =>
        entry.state._tag === "Connected" && Option.isSome(entry.auth)
          ? [{
            id: entry.config.id,
            name: entry.config.name,
            format: entry.config.format,
            baseUrl: baseUrl(entry.config),
            host: entry.config.host,
            timeoutSeconds: entry.config.timeoutSeconds,
            auth: entry.auth.value,
            models: entry.state.models
          }]
          : []
      ).concat(localStatus?.state._tag === "Connected" ? [localRoutable(localStatus.state.models)] : [])
    )
  ))

  const reporterFor = (entry: Entry) => (state: ProviderState, auth: Option.Option<UpstreamAuth>) =>
    Effect.gen(function*() {
      // A report from an actor that was already replaced must not clobber its successor.
      if (entries.get(entry.config.id) !== entry) return
      const wasRoutable = entry.state._tag === "Connected"
      entry.state = state
      entry.auth = auth
      if (wasRoutable || state._tag === "Connected") yield* rebuildTable
      yield* PubSub.publish(events, { _tag: "StateChanged", status: statusOf(entry) })
      const annotations = { provider: entry.config.id, state: stateName(state) }
      if (state._tag === "Error") yield* Effect.logWarning(`provider ${entry.config.id}: ${state.reason}`).pipe(Effect.annotateLogs(annotations))
      else if (state._tag === "Connected") yield* Effect.logInfo(`provider ${entry.config.id}: connected, ${state.models.length} models`).pipe(Effect.annotateLogs(annotations))
      else yield* Effect.logDebug(`provider ${entry.config.id}: ${stateName(state)}`).pipe(Effect.annotateLogs(annotations))
    })

  const start = Effect.fnUntraced(function*(config: ProviderConfig) {
    const commands = yield* Queue.unbounded<ProviderCommand>()
    const entry: Entry = { config, fingerprint: fingerprint(config), commands, state: ProviderState.Connecting({ attempt: 0 }), auth: Option.none() }
    entries.set(config.id, entry)
    yield* FiberMap.run(fibers, config.id, runProviderActor(config, commands, reporterFor(entry), options).pipe(Effect.provideContext(services)))
  })

  const stop = Effect.fnUntraced(function*(id: ProviderId) {
    entries.delete(id)
    yield* FiberMap.remove(fibers, id)
  })

  const apply = (config: RemoteConfig) =>
    lock.withPermits(1)(Effect.gen(function*() {
      const wanted = new Map(config.providers.map((p) => [p.id, p] as const))
      for (const id of Array.from(entries.keys())) {
        if (!wanted.has(id)) {
          yield* stop(id)
          yield* PubSub.publish(events, { _tag: "Removed", id })
        }
      }
      // Rebuild the map in configuration order, starting new or changed providers.
      const previous = new Map(entries)
      entries.clear()
      for (const provider of config.providers) {
        const existing = previous.get(provider.id)
        if (existing && existing.fingerprint === fingerprint(provider)) {
          entries.set(provider.id, existing)
        } else {
          if (existing) yield* FiberMap.remove(fibers, provider.id)
          yield* start(provider)
        }
      }
      if (wanted.has(LOCAL_PROVIDER_ID) && Option.isSome(local)) {
        yield* Effect.logWarning(`provider id ${LOCAL_PROVIDER_ID} is reserved for the local models: rename the remote provider`)
      }
      yield* rebuildTable
      if (Option.isSome(local)) yield* local.value.configure(config.local)
    }))

  if (Option.isSome(local)) {
    yield* local.value.changes.pipe(
      Stream.runForEach((status) =>
        Effect.gen(function*() {
          const previous = localStatus
          localStatus = localProviderStatus(status)
          if (JSON.stringify(previous) === JSON.stringify(localStatus)) return
          yield* rebuildTable
          const event: ProviderEvent = localStatus ? { _tag: "StateChanged", status: localStatus } : { _tag: "Removed", id: LOCAL_PROVIDER_ID }
          yield* PubSub.publish(events, event)
        })
      ),
      Effect.forkScoped
    )
  }

  const find = (id: string) =>
    Effect.suspend(() => {
      const entry = entries.get(id as ProviderId)
      return entry ? Effect.succeed(entry) : Effect.fail(new ProviderNotFound({ id }))
    })

  return Providers.of({
    list: Effect.sync(() => [...Array.from(entries.values(), statusOf), ...(localStatus ? [localStatus] : [])]),
    get: (id) => id === LOCAL_PROVIDER_ID && localStatus ? Effect.succeed(localStatus) : Effect.map(find(id), statusOf),
    routingTable: Ref.get(table),
    apply,
    // For the local models, "reconnect" looks for model files again; there is nothing to disconnect.
    reconnect: (id) =>
      id === LOCAL_PROVIDER_ID && localStatus && Option.isSome(local)
        ? local.value.rescan
        : Effect.flatMap(find(id), (entry) => Queue.offer(entry.commands, "connect")).pipe(Effect.asVoid),
    disconnect: (id) =>
      id === LOCAL_PROVIDER_ID && localStatus
        ? Effect.void
        : Effect.flatMap(find(id), (entry) => Queue.offer(entry.commands, "disconnect")).pipe(Effect.asVoid),
    changes: Stream.fromPubSub(events),
    actorFibers: FiberMap.size(fibers),
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
