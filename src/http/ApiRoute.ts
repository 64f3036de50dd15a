/**
 * The request path shared by every inbound API endpoint: read the body just far enough to take
 * `model`, resolve it, then either pass the body through untouched (the provider speaks the
 * caller's format), or answer it through the canonical hub (`Translate.ts`: the route's `Upstream.generate`). Errors are answered in the caller's format.
 */
import { Effect, Option } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { Providers } from "../providers/Providers.ts"
import { type Chain, type ChainStep, makeChain, routedHeaders } from "../router/Chain.ts"
import { type Verdict, verdictOf } from "../router/Failover.ts"
import { applyPresets, hasPresets } from "../router/Presets.ts"
import { resolveModel, type Route } from "../router/RoutingTable.ts"
import { TargetHealth } from "../router/TargetHealth.ts"
import type { VirtualModel } from "../router/VirtualModels.ts"
import type { HttpFormat } from "./Formats.ts"
import type { ChainResume } from "./FastChain.ts"
import { forward } from "./Forward.ts"
import { preReadBody } from "./PreReadBody.ts"
import { responseOf } from "./TranslateExchange.ts"
import { modelUnavailable } from "./ModelUnavailable.ts"
import { passThroughRoute } from "./PassThroughExchange.ts"
import { type JsonObject, readJsonBody, requireModel } from "./RequestBody.ts"
import { translate } from "./Translate.ts"
import { type Observation, observationOf } from "../usage/RequestObserver.ts"
import type { IncomingMessage } from "node:http"
import type { Usage } from "../formats/Canonical.ts"
import { admitRequest } from "../gateway-keys/Admission.ts"

/**
 * An endpoint that is not the format's main one: same-format requests are passed through to
 * `upstream` (its `upstreamPath`); the others get `elsewhere(route, body)` — a refusal
 * (Anthropic's `count_tokens`: counting needs the provider's tokenizer) or Switchboard's own
 * answer (Open Responses' `compact`, done with the model).
 */
export interface PassThroughOnly {
  readonly upstream: HttpFormat
  readonly elsewhere: (route: Route, body: JsonObject) => Effect.Effect<HttpServerResponse.HttpServerResponse>
}

/** One request to one route: passed through when the provider speaks the caller's format, else translated. */
const attempt = (
  route: Route,
  inbound: HttpFormat,
  only: PassThroughOnly | undefined,
  body: JsonObject,
  text: string,
  headers: Readonly<Record<string, string | undefined>>,
  observation: Observation | undefined
) => {
  const passThrough = passThroughRoute(route, inbound)
  if (observation !== undefined) {
    observation.mode = passThrough !== undefined ? "pass-through" : route.upstream.http === undefined ? "local" : "translated"
  }
  if (only !== undefined) {
    return passThrough !== undefined ? forward(passThrough, only.upstream, text, headers) : only.elsewhere(route, body)
  }
  const onUsage = observation === undefined ? undefined : (usage: Usage) => void (observation.usage = usage)
  const onWithheld = observation === undefined ? undefined : (event: string) => void (observation.unsent = event)
  return passThrough !== undefined
    ? forward(passThrough, inbound, text, headers, onWithheld, body)
    : translate(route, inbound, body, onUsage)
}

const decoder = new TextDecoder()

/**
 * What an answer not yet sent means for the chain: a streamed answer, or a success, is the
 * caller's; an error read whole (every error Switchboard renders or scrubs is) is judged by
 * `verdictOf`. An error whose body streams (an encoded one passed through) is the caller's too:
 * it cannot be read without being spent.
 */
const verdictOfResponse = (response: HttpServerResponse.HttpServerResponse): Verdict =>
  response.status < 400 || response.body._tag !== "Uint8Array"
    ? { _tag: "Final" }
    : verdictOf(response.status, response.headers, decoder.decode(response.body.body))

/**
 * A virtual model's request: its presets applied, then its targets tried in the chain's order
 * until one answers (`Chain.ts`). Nothing of a failed attempt reaches the caller: every answer is
 * decided before it is returned (a stream is returned once its head came, and then it is the
 * caller's). When every target fails, the caller gets the last failure; when none could be tried,
 * a 503 saying why.
 */
