/**
 * GGUF models in this process through node-llama-cpp (llama.cpp's prebuilt binaries ship inside
 * its npm packages). The package is an optional dependency, imported on first use: an install
 * without it still runs, and says why local models are off (`available`).
 *
 * Settings that matter on small machines (measured on 2 cores): CPU only, one thread — more
 * threads than cores made generation ~500× slower — and `build: "never"`, so a missing prebuilt
 * binary is an error instead of a compilation of llama.cpp that takes minutes.
 *
 * Each loaded model has one context with one sequence: `LocalModels` runs one generation per model
 * at a time, and every request starts from a cleared sequence, so token counts are the request's own.
 */
import { Cause, Effect, Queue, Stream } from "effect"
import type { ChatHistoryItem, Llama, LlamaChat, LlamaContextSequence, LlamaModel } from "node-llama-cpp"
import type { Request, StreamEvent } from "../formats/Canonical.ts"
import {
  GenerationFailed,
  type LoadedModel,
  type LocalEngine,
  localResponseId,
  ModelLoadFailed,
  type ModelSource,
  type Piece,
  pieceEvents
} from "./LocalEngine.ts"
import { stopReasonOf, toTurns, type Turn } from "./LocalRequest.ts"

type NodeLlamaCpp = typeof import("node-llama-cpp")

export interface LlamaCppOptions {
  /** CPU threads per generation; one by default (see above). */
  readonly threads?: number
  /** Upper bound of a model's context, in tokens: memory grows with it. */
  readonly maxContextTokens?: number
}

/** Whether node-llama-cpp is installed, without loading it (loading takes most of a second). */
export const available = (): { readonly ok: true } | { readonly ok: false; readonly reason: string } => {
  try {
    import.meta.resolve("node-llama-cpp")
    return { ok: true }
  } catch {
    return { ok: false, reason: "node-llama-cpp is not installed (npm install node-llama-cpp@3.21.1)" }
  }
}

/** `foo.gguf` → `foo`; of a split model (`foo-00001-of-00003.gguf`) only the first part, as `foo`. */
export const ggufModelId = (name: string): string | undefined => {
  if (!/\.gguf$/i.test(name)) return undefined
  const split = /^(.*)-(\d{5})-of-\d{5}\.gguf$/i.exec(name)
  if (split) return split[2] === "00001" ? split[1] : undefined
  return name.replace(/\.gguf$/i, "")
}

/** Error texts of node-llama-cpp may quote binary bytes of a corrupt file: keep them printable. */
const describe = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/[^\x20-\x7e]/g, "?")

const historyOf = (turns: ReadonlyArray<Turn>): Array<ChatHistoryItem> =>
  turns.map((turn): ChatHistoryItem => {
    switch (turn.role) {
      case "system":
        return { type: "system", text: turn.text }
      case "user":
        return { type: "user", text: turn.text }
      case "assistant":
        return { type: "model", response: [turn.text] }
    }
  })

/** How many tokens the prompt of `history` takes, as the chat wrapper lays it out (with the answer's opening). */
const promptTokens = (chat: LlamaChat, model: LlamaModel, history: ReadonlyArray<ChatHistoryItem>): number =>
  chat.chatWrapper.generateContextState({ chatHistory: [...history, { type: "model", response: [] }] }).contextText.tokenize(model.tokenizer).length

/**
 * The answer's limit within the context: what is left after the prompt. Past it llama.cpp would
 * shift the context (drop the start of the conversation and evaluate the rest again) and go on,
 * so the answer would lose sight of its question and the usage would count the prompt twice. A
 * prompt that fills the context on its own is shortened by node-llama-cpp, and keeps the limit
 * it was given (`LocalModels` bounds it by the context size).
 */
export const answerRoom = (limit: number | undefined, contextSize: number, prompt: number): number | undefined => {
  const room = contextSize - prompt
  if (room <= 0) return limit
  return limit === undefined ? room : Math.min(limit, room)
}

