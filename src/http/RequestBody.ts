/**
 * Reading the JSON body of an inbound API request just far enough to route it: the body must
 * be a JSON object with a string `model`; everything else is the upstream's business and flows
 * through untouched.
 */
import { Effect, Predicate, Schema } from "effect"
import { HttpServerRequest } from "effect/http"

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  message: Schema.String,
  param: Schema.optional(Schema.String),
  status: Schema.Number
}) {}

/** A request body as a JSON object. Keys keep their order, unknown fields are kept. */
export type JsonObject = { [key: string]: unknown }

export const readJsonObject = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const contentType = request.headers["content-type"] ?? ""
  if (contentType !== "" && !contentType.includes("json")) {
    return yield* new BadRequest({ message: `expected a JSON body (content-type application/json), got ${contentType}`, status: 415 })
  }
  const text = yield* request.text.pipe(
    Effect.mapError(() => new BadRequest({ message: "could not read the request body", status: 400 }))
  )
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    return yield* new BadRequest({
      message: `the request body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
      status: 400
    })
  }
  if (!Predicate.isObject(json) || Array.isArray(json)) {
    return yield* new BadRequest({ message: "the request body must be a JSON object", status: 400 })
  }
  return json as JsonObject
})

export const requireModel = (body: JsonObject): Effect.Effect<string, BadRequest> =>
  Predicate.isString(body.model) && body.model !== ""
    ? Effect.succeed(body.model)
    : Effect.fail(new BadRequest({ message: "you must provide a model parameter", param: "model", status: 400 }))
