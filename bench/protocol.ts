/**
 * What the bench's processes agree on: the fake upstream's model, the request every scenario
 * sends, and the messages the child processes send back over their IPC channel.
 */

/** The provider id Switchboard is given for the fake upstream; models are `bench/<id>`. */
export const PROVIDER_ID = "bench"
export const UPSTREAM_MODEL = "bench-model"

/** The same small chat completion, sent direct (upstream model id) or through Switchboard (qualified id). */
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

/** Parent → load child: one autocannon scenario (argv[2] as JSON). */
export interface LoadSpec {
  readonly url: string
  readonly body: string
  readonly connections: number
  readonly warmupSeconds: number
  readonly durationSeconds: number
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

export const isMessage = <T extends { readonly type: string }>(type: T["type"]) => (value: unknown): value is T =>
  typeof value === "object" && value !== null && (value as { type?: unknown }).type === type