export const make = (options: LlamaCppOptions = {}): LocalEngine => {
  const threads = options.threads ?? 1
  let module: Promise<NodeLlamaCpp> | undefined
  let llama: Promise<Llama> | undefined
  // One llama.cpp runtime for every model; a failure is not cached, so installing the binary helps.
  const runtime = (): Promise<{ lib: NodeLlamaCpp; llama: Llama }> => {
    module ??= import("node-llama-cpp")
    const lib = module
    llama ??= lib.then((m) => m.getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: m.LlamaLogLevel.error }))
    const current = llama
    return Promise.all([lib, current]).then(([lib, llama]) => ({ lib, llama })).catch((error: unknown) => {
      module = undefined
      llama = undefined
      throw error
    })
  }

  const generate = (source: ModelSource, model: LlamaModel, sequence: LlamaContextSequence, lib: NodeLlamaCpp) =>
  (request: Request): Stream.Stream<StreamEvent, GenerationFailed> => {
    const failed = (error: unknown) => new GenerationFailed({ model: source.id, reason: describe(error) })
    // Without a chat template node-llama-cpp would guess Llama 2's `[INST]` format; the general
    // one (`### Human:` / `### Assistant:`) suits base models better and is documented.
    const chatWrapper = model.fileInfo.metadata.tokenizer?.chat_template === undefined ? new lib.GeneralChatWrapper() : "auto" as const
    const pieces = Stream.unwrap(Effect.map(Effect.mapError(toTurns(request), failed), (turns) =>
      Stream.callback<Piece, GenerationFailed>((queue) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const controller = new AbortController()
            const done = (async () => {
              await sequence.clearHistory()
              const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper })
              const history = historyOf(turns)
              const before = sequence.tokenMeter.getState()
              try {
                const maxTokens = answerRoom(request.maxTokens, sequence.contextSize, promptTokens(chat, model, history))
                const result = await chat.generateResponse(history, {
                  ...(maxTokens !== undefined ? { maxTokens } : {}),
                  ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
                  ...(request.topP !== undefined ? { topP: request.topP } : {}),
                  ...(request.topK !== undefined ? { topK: request.topK } : {}),
                  ...(request.stopSequences !== undefined && request.stopSequences.length > 0 ? { customStopTriggers: request.stopSequences } : {}),
                  signal: controller.signal,
                  // An abort ends the generation with what was produced instead of throwing.
                  stopOnAbortSignal: true,
                  onTextChunk: (text) => Queue.offerUnsafe(queue, { _tag: "Text", text })
                })
                const used = sequence.tokenMeter.diff(before)
                const metadata = result.metadata
                Queue.offerUnsafe(queue, {
                  _tag: "End",
                  finish: {
                    reason: stopReasonOf(metadata.stopReason),
                    raw: metadata.stopReason,
                    stopSequence: metadata.stopReason === "customStopTrigger"
                      ? metadata.customStopTrigger.filter((t): t is string => typeof t === "string").join("")
                      : undefined
                  },
                  usage: {
                    inputTokens: used.usedInputTokens,
                    outputTokens: used.usedOutputTokens,
                    cachedInputTokens: undefined,
                    cacheWriteInputTokens: undefined,
                    reasoningTokens: undefined
                  }
                })
                Queue.endUnsafe(queue)
              } catch (error) {
                Queue.failCauseUnsafe(queue, Cause.fail(failed(error)))
              } finally {
                chat.dispose({ disposeSequence: false })
              }
            })()
            return { controller, done }
          }),
          // The turn ends only once llama.cpp has stopped using the sequence.
          ({ controller, done }) => Effect.promise(() => (controller.abort(), done))
        )
      )
    ))
    return pieces.pipe(pieceEvents({ id: localResponseId(), model: source.id, created: Math.floor(Date.now() / 1000) }))
  }

  const load = (source: ModelSource) =>
    Effect.tryPromise({
      try: async (): Promise<LoadedModel> => {
        const { lib, llama } = await runtime()
        const model = await llama.loadModel({ modelPath: source.path })
        try {
          const context = await model.createContext({ contextSize: { max: options.maxContextTokens ?? 4096 }, sequences: 1, threads })
          const sequence = context.getSequence()
          return {
            generate: generate(source, model, sequence, lib),
            contextTokens: context.contextSize,
            unload: Effect.promise(async () => {
              await context.dispose()
              await model.dispose()
            })
          }
        } catch (error) {
          await model.dispose()
          throw error
        }
      },
      catch: (error) => new ModelLoadFailed({ model: source.id, reason: `${source.path}: ${describe(error)}` })
    })

  return {
    name: "llama.cpp",
    claims: (entry) => entry.isDirectory ? undefined : ggufModelId(entry.name),
    load
  }
}
