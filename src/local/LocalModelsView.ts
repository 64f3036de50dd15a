/**
 * The local models as `switchboard models` shows them: their own "Local" group under the remote
 * providers, each model with its state (loaded, unloaded, error and why), read from a running
 * server's `GET /v1/local`.
 */
import { Effect, Option, Schema } from "effect"
import { makeAdminClient } from "../cli/AdminClient.ts"
import { paint } from "../cli/Table.ts"
import { LOCAL_PROVIDER_ID, LOCAL_PROVIDER_NAME } from "./LocalProviderId.ts"

/** `GET /v1/local`: only the fields shown here. */
const LocalStatusView = Schema.Struct({
  active: Schema.Boolean,
  unavailable: Schema.NullOr(Schema.String),
  modelsDir: Schema.String,
  models: Schema.Array(Schema.Struct({
    id: Schema.String,
    state: Schema.String,
    error: Schema.NullOr(Schema.String)
  }))
})
export type LocalStatusView = typeof LocalStatusView.Type

/** The "Local" group's lines; none when the server has no local models to speak of. */
export const renderLocalGroup = (status: LocalStatusView, colour: boolean): ReadonlyArray<string> => {
  if (!status.active) return []
  const heading = `${paint(LOCAL_PROVIDER_NAME, "bold", colour)} (${LOCAL_PROVIDER_ID})`
  if (status.models.length === 0) {
    return [heading, `  ${paint(`(no models: put .gguf files in ${status.modelsDir})`, "gray", colour)}`]
  }
  return [
    heading,
    ...status.models.map((model) =>
      `  ${LOCAL_PROVIDER_ID}/${model.id}  ${
        model.state === "error" ? paint(`error: ${model.error ?? ""}`, "red", colour) : paint(model.state, "gray", colour)
      }`
    )
  ]
}

/** The running server's local models as lines; none when it cannot say (an older server). */
export const localGroupLines = (url: string, colour: boolean) =>
  makeAdminClient(url).call("GET", "/v1/local", LocalStatusView).pipe(
    Effect.option,
    Effect.map(Option.match({ onNone: (): ReadonlyArray<string> => [], onSome: (status) => renderLocalGroup(status, colour) }))
  )
