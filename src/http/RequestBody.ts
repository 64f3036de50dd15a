/**
 * Reading the JSON body of an inbound API request just far enough to route it: the body must
 * be a JSON object with a string `model`; everything else is the upstream's business and flows
 * through untouched.
 */
import { Effect, Predicate, Schema } from "effect"
import { HttpServerRequest } from "effect/http"
import { IncomingMessage } from "node:http"
import { type BodyRead, decodeUtf8, MaxBodyBytes, readBody, refusalOf } from "./BodyReader.ts"
import { preReadBody, rememberBody } from "./PreReadBody.ts"

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  message: Schema.String,
  param: Schema.optional(Schema.String),
  status: Schema.Number
}) {}

/** A request body as a JSON object. Keys keep their order, unknown fields are kept. */
export type JsonObject = { [key: string]: unknown }

/** A JSON object body together with the exact text it was parsed from (pass-through sends the text on). */
export interface JsonBody {
  readonly text: string
  readonly json: JsonObject
}

/** The body of a request served by node (the gateway's own server), else of whatever serves it (an embedder's). */
const readSource = (request: HttpServerRequest.HttpServerRequest, limit: number): Effect.Effect<BodyRead> =>
  request.source instanceof IncomingMessage
    ? Effect.callback<BodyRead>((resume) => readBody(request.source as IncomingMessage, limit, (read) => resume(Effect.succeed(read))))
    : request.arrayBuffer.pipe(
      Effect.map((buffer): BodyRead => {
        if (buffer.byteLength > limit) return { _tag: "TooLarge", limit }
        const text = decodeUtf8(Buffer.from(buffer))
        return text === undefined ? { _tag: "NotUtf8" } : { _tag: "Read", text }
      }),
      Effect.orElseSucceed((): BodyRead => ({ _tag: "Failed" }))
    )

export const readJsonBody: Effect.Effect<JsonBody, BadRequest, HttpServerRequest.HttpServerRequest> = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const contentType = request.headers["content-type"] ?? ""
  if (contentType !== "" && !contentType.includes("json")) {
    return yield* new BadRequest({ message: `expected a JSON body (content-type application/json), got ${contentType}`, status: 415 })
  }
  // The fast lane may have read (and parsed) the body already before handing the request over.
  const preRead = preReadBody(request.source)
  const read = preRead?.read ?? (yield* readSource(request, yield* MaxBodyBytes))
  if (read._tag !== "Read") return yield* new BadRequest(refusalOf(read))
  const text = read.text
  let json: unknown = preRead?.json
  if (json === undefined) {
    try {
      json = JSON.parse(text)
    } catch (cause) {
      return yield* new BadRequest({
        message: `the request body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
        status: 400
      })
    }
  }
  if (!Predicate.isObject(json) || Array.isArray(json)) {
    return yield* new BadRequest({ message: "the request body must be a JSON object", status: 400 })
  }
  return { text, json: json as JsonObject }
})

/**
 * The body as a JSON object when it is one, read once and remembered on the request, so the
 * handler that answers it after all (`readJsonBody`) reads the same; undefined when it is not one
 * (that handler words the refusal). For routes that look at a field before choosing a handler.
 */
export const peekJsonObject: Effect.Effect<JsonObject | undefined, never, HttpServerRequest.HttpServerRequest> = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const preRead = preReadBody(request.source)
  const read = preRead?.read ?? (yield* readSource(request, yield* MaxBodyBytes))
  let json: unknown = preRead?.json
  if (json === undefined && read._tag === "Read") {
    try {
      json = JSON.parse(read.text)
    } catch {
      json = undefined
    }
  }
  if (preRead === undefined) rememberBody(request.source, json === undefined ? { read } : { read, json })
  return Predicate.isObject(json) && !Array.isArray(json) ? json as JsonObject : undefined
})

export const readJsonObject = Effect.map(readJsonBody, (body) => body.json)

export const requireModel = (body: JsonObject): Effect.Effect<string, BadRequest> =>
  Predicate.isString(body.model) && body.model !== ""
    ? Effect.succeed(body.model)
    : Effect.fail(new BadRequest({ message: "you must provide a model parameter", param: "model", status: 400 }))