const runChain = Effect.fnUntraced(function*(
  model: VirtualModel,
  inbound: HttpFormat,
  only: PassThroughOnly | undefined,
  callerBody: JsonObject,
  callerText: string,
  headers: Readonly<Record<string, string | undefined>>,
  /** Where the fast lane left off, when it handed the chain over (at a local engine's target). */
  resume: ChainResume | undefined,
  observation: Observation | undefined
) {
  const said: Array<string> = []
  const log = (message: string) => void said.push(message)
  let body: JsonObject
  let text: string
  let chain: Chain
  let pending: ChainStep | undefined
  let last: HttpServerResponse.HttpServerResponse | undefined
  if (resume !== undefined) {
    ;({ body, text, chain } = resume)
    pending = resume.step
    last = resume.last && responseOf(resume.last)
  } else {
    body = hasPresets(model) ? applyPresets(inbound.api, callerBody, model) : callerBody
    text = body === callerBody ? callerText : JSON.stringify(body)
    chain = makeChain(model, { format: inbound.api, body: callerBody, headers }, {
      table: yield* (yield* Providers).routingTable,
      health: yield* TargetHealth,
      log
    })
  }
  const flushLog = Effect.suspend(() => Effect.forEach(said.splice(0), (line) => Effect.logWarning(line), { discard: true }))
  for (;;) {
    const step = pending ?? chain.next()
    pending = undefined
    yield* flushLog
    if (step === undefined) {
      return last ?? inbound.renderError(chain.unavailable())
    }
    const response = yield* attempt(step.route, inbound, only, body, text, headers, observation)
    const verdict = verdictOfResponse(response)
    if (verdict._tag === "Final") {
      chain.answered(step)
      return HttpServerResponse.setHeaders(response, chain.headers(step))
    }
    chain.failed(step, verdict)
    last = HttpServerResponse.setHeaders(response, chain.headers(step))
  }
})

/** The handler of an endpoint that speaks `inbound`. */
export const apiHandler = (inbound: HttpFormat, only?: PassThroughOnly) =>
  Effect.gen(function*() {
    const providers = yield* Providers
    const request = yield* HttpServerRequest.HttpServerRequest
    const { json: body, text } = yield* readJsonBody
    const resume = preReadBody(request.source)?.resume
    const observation = observationOf(request.source as IncomingMessage)
    if (resume !== undefined) return yield* runChain(resume.chain.model, inbound, only, body, text, request.headers, resume, observation)
    const model = yield* requireModel(body)
    const resolution = resolveModel(yield* providers.routingTable, model)
    if (observation !== undefined) {
      observation.requestedModel = model
      observation.stream = body["stream"] === true
      if (resolution._tag === "Virtual") observation.virtualModel = resolution.model.name
    }
    switch (resolution._tag) {
      case "NotFound": {
        // `<providerId>/…` of a provider that exists but does not serve it now: say why.
        const slash = model.indexOf("/")
        const provider = slash > 0 ? yield* Effect.option(providers.get(model.slice(0, slash))) : Option.none()
        if (Option.isSome(provider)) return inbound.renderError(modelUnavailable(model, provider.value))
        return inbound.renderError({
          status: 404,
          kind: "not_found",
          message: `The model \`${model}\` does not exist or no connected provider serves it. GET /v1/models lists the models available.`,
          param: "model",
          code: "model_not_found"
        })
      }
      case "Ambiguous":
        return inbound.renderError({
          status: 400,
          kind: "invalid_request",
          message: `The model \`${model}\` is served by several providers; name one of: ${resolution.candidates.join(", ")}`,
          param: "model",
          code: "model_ambiguous"
        })
      case "Found": {
        const refused = yield* admitRequest(inbound, request, resolution.route, body, text)
        if (Option.isSome(refused)) return refused.value
        const response = yield* attempt(resolution.route, inbound, only, body, text, request.headers, observation)
        return HttpServerResponse.setHeaders(response, routedHeaders(resolution.route, 1))
      }
      case "Virtual": {
        const refused = yield* admitRequest(inbound, request, undefined, body, text)
        if (Option.isSome(refused)) return refused.value
        return yield* runChain(resolution.model, inbound, only, body, text, request.headers, undefined, observation)
      }
    }
  }).pipe(
    Effect.catchTag("BadRequest", (error) =>
      Effect.succeed(inbound.renderError({ status: error.status, kind: "invalid_request", message: error.message, param: error.param })))
  )
