/**
 * One provider as an actor: it owns the provider's state (a `SubscriptionRef` the supervisor only
 * reads) and walks the pure state machine of `ProviderState.ts`, feeding it what it asks and finds
 * (`transition`); a signal the machine refuses is logged and changes nothing. While connected its
 * snapshot holds the `Upstream` that serves the provider's models. It never touches another
 * provider, so one provider's failure stays its own; a defect ends only its loop, which the
 * supervisor restarts (`Providers.ts`), from the state the actor owns.
 */
import { Duration, Effect, Option, Queue, Redacted, Result, Schedule, SubscriptionRef } from "effect"
import { HttpClient } from "effect/http"
import { baseUrl, type ProviderConfig } from "../config/RemoteConfig.ts"
import type { SecretStore } from "../secrets/SecretStore.ts"
import * as HttpUpstream from "./HttpUpstream.ts"
import { discoverModelInfo } from "./ModelDiscovery.ts"
import { initialState, ProviderSignal, type ProviderState, transition } from "./ProviderState.ts"
import type { ModelInfo, RequestHealth, Upstream } from "./Upstream.ts"
import { resolveAuth, type UpstreamAuth } from "./UpstreamAuth.ts"
import { UpstreamError } from "./UpstreamError.ts"

/**
 * What a user (CLI, API, UI) can ask of a provider — `connect`, `disconnect` — and `recheck`,
 * sent by the provider's own requests when several in a row could not reach it: discovery is run
 * again at once instead of at the next refresh.
 */
export type ProviderCommand = "connect" | "disconnect" | "recheck"

/** Requests in a row that could not reach a connected provider before it is checked again (and shown in error meanwhile). */
export const UNREACHABLE_IN_A_ROW = 3

export interface ActorOptions {
  /** How often a connected provider's model list is refreshed. */
  readonly refreshInterval: Duration.Duration
  /** How often a provider refused for its credentials checks whether they were changed. */
  readonly secretPollInterval: Duration.Duration
  /** Delays between failed connection attempts. */
  readonly retrySchedule: Schedule.Schedule<unknown, UpstreamError>
  /** Delays between restarts of an actor that died of a defect (a bug, not a provider failure). */
  readonly restartSchedule: Schedule.Schedule<unknown, unknown>
}

/** 1 s, 2 s, 4 s … capped at 60 s, each ±20 % so many providers failing together don't retry in step. */
export const defaultRetrySchedule: Schedule.Schedule<unknown, UpstreamError> = Schedule.exponential("1 second", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(60))))
)

/** 100 ms, 200 ms … capped at 30 s, jittered: a one-off defect heals at once, a crash loop costs little. */
export const defaultRestartSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("100 millis", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(30))))
)

export const defaultActorOptions: ActorOptions = {
  refreshInterval: Duration.minutes(10),
  secretPollInterval: Duration.seconds(30),
  retrySchedule: defaultRetrySchedule,
  restartSchedule: defaultRestartSchedule
}

/** What an actor shows: its state and, while connected, the upstream serving its models. */
export interface ActorSnapshot {
  readonly state: ProviderState
  readonly upstream: Upstream | undefined
  /** Per-model detail for providers that have one (a local engine: loaded, queue), else undefined. */
  readonly modelStates?: ReadonlyArray<ModelState> | undefined
}

/** One model's state, where a provider knows it (local engines). */
export interface ModelState {
  readonly id: string
  /** What runs it (`llama.cpp`, `mlx`), or null when nothing can. */
  readonly engine: string | null
  readonly state: string
  readonly error: string | null
  readonly running: number
  readonly waiting: number
}

export interface ProviderActor {
  /** Owned by the actor: only its loop writes it. */
  readonly snapshot: SubscriptionRef.SubscriptionRef<ActorSnapshot>
  readonly commands: Queue.Queue<ProviderCommand>
  /**
   * The actor's loop: runs until interrupted (config change, shutdown). Run again after a defect,
   * it goes on from the state it owns (reconnecting unless disabled or disconnected).
   */
  readonly run: Effect.Effect<void, never, SecretStore | HttpClient.HttpClient>
}

const sameSecrets = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((value, i) => value === b[i])

type Phase = "disconnected" | "connect" | "refresh" | "connected" | "stuck"

type ConnectOutcome =
  | Result.Result<{ readonly auth: UpstreamAuth; readonly models: ReadonlyArray<ModelInfo> }, UpstreamError>
  | { readonly _tag: "Command"; readonly command: ProviderCommand }

export const makeProviderActor = Effect.fnUntraced(function*(config: ProviderConfig, options: ActorOptions) {
  const snapshot = yield* SubscriptionRef.make<ActorSnapshot>({ state: initialState(config), upstream: undefined })
  const commands = yield* Queue.unbounded<ProviderCommand>()
  return { snapshot, commands, run: runActor(config, snapshot, commands, options) } satisfies ProviderActor
})

