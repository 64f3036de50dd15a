/**
 * MLX models on Apple Silicon, through `mlx_lm.server` (the `mlx-lm` Python package): one child
 * server per loaded model, on a free loopback port, spoken to as an OpenAI-compatible upstream
 * through the same `HttpUpstream` as a remote OpenAI provider.
 *
 * Supervision: a model's server starts on its first request and is ready once `GET /v1/models`
 * answers; if it later dies, it is restarted on a backoff schedule (requests meanwhile wait for it
 * to be ready again); unloading (idle timeout, shutdown) stops it. A server that never becomes
 * ready fails the load with the end of its output, which usually says why (missing weights,
 * unsupported architecture).
 *
 * Processes go through Effect's `ChildProcessSpawner`, so tests run a fake server instead.
 */
import { Deferred, Duration, Effect, Fiber, Option, Redacted, Ref, Schedule, Stream } from "effect"
import { HttpClient } from "effect/http"
import { ChildProcess, ChildProcessSpawner } from "effect/process"
import { existsSync, readdirSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import type { Request, StreamEvent } from "../formats/Canonical.ts"
import * as HttpUpstream from "../providers/HttpUpstream.ts"
import { untracked } from "../providers/Upstream.ts"
import type { UpstreamAuth } from "../providers/UpstreamAuth.ts"
import { GenerationFailed, type LoadedModel, type LocalEngine, ModelLoadFailed, type ModelSource } from "./LocalEngine.ts"
import { toTurns } from "./LocalRequest.ts"

/** The longest silence of a generating server before the answer is given up (a large model's first token can take a while). */
const GENERATION_IDLE_SECONDS = 600

/** The child server takes no credentials. */
const noAuth: UpstreamAuth = { headers: Redacted.make({}), secrets: Redacted.make([]) }

/** The server `pip install mlx-lm` puts on the PATH. */
export const SERVER_COMMAND = "mlx_lm.server"

export interface MlxOptions {
  /** How long a starting server may take to answer (loading weights can take a while). */
  readonly startTimeout?: Duration.Input
  /** Delays between restarts of a server that died after it had been ready. */
  readonly restartSchedule?: Schedule.Schedule<unknown, unknown>
  /** How often a starting server is asked whether it is ready. */
  readonly healthInterval?: Duration.Input
}

/** Exponential from 1 s, jittered, capped at 30 s: a crash loop costs little, a one-off crash is quickly healed. */
export const defaultRestartSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("1 second", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(30))))
)

/** A model folder as `mlx_lm` writes it (`mlx_lm.convert`, Hugging Face `mlx-community/*`): a config and safetensors weights. */
export const isMlxModelDir = (path: string): boolean => {
  try {
    return existsSync(join(path, "config.json")) && readdirSync(path).some((name) => name.endsWith(".safetensors"))
  } catch {
    return false
  }
}

const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The last lines a process printed, for the error that says why it did not start. */
const tail = (text: string) => text.trim().split("\n").slice(-5).join("\n")

