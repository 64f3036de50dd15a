/**
 * What the bench's processes agree on: the fake upstream's models, the requests every scenario
 * sends, and the messages the child processes send back over their IPC channel.
 */

/** The provider id Switchboard is given for the fake upstream; models are `bench/<id>`. */
export const PROVIDER_ID = "bench"
/** The same upstream, configured a second time as an Anthropic-format provider (translation scenario). */
export const ANTHROPIC_PROVIDER_ID = "bench-anthropic"
export const UPSTREAM_MODEL = "bench-model"
/** Streams of this model are long (many chunks, far apart): used to hold many streams open at once. */
export const SLOW_MODEL = "bench-slow"
/**
 * A virtual model on Switchboard whose first target is `<PROVIDER_ID>/<UPSTREAM_MODEL>` (the direct
 * call's model) and whose second is the Anthropic-format provider's: the chain scenario compares
 * the two on the same process, and the first target always answers.
 */
export const VIRTUAL_MODEL = "bench-chain"

/**
 * The fake upstream's answer to it (bench/upstream.ts), also what bench/recording.ts records. Built
 * once: the reply is the same every time, and serialising it per request would be upstream cost.
 */
export const completionJson = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: Math.floor(Date.now() / 1000),
  model: UPSTREAM_MODEL,
  choices: [{ index: 0, message: { role: "assistant", content: "Hi!", refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }
})

/** The same small chat completion, sent to every target (with the model id that target expects). */
export const chatBody = (model: string, stream = false): string =>
  JSON.stringify({
    model,
    messages: [{ role: "user", content: "Say hi." }],
    max_tokens: 16,
    ...(stream ? { stream: true } : {})
  })

/** Upstream child → parent, once it listens. */
export interface UpstreamReady {
  readonly type: "ready"
  readonly port: number
}

/** Bare proxy child → parent, once it listens. */
export interface ProxyReady {
  readonly type: "ready"
  readonly port: number
}

/** One HTTP request as every load-generating child sends it. */
export interface RequestSpec {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** Parent → load child: one autocannon scenario (argv[2] as JSON). */
export interface LoadSpec extends RequestSpec {
  readonly connections: number
  readonly warmupSeconds: number
  readonly durationSeconds: number
}

/** Load child → parent: warm-up is over, the measured part starts now (the parent samples CPU). */
export interface LoadMeasuring {
  readonly type: "measuring"
}

/** The measured (post-warm-up) part of a load run. Latencies in ms. */
export interface LoadFigures {
  readonly requests: number
  readonly elapsedSeconds: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
  readonly timeouts: number
  readonly non2xx: number
}

/** Load child → parent. */
export interface LoadResult extends LoadFigures {
  readonly type: "result"
}

/** Parent → open-streams child (argv[2] as JSON): open `streams` streamed requests at once, read them to the end. */
export interface OpenStreamsSpec extends RequestSpec {
  readonly streams: number
  /** Data events each stream must carry before `[DONE]`. */
  readonly chunks: number
}

/** Open-streams child → parent: every stream has its headers (all are open at once now). */
export interface StreamsOpen {
  readonly type: "open"
  readonly ms: number
}

/** Open-streams child → parent, when every stream ended. */
export interface StreamsDone {
  readonly type: "done"
  readonly completed: number
  readonly failed: number
  readonly firstError: string | null
  readonly ms: number
}

export const isMessage = <T extends { readonly type: string }>(type: T["type"]) => (value: unknown): value is T =>
  typeof value === "object" && value !== null && (value as { type?: unknown }).type === type
