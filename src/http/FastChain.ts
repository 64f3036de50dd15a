/**
 * A virtual model's chain on the fast lane: the same `Chain` as the Effect path (`ApiRoute.ts`),
 * driven from node's request with callbacks. Each attempt runs with a sink (`Attempt.ts`) that
 * keeps a failed attempt's whole answer back and, when `Failover.verdictOf` says so, starts the
 * next target; an answer whose head is written is the caller's. A target the fast lane cannot
 * serve (a local engine, which answers through the app's `Upstream.generate`) hands the request,
 * chain and all, to the Effect app, which goes on from that target (`PreReadBody.resume`).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { type Chain, type ChainStep, makeChain } from "../router/Chain.ts"
import { verdictOf } from "../router/Failover.ts"
import { applyPresets, hasPresets } from "../router/Presets.ts"
import type { Route, RoutingTable } from "../router/RoutingTable.ts"
import type { TargetHealthRegistry } from "../router/TargetHealth.ts"
import type { VirtualModel } from "../router/VirtualModels.ts"
import { type AttemptSink, withHeaders } from "./Attempt.ts"
import type { BodyRead } from "./BodyReader.ts"
import type { HttpFormat } from "./Formats.ts"
import { rememberBody } from "./PreReadBody.ts"
import { type Reply, replyOf, writeReply } from "./TranslateExchange.ts"

/** One attempt on a route reached over HTTP (`FastLane.attemptFast`): its answer goes to `sink`; `handOver` if it cannot run here. */
export type FastAttempt = (
  route: Route,
  format: HttpFormat,
  body: unknown,
  text: string,
  request: IncomingMessage,
  response: ServerResponse,
  sink: AttemptSink,
  handOver: () => void
) => void

export interface FastChainOptions {
  readonly table: RoutingTable
  readonly health: TargetHealthRegistry
  readonly log: (message: string) => void
  readonly attempt: FastAttempt
}

/** Where a chain handed to the app stands: the target to try now, and the last failure so far. */
export interface ChainResume {
  readonly chain: Chain
  readonly step: ChainStep
  /** The body to send (the presets applied), parsed and as text. */
  readonly body: Record<string, unknown>
  readonly text: string
  readonly last: Reply | undefined
}

const textOf = (body: string | Uint8Array): string => typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")

export const runFastChain = (
  options: FastChainOptions,
  model: VirtualModel,
  format: HttpFormat,
  callerBody: Record<string, unknown>,
  read: BodyRead & { readonly _tag: "Read" },
  request: IncomingMessage,
  response: ServerResponse,
  next: (request: IncomingMessage, response: ServerResponse) => void
): void => {
  const headers = request.headers as Readonly<Record<string, string | undefined>>
  const body = hasPresets(model) ? applyPresets(format.api, callerBody, model) : callerBody
  const text = body === callerBody ? read.text : JSON.stringify(body)
  const chain = makeChain(model, { format: format.api, body: callerBody, headers }, options)
  let last: Reply | undefined

  const tryNext = (): void => {
    // The caller went away: nobody is waiting for another target's answer.
    if (response.destroyed || response.writableEnded) return
    const step = chain.next()
    if (step === undefined) {
      const final = last ?? replyOf(format.renderError(chain.unavailable()))
      return writeReply(response, final)
    }
    if (step.route.upstream.http === undefined) {
      // The app answers from here on: the same chain, at this target.
      rememberBody(request, { read, json: callerBody, resume: { chain, step, body, text, last } satisfies ChainResume })
      return next(request, response)
    }
    const routed = chain.headers(step)
    const sink: AttemptSink = {
      headers: routed,
      committed: () => chain.answered(step),
      reply: (reply) => {
        const verdict = reply.status < 400 ? undefined : verdictOf(reply.status, reply.headers, textOf(reply.body))
        if (verdict === undefined || verdict._tag === "Final") {
          chain.answered(step)
          return writeReply(response, withHeaders(reply, routed))
        }
        chain.failed(step, verdict)
        last = withHeaders(reply, routed)
        tryNext()
      }
    }
    // A translation that throws (a bug) is the app's to answer, as for a plain model.
    options.attempt(step.route, format, body, text, request, response, sink, () => {
      rememberBody(request, { read, json: callerBody, resume: { chain, step, body, text, last } satisfies ChainResume })
      next(request, response)
    })
  }
  tryNext()
}
