/**
 * `GET /v1/local`: the local models in detail — engines in use (or why there are none), the
 * models folder, and each model's path, state (unloaded, loading, loaded, error and why) and
 * queue. `/v1/models` and `/v1/providers` show the same models in the shape every provider has.
 */
import { Effect, Option } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { LocalModels } from "./LocalModels.ts"

const status = Effect.gen(function*() {
  const local = yield* Effect.serviceOption(LocalModels)
  if (Option.isNone(local)) {
    return HttpServerResponse.jsonUnsafe({ engines: [], unavailable: "this gateway runs without local models", active: false, models: [] })
  }
  const { since, ...rest } = yield* local.value.status
  return HttpServerResponse.jsonUnsafe({ ...rest, since: new Date(since).toISOString() })
})

export const LocalRoutes = HttpRouter.addAll([HttpRouter.route("GET", "/v1/local", status)])