export const make = Effect.fnUntraced(function*(options: MlxOptions = {}) {
  const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
  const client = yield* HttpClient.HttpClient
  const scope = yield* Effect.scope
  const startTimeout = Duration.fromInputUnsafe(options.startTimeout ?? Duration.minutes(5))
  const healthInterval = options.healthInterval ?? Duration.millis(250)
  const restartSchedule = options.restartSchedule ?? defaultRestartSchedule

  const healthy = (base: string) =>
    client.get(`${base}/models`).pipe(
      Effect.flatMap((response) => response.status < 500 ? Effect.void : Effect.fail("starting")),
      // Until it answers: the caller bounds the wait and races it with the process exiting.
      Effect.retry(Schedule.spaced(healthInterval)),
      Effect.orDie
    )

  /**
   * One run of the server: spawn, wait until it answers, signal `ready`, then wait for its exit.
   * Fails with the reason when the process ends (before or after it was ready).
   */
  const runOnce = (source: ModelSource, port: number, ready: Deferred.Deferred<void, string>) =>
    Effect.scoped(Effect.gen(function*() {
      const output = yield* Ref.make("")
      const handle = yield* spawner.spawn(ChildProcess.make(SERVER_COMMAND, ["--model", source.path, "--host", "127.0.0.1", "--port", String(port)], {
        extendEnv: true,
        forceKillAfter: Duration.seconds(5)
      })).pipe(Effect.mapError((error) => `cannot start ${SERVER_COMMAND}: ${error.message}`))
      // Read the output as it comes: a full pipe would block the server.
      yield* handle.all.pipe(
        Stream.decodeText,
        Stream.runForEach((text) => Ref.update(output, (all) => (all + text).slice(-4000))),
        Effect.ignore,
        Effect.forkScoped
      )
      const exited = handle.exitCode.pipe(
        Effect.flatMap((code) => Effect.map(Ref.get(output), (out) => `${SERVER_COMMAND} exited with code ${code}${out.trim() ? `: ${tail(out)}` : ""}`)),
        Effect.catch((error) => Effect.succeed(`${SERVER_COMMAND} failed: ${error.message}`))
      )
      const base = `http://127.0.0.1:${port}/v1`
      const started = yield* Effect.raceFirst(
        Effect.as(healthy(base), Option.none<string>()),
        Effect.map(exited, Option.some)
      ).pipe(
        Effect.timeoutOrElse({
          duration: startTimeout,
          orElse: () => Effect.succeed(Option.some(`${SERVER_COMMAND} did not answer within ${Duration.format(startTimeout)}`))
        })
      )
      if (Option.isSome(started)) return yield* Effect.fail(started.value)
      yield* Deferred.succeed(ready, undefined)
      return yield* Effect.flip(exited)
    }))

  const load = (source: ModelSource) =>
    Effect.gen(function*() {
      const port = yield* freePort
      const base = `http://127.0.0.1:${port}/v1`
      const firstReady = yield* Deferred.make<void, string>()
      // Requests wait on the current run's readiness: a restarting server is waited for, not failed.
      const readiness = yield* Ref.make(firstReady)
      const supervisor = Effect.gen(function*() {
        const first = yield* Effect.flip(runOnce(source, port, firstReady))
        // Never ready: the load fails with the reason; a crash after readiness is restarted.
        if (!(yield* Deferred.isDone(firstReady))) return yield* Deferred.fail(firstReady, first)
        yield* Effect.logWarning(`local model ${source.id}: ${first}; restarting`)
        yield* Effect.gen(function*() {
          const ready = yield* Deferred.make<void, string>()
          yield* Ref.set(readiness, ready)
          const reason = yield* Effect.flip(runOnce(source, port, ready))
          yield* Effect.logWarning(`local model ${source.id}: ${reason}; restarting`)
          return yield* Effect.fail(reason)
        }).pipe(Effect.retry(restartSchedule))
      })
      const fiber = yield* Effect.forkIn(supervisor, scope)
      yield* Deferred.await(firstReady).pipe(
        Effect.onInterrupt(() => Fiber.interrupt(fiber)),
        Effect.mapError((reason) => new ModelLoadFailed({ model: source.id, reason }))
      )

      const failed = (reason: string) => new GenerationFailed({ model: source.id, reason })
      // The child server is an OpenAI-compatible upstream like any remote one: the same code calls it.
      const upstream = HttpUpstream.make({ format: "openai", baseUrl: base, name: SERVER_COMMAND, timeoutSeconds: GENERATION_IDLE_SECONDS, auth: noAuth, health: untracked }, client)
      const generate = (request: Request): Stream.Stream<StreamEvent, GenerationFailed> =>
        Stream.unwrap(Effect.gen(function*() {
          yield* Effect.mapError(toTurns(request), (error) => failed(error.message))
          yield* Deferred.await(yield* Ref.get(readiness)).pipe(Effect.mapError(failed))
          const answer = yield* upstream.generate({ ...request, model: source.path, stream: true, includeUsage: true }).pipe(
            Effect.mapError((error) => failed(error.message))
          )
          if (answer._tag === "Complete") return Stream.fail(failed(`${SERVER_COMMAND} answered a streaming request with a complete response`))
          // The server names the model by its path; callers know it by its id.
          return answer.events.pipe(Stream.map((event): StreamEvent => event._tag === "Start" ? { ...event, model: source.id } : event))
        }))
      // The server applies its own default limit (`--max-tokens`) to a request without one.
      return { generate, contextTokens: undefined, unload: Fiber.interrupt(fiber) } satisfies LoadedModel
    })

  return {
    name: "mlx",
    claims: (entry) => entry.isDirectory && isMlxModelDir(entry.path) ? entry.name : undefined,
    load
  } satisfies LocalEngine
})
