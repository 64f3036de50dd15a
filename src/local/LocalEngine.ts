/**
 * What `LocalModels` needs of an inference engine (llama.cpp in-process, MLX as a child server):
 * which files it serves, how to load one, and how to stream an answer from a loaded model as
 * canonical events. Queues, idle unloading, states and discovery are the same for every engine
 * and live in `LocalModels`.
 */
import { Effect, Schema, Stream } from "effect"
import type { Finish, Request, StreamEvent, Usage } from "../formats/Canonical.ts"

export const EngineName = Schema.Literals(["llama.cpp", "mlx"])
export type EngineName = typeof EngineName.Type

/** A model found on disk (or named in the config): its id in `local/<id>` and where it is. */
export interface ModelSource {
  readonly id: string
  readonly path: string
}

/** A model could not be loaded (missing or corrupt file, not enough memory, server not starting). */
export class ModelLoadFailed extends Schema.TaggedError<ModelLoadFailed>()("ModelLoadFailed", {
  model: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `local model ${this.model} could not be loaded: ${this.reason}`
  }
}

/** A generation failed after the model was loaded. */
export class GenerationFailed extends Schema.TaggedError<GenerationFailed>()("GenerationFailed", {
  model: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `local model ${this.model} failed: ${this.reason}`
  }
}

/** A model in memory (or a server process serving it). */
export interface LoadedModel {
  /**
   * One answer to `request` as canonical events (`Start` … `Finish`). Interrupting the stream
   * aborts the generation, and the stream ends only once the engine has let go of the model, so
   * the next request in the queue never finds it busy.
   */
  readonly generate: (request: Request) => Stream.Stream<StreamEvent, GenerationFailed>
  /**
   * The model's context size in tokens, when the engine knows it: the longest answer it is asked
   * for (`LocalRequest.outputLimit`), since llama.cpp would otherwise shift its context and go on
   * generating for ever.
   */
  readonly contextTokens: number | undefined
  /** Frees the memory (or stops the server). */
  readonly unload: Effect.Effect<void>
}

export interface LocalEngine {
  readonly name: EngineName
  /** Whether a path found in a models folder is one this engine serves, and under which id. */
  readonly claims: (entry: { readonly path: string; readonly name: string; readonly isDirectory: boolean }) => string | undefined
  readonly load: (source: ModelSource) => Effect.Effect<LoadedModel, ModelLoadFailed>
}

/** What a text-only engine produces: pieces of text, then how it ended. */
export type Piece =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "End"; readonly finish: Finish; readonly usage: Usage | undefined }

/**
 * Text pieces as canonical events: `Start`, one text block opened by the first non-empty piece,
 * `BlockStop`, `Finish`. A fold with the block's state as accumulator, like the format decoders.
 */
export const pieceEvents = (start: { readonly id: string; readonly model: string; readonly created: number }) =>
<E, R>(pieces: Stream.Stream<Piece, E, R>): Stream.Stream<StreamEvent, E, R> =>
  Stream.concat(
    Stream.succeed<StreamEvent>({ _tag: "Start", id: start.id, model: start.model, created: start.created, usage: undefined }),
    pieces.pipe(
      Stream.mapAccum(() => false, (open: boolean, piece: Piece): readonly [boolean, ReadonlyArray<StreamEvent>] => {
        if (piece._tag === "Text") {
          if (piece.text === "") return [open, []]
          const delta: StreamEvent = { _tag: "BlockDelta", index: 0, delta: { _tag: "Text", text: piece.text } }
          return [true, open ? [delta] : [{ _tag: "BlockStart", index: 0, block: { _tag: "Text" } }, delta]]
        }
        const finish: StreamEvent = { _tag: "Finish", finish: piece.finish, usage: piece.usage }
        return [false, open ? [{ _tag: "BlockStop", index: 0 }, finish] : [finish]]
      })
    )
  )

/** A response id in the style of the formats' own (`chatcmpl-…`, `msg_…`): unique per answer. */
export const localResponseId = (): string => `local-${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`
