/**
 * The models of this machine as one provider, `local` ("Local"), beside the remote ones: a
 * built-in provider (`BuiltInProviders`) whose state follows `LocalModels` — listed while an
 * engine runs and there is somewhere to look for models, connected with the models found, each
 * model's state (unloaded, loading, loaded, error; its queue) shown with it — and whose `Upstream`
 * answers canonical requests with the engine that serves the model. The router, the HTTP layer and
 * the supervisor see an ordinary provider.
 *
 * Before any byte is sent the model is loaded and its queue checked, so a missing or corrupt model
 * or a full queue is an HTTP error in the caller's format (500, 503) rather than a broken stream.
 * `x-switchboard-queue-position` tells how many requests were ahead (0: served at once). The
 * client going away interrupts the answer's stream, which aborts the generation and frees the queue.
 */
import { Effect, Layer, Stream, SubscriptionRef } from "effect"
import { LOCAL_PROVIDER_ID, LOCAL_PROVIDER_NAME } from "./LocalProviderId.ts"
import { type Request, streamError, type StreamError } from "../formats/Canonical.ts"
import { inRequestTerms } from "../formats/FieldPath.ts"
import { BuiltInProviders } from "../providers/BuiltInProviders.ts"
import type { ActorSnapshot } from "../providers/ProviderActor.ts"
import { ProviderState } from "../providers/ProviderState.ts"
import { type Answer, GenerateError, type Upstream } from "../providers/Upstream.ts"
import { collectResponse } from "./CollectResponse.ts"
import { type LocalModelError, LocalModels, type LocalStatus } from "./LocalModels.ts"
import { toTurns } from "./LocalRequest.ts"


/** A local model's failure before its answer started, as the status the caller gets. */
const refusal = (error: LocalModelError): GenerateError => {
  switch (error._tag) {
    case "LocalModelNotFound":
      return new GenerateError({ status: 404, kind: "not_found", message: error.message, param: "model", code: "model_not_found" })
    case "QueueFull":
      return new GenerateError({ status: 503, kind: "overloaded", message: error.message, code: "queue_full", headers: { "retry-after": "1" } })
    case "ModelLoadFailed":
      return new GenerateError({ status: 500, kind: "server", message: error.message, code: "model_load_failed" })
    case "GenerationFailed":
      return new GenerateError({ status: 500, kind: "server", message: error.message, code: "generation_failed" })
  }
}

/** The upstream of the local models: `request.model` is the local model's id. */
const localUpstream = (local: LocalModels["Service"]): Upstream => ({
  http: undefined,
  // A GGUF's context size is known once it is loaded, and the engine then bounds it itself.
  info: () => undefined,
  generate: (request: Request) =>
    Effect.gen(function*() {
      yield* toTurns(request).pipe(
        Effect.mapError((error) =>
          new GenerateError({ status: 400, kind: "invalid_request", message: error.message, param: inRequestTerms(error.param, request) })
        )
      )
      const admission = yield* local.prepare(request.model).pipe(Effect.mapError(refusal))
      const headers = { "x-switchboard-queue-position": String(admission.ahead) }
      const events = local.generate(request.model, request)
      if (!request.stream) {
        const response = yield* collectResponse(events).pipe(
          Effect.mapError((error: LocalModelError | StreamError) =>
            "_tag" in error ? refusal(error) : new GenerateError({ status: 500, kind: "server", message: error.message, code: "generation_failed" })
          )
        )
        return { _tag: "Complete", response, headers } satisfies Answer
      }
      // A failure after the answer started ends the stream with the caller's own error event.
      const stream = events.pipe(
        Stream.catch((error) => Stream.succeed(streamError(error._tag === "QueueFull" ? "overloaded" : "server", error.message)))
      )
      return { _tag: "Streaming", events: stream, headers } satisfies Answer
    })
})

/** What the `local` provider shows for a status of the local models: nothing while inactive. */
const snapshotOf = (status: LocalStatus, upstream: Upstream): ActorSnapshot | undefined =>
  status.active
    ? {
      state: ProviderState.Connected({ models: status.models.map((model) => model.id), at: status.since }),
      upstream,
      modelStates: status.models.map((model) => ({
        id: model.id,
        engine: model.engine,
        state: model.state,
        error: model.error,
        running: model.running,
        waiting: model.waiting
      }))
    }
    : undefined

/** The local models as a built-in provider. Requires `LocalModels`. */
export const layer = Layer.effect(
  BuiltInProviders,
  Effect.gen(function*() {
    const local = yield* LocalModels
    const upstream = localUpstream(local)
    const initial = yield* local.status
    const snapshot = yield* SubscriptionRef.make(snapshotOf(initial, upstream))
    return [{
      id: LOCAL_PROVIDER_ID,
      name: LOCAL_PROVIDER_NAME,
      format: "local",
      baseUrl: `local:${initial.engines.join("+")}`,
      snapshot,
      configure: (config) => local.configure(config.local),
      // "Connect" looks for model files again; there is nothing to disconnect.
      command: (command) => command === "connect" ? local.rescan : Effect.void,
      // A rescan that finds nothing new publishes the same status: not a change anyone is told of.
      run: local.changes.pipe(
        Stream.map((status) => snapshotOf(status, upstream)),
        Stream.changesWith((a, b) => JSON.stringify(a) === JSON.stringify(b)),
        Stream.runForEach((next) => SubscriptionRef.set(snapshot, next))
      )
    }]
  })
)
