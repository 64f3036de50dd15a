/**
 * One provider as an actor: a fiber that owns the provider's connection state and walks the
 * state machine of `ProviderState.ts`. It reports every state change (and the auth it resolved)
 * through `report`; it never touches another provider, so one provider's failure stays its own.
 */
import { Duration, Effect, Option, Queue, Redacted, Result, Schedule } from "effect"
import type { ProviderConfig } from "../config/RemoteConfig.ts"
import { discoverModels } from "./ModelDiscovery.ts"
import { ProviderState } from "./ProviderState.ts"
import { resolveAuth, type UpstreamAuth } from "./UpstreamAuth.ts"
import { UpstreamError } from "./UpstreamError.ts"

/** What a user (CLI, API, UI) can ask of a provider. */
export type ProviderCommand = "connect" | "disconnect"

export interface ActorOptions {
  /** How often a connected provider's model list is refreshed. */
  readonly refreshInterval: Duration.Duration
  /** How often a provider refused for its credentials checks whether they were changed. */
  readonly secretPollInterval: Duration.Duration
  /** Delays between failed connection attempts. */
  readonly retrySchedule: Schedule.Schedule<unknown, UpstreamError>
}

/** 1 s, 2 s, 4 s … capped at 60 s, each ±20 % so many providers failing together don't retry in step. */
export const defaultRetrySchedule: Schedule.Schedule<unknown, UpstreamError> = Schedule.exponential("1 second", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(60))))
)

export const defaultActorOptions: ActorOptions = {
  refreshInterval: Duration.minutes(10),
  secretPollInterval: Duration.seconds(30),
  retrySchedule: defaultRetrySchedule
}

export type Report = (state: ProviderState, auth: Option.Option<UpstreamAuth>) => Effect.Effect<void>

const sameSecrets = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((value, i) => value === b[i])

type Phase = "disconnected" | "connect" | "refresh" | "connected" | "stuck"

type ConnectOutcome =
  | Result.Result<{ readonly auth: UpstreamAuth; readonly models: ReadonlyArray<string> }, UpstreamError>
  | { readonly _tag: "Command"; readonly command: ProviderCommand }

/**
 * Runs forever (until interrupted by the supervisor, e.g. on a config change or shutdown).
 */
export const runProviderActor = Effect.fnUntraced(function*(
  config: ProviderConfig,
  commands: Queue.Dequeue<ProviderCommand>,
  report: Report,
  options: ActorOptions
) {
  if (!config.enabled) {
    yield* report(ProviderState.Disabled(), Option.none())
    return yield* Effect.never
  }

  const now = Effect.clockWith((clock) => clock.currentTimeMillis)

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

  /** One discovery, retried while retrying can help. `quiet`: a refresh keeps showing `connected`. */
  const connect = (quiet: boolean) => {
    let attempt = 0
    const once = Effect.gen(function*() {
      attempt++
      if (!(quiet && attempt === 1)) yield* report(ProviderState.Connecting({ attempt }), Option.none())
      const auth = yield* resolveAuth(config).pipe(
        Effect.catchTags({
          // No upstream call happens without the secret, so retrying only re-reads the store:
          // cheap, and it picks up `switchboard secrets set` without a restart.
          MissingSecret: (e) => Effect.fail(new UpstreamError({ message: e.message, retryable: true })),
          SecretStoreError: (e) => Effect.fail(new UpstreamError({ message: e.message, retryable: true }))
        })
      )
      lastSecrets = Redacted.value(auth.secrets)
      const models = yield* discoverModels(config, auth)
      return { auth, models }
    }).pipe(
      Effect.tapError((error) =>
        Effect.flatMap(now, (at) =>
          report(ProviderState.Error({ reason: error.message, retrying: error.retryable, attempt, at }), Option.none())
        )
      )
    )
    return once.pipe(Effect.retry({ schedule: options.retrySchedule, while: (error) => error.retryable }))
  }

  let phase: Phase = config.autoConnect ? "connect" : "disconnected"
  for (;;) {
    const nextCommand = Queue.take(commands)
    const current = phase as Phase
    switch (current) {
      case "disconnected": {
        yield* report(ProviderState.Disconnected(), Option.none())
        phase = (yield* nextCommand) === "connect" ? "connect" : "disconnected"
        break
      }
      case "connect":
      case "refresh": {
        const outcome: ConnectOutcome = yield* Effect.raceFirst(
          connect(current === "refresh").pipe(Effect.result),
          Effect.map(nextCommand, (command) => ({ _tag: "Command" as const, command }))
        )
        if (outcome._tag === "Command") {
          phase = outcome.command === "connect" ? "connect" : "disconnected"
        } else if (outcome._tag === "Success") {
          const at = yield* now
          yield* report(ProviderState.Connected({ models: outcome.success.models, at }), Option.some(outcome.success.auth))
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
        phase = wake === "refresh" ? "refresh" : wake === "connect" ? "connect" : "disconnected"
        break
      }
      case "stuck": {
        phase = (yield* Effect.raceFirst(nextCommand, secretsChanged)) === "connect" ? "connect" : "disconnected"
        break
      }
    }
  }
})
