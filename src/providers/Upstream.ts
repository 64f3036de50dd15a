/**
 * What the router talks to: one provider's way of answering, whatever it is — a remote API over
 * HTTP (`HttpUpstream.ts`) or an engine on this machine (`src/local/`). The router never asks which:
 *
 * - `http` says where a provider reached over HTTP lives and which wire format it speaks natively,
 *   so a request in that same format passes through untouched but for `model` (`Forward.ts`, the
 *   fast lane); it is `undefined` for engines that only take canonical requests.
 * - `generate` answers a canonical request with canonical events (or a complete response): every
 *   request that cannot pass through goes there, translated by the caller's format at both ends.
 *
 * A new kind of provider is one more implementation of this interface, never a branch in the
 * router, the HTTP layer or the supervisor.
 */
import { Data, type Effect, type Stream } from "effect"
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { ErrorKind, Request, Response, StreamEvent } from "../formats/Canonical.ts"
import type { UpstreamAuth } from "./UpstreamAuth.ts"
import type { UpstreamError } from "./UpstreamError.ts"

/** A provider reached over HTTP: what pass-through needs, resolved when it connected. */
export interface HttpEndpoint {
  /** The wire format the provider speaks natively. */
  readonly format: ApiFormat
  /** `scheme://host[:port]/basePath`, no trailing slash. */
  readonly baseUrl: string
  /**
   * How error messages name the upstream: the provider and its host (`cannot reach openai
   * (api.openai.com): …`), so a caller knows which provider failed.
   */
  readonly name: string
  /** Bounds the wait for the response headers and every gap between chunks. */
  readonly timeoutSeconds: number
  readonly auth: UpstreamAuth
  /** Told whether requests reach the provider, so a provider every request fails on stops showing `connected`. */
  readonly health: RequestHealth
}

/**
 * What requests tell a provider's actor: an answer started (`reached`), or the provider could not
 * be reached or stopped answering (`unreachable`: refused, reset, timed out). Plain functions, so
 * the fast lane calls them with no Effect; the actor counts failures in a row.
 */
export interface RequestHealth {
  readonly reached: () => void
  readonly unreachable: () => void
}

/** For endpoints no actor watches (a child server of a local engine, tests). */
export const untracked: RequestHealth = { reached: () => {}, unreachable: () => {} }

/** What is known of one model beyond its id (from the provider's model list, or the engine). */
export interface ModelInfo {
  readonly id: string
  /** The context window in tokens, where the provider says. */
  readonly contextLength?: number | undefined
}

/** An answer that started: headers to pass on, then a whole response or its events as they come. */
export type Answer =
  | { readonly _tag: "Complete"; readonly response: Response; readonly headers: Readonly<Record<string, string>> }
  | {
    readonly _tag: "Streaming"
    /** Ends with `Finish`, or with an `Error` event when the upstream fails mid-way (never a silent end). */
    readonly events: Stream.Stream<StreamEvent>
    readonly headers: Readonly<Record<string, string>>
  }

/**
 * A request an upstream refused or could not answer, before any answer started: told to the
 * caller in its own format with this status (the upstream's own where it answered).
 */
export class GenerateError extends Data.TaggedError("GenerateError")<{
  readonly status: number
  readonly kind: ErrorKind
  readonly message: string
  /** The request field at fault, when the caller's request is (400). */
  readonly param?: string | undefined
  /** A machine-readable code (`upstream_error`, `queue_full`, `model_load_failed`, …). */
  readonly code?: string | undefined
  /** Upstream headers worth keeping on the error (`retry-after`, rate-limit counters). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}> {}

/** What kind of failure an upstream error is, for the caller's error types. */
export const upstreamErrorKind = (error: UpstreamError): ErrorKind => error.timedOut === true ? "timeout" : "server"

/** A failure of Switchboard's own before any answer: 504 when the upstream was too slow, 502 when it could not be reached. */
export const unreachable = (error: UpstreamError): GenerateError =>
  new GenerateError({
    status: error.status ?? (error.timedOut === true ? 504 : 502),
    kind: upstreamErrorKind(error),
    message: error.message,
    code: "upstream_error"
  })

export interface Upstream {
  readonly http: HttpEndpoint | undefined
  /**
   * One canonical request (its `model` is already the upstream's id) → its answer: a stream when
   * `request.stream`, else a complete response. Interrupting the answer's stream aborts the work.
   */
  readonly generate: (request: Request) => Effect.Effect<Answer, GenerateError>
  /** What is known of a model it serves, beyond its id (undefined: nothing). */
  readonly info: (model: string) => ModelInfo | undefined
}

/** How a provider's kind is shown (status endpoints, the page): its native format, or the engine family. */
export type ProviderFormat = ApiFormat | "local"
