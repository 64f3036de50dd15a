/**
 * Every failure of an admin operation as an HTTP answer in the OpenAI error shape
 * `{ error: { message, type, param, code } }`: validation → 400 naming the field, unknown
 * provider → 404, conflicts (duplicate name, secrets that would follow a changed endpoint) → 409,
 * the config file or secret store failing → 500 with their own sentence (never a secret).
 */
import { Effect } from "effect"
import type { HttpServerResponse } from "effect/http"
import type { ConfigError } from "../config/ConfigStore.ts"
import type { DuplicateName, InvalidProvider, SecretsWouldMove, UnknownProvider } from "../config/ProviderCatalog.ts"
import { openAiError } from "../http/OpenAiError.ts"
import type { BadRequest } from "../http/RequestBody.ts"
import type { ProviderNotFound } from "../providers/Providers.ts"
import type { SecretStoreError } from "../secrets/SecretStore.ts"

export type AdminError =
  | BadRequest
  | InvalidProvider
  | DuplicateName
  | SecretsWouldMove
  | UnknownProvider
  | ProviderNotFound
  | ConfigError
  | SecretStoreError

export const renderAdminError = (error: AdminError): HttpServerResponse.HttpServerResponse => {
  switch (error._tag) {
    case "BadRequest":
      return openAiError(error.status, error.message, "invalid_request_error", { param: error.param, code: "invalid_body" })
    case "InvalidProvider":
      return openAiError(400, error.message, "invalid_request_error", { param: error.field, code: "invalid_provider" })
    case "DuplicateName":
      return openAiError(409, error.message, "invalid_request_error", { param: "name", code: "duplicate_name" })
    case "SecretsWouldMove":
      return openAiError(409, error.message, "invalid_request_error", { param: "confirmKeepSecrets", code: "secrets_would_move" })
    case "UnknownProvider":
    case "ProviderNotFound":
      return openAiError(404, error.message, "not_found_error", { param: "id", code: "provider_not_found" })
    case "ConfigError":
      return openAiError(500, `${error.path}: ${error.message}`, "server_error", { code: "config_error" })
    case "SecretStoreError":
      return openAiError(500, `${error.backend}: ${error.message}`, "server_error", { code: "secret_store_error" })
  }
}

/** Answers an admin handler's failures with `renderAdminError`. */
export const answerErrors = <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, AdminError, R>) =>
  Effect.catch(handler, (error) => Effect.succeed(renderAdminError(error)))