const runActor = Effect.fnUntraced(function*(
  config: ProviderConfig,
  snapshot: SubscriptionRef.SubscriptionRef<ActorSnapshot>,
  commands: Queue.Queue<ProviderCommand>,
  options: ActorOptions
) {
  const initial = (yield* SubscriptionRef.get(snapshot)).state
  if (initial._tag === "Disabled") return yield* Effect.never

  const client = yield* HttpClient.HttpClient
  const now = Effect.clockWith((clock) => clock.currentTimeMillis)
  const name = `${config.id} (${config.host})`

  /** Requests' word on the provider: after `UNREACHABLE_IN_A_ROW` failures in a row, it is checked again. */
  let unreachableInARow = 0
  const health: RequestHealth = {
    reached: () => {
      unreachableInARow = 0
    },
    unreachable: () => {
      if (++unreachableInARow === UNREACHABLE_IN_A_ROW) Queue.offerUnsafe(commands, "recheck")
    }
  }

  /** Feeds the state machine; a refused signal is logged and changes nothing. */
  const fire = (signal: ProviderSignal, upstream?: Upstream) =>
    SubscriptionRef.modify(snapshot, (current): readonly [Result.Result<ProviderState, unknown>, ActorSnapshot] => {
      const next = transition(current.state, signal)
      if (Result.isFailure(next)) return [next, current]
      return [next, { state: next.success, upstream: next.success._tag === "Connected" ? upstream ?? current.upstream : undefined }]
    }).pipe(
      Effect.flatMap((result) =>
        Result.isFailure(result)
          ? Effect.logWarning(`provider ${config.id}: ${String((result.failure as Error).message)}`).pipe(Effect.annotateLogs({ provider: config.id }))
          : Effect.void
      )
    )
  /** The secrets of the last attempt: an auth failure is retried once they change. */
  let lastSecrets: ReadonlyArray<string> = []

  /** Resolves when the provider's stored secrets differ from those that were refused. */
  const secretsChanged = Effect.gen(function*() {
    for (;;) {
      yield* Effect.sleep(options.secretPollInterval)
      const current = yield* resolveAuth(config).pipe(Effect.option)
      if (Option.isSome(current) && !sameSecrets(Redacted.value(current.value.secrets), lastSecrets)) return "connect" as const
    }
  })

  /** One discovery, retried while retrying can help; a refresh keeps showing `connected` until it fails. */
  const connect = () => {
    let attempt = 0
    const once = Effect.gen(function*() {
      attempt++
      // The first attempt was announced by whoever asked for it (Connect); a quiet refresh shows none.
      if (attempt > 1) yield* fire(ProviderSignal.Attempt())
      const auth = yield* resolveAuth(config).pipe(
        Effect.catchTags({
          // No upstream call happens without the secret, so retrying only re-reads the store:
          // cheap, and it picks up `switchboard secrets set` without a restart.
          MissingSecret: (e) => Effect.fail(new UpstreamError({ message: e.message, retryable: true })),
          SecretStoreError: (e) => Effect.fail(new UpstreamError({ message: e.message, retryable: true }))
        })
      )
      lastSecrets = Redacted.value(auth.secrets)
      const models = yield* discoverModelInfo(config, auth)
      return { auth, models }
    }).pipe(
      Effect.tapError((error) => Effect.flatMap(now, (at) => fire(ProviderSignal.Failed({ reason: error.message, retrying: error.retryable, at }))))
    )
    return once.pipe(Effect.retry({ schedule: options.retrySchedule, while: (error) => error.retryable }))
  }

  let phase: Phase = initial._tag === "Disconnected" ? "disconnected" : "connect"
  // Restarted after a defect mid-way: a fresh connection, announced.
  if (phase === "connect" && initial._tag !== "Connecting") yield* fire(ProviderSignal.Connect())
  for (;;) {
    const current = phase as Phase
    // `recheck` means something only to a connected provider; elsewhere it is dropped.
    const nextCommand: Effect.Effect<ProviderCommand> = current === "connected"
      ? Queue.take(commands)
      : Effect.repeat(Queue.take(commands), { until: (command) => command !== "recheck" })
    switch (current) {
      case "disconnected": {
        yield* fire(ProviderSignal.Disconnect())
        phase = (yield* nextCommand) === "connect" ? "connect" : "disconnected"
        if (phase === "connect") yield* fire(ProviderSignal.Connect())
        break
      }
      case "connect":
      case "refresh": {
        const outcome: ConnectOutcome = yield* Effect.raceFirst(
          connect().pipe(Effect.result),
          Effect.map(nextCommand, (command) => ({ _tag: "Command" as const, command }))
        )
        if (outcome._tag === "Command") {
          phase = outcome.command === "connect" ? "connect" : "disconnected"
          if (phase === "connect") yield* fire(ProviderSignal.Connect())
        } else if (outcome._tag === "Success") {
          const at = yield* now
          unreachableInARow = 0
          const upstream = HttpUpstream.make({
            format: config.format,
            baseUrl: baseUrl(config),
            name,
            timeoutSeconds: config.timeoutSeconds,
            auth: outcome.success.auth,
            health
          }, client, outcome.success.models)
          yield* fire(ProviderSignal.Discovered({ models: outcome.success.models.map((model) => model.id), at }), upstream)
          phase = "connected"
        } else {
          // Not retryable (auth failure, missing secret): the error state stays until asked again.
          phase = "stuck"
        }
        break
      }
      case "connected": {
        const wake = yield* Effect.raceFirst(
          Effect.as(Effect.sleep(options.refreshInterval), "refresh" as const),
          nextCommand
        )
        if (wake === "recheck") {
          // Requests keep failing while discovery said all was well: it is asked again now, quietly.
          // Reachable after all (a slow model, say): it stays connected. Not reachable: it shows
          // `error` and is retried on the schedule, so the card does not stay green while every
          // request fails.
          phase = "refresh"
          break
        }
        phase = wake === "refresh" ? "refresh" : wake === "connect" ? "connect" : "disconnected"
        if (phase === "connect") yield* fire(ProviderSignal.Connect())
        break
      }
      case "stuck": {
        phase = (yield* Effect.raceFirst(nextCommand, secretsChanged)) === "connect" ? "connect" : "disconnected"
        if (phase === "connect") yield* fire(ProviderSignal.Connect())
        break
      }
    }
  }
})
