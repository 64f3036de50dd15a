/**
 * Every failure of an admin operation as one of the API's errors (AdminApi.ts), in the OpenAI error
 * shape `{ error: { message, type, param, code } }`: validation → 400 naming the field (413/415 for
 * a body too large or not JSON), unknown provider → 404, conflicts (duplicate name, secrets that
 * would follow a changed endpoint) → 409, the config file or secret store failing → 500 with their
 * own sentence (never a secret).
 */
import type { ConfigError } from "../config/ConfigStore.ts"
import type { InvalidVirtualModel, UnknownVirtualModel } from "../config/VirtualModelCatalog.ts"
import type { DuplicateName, InvalidProvider, SecretsWouldMove, UnknownProvider } from "../config/ProviderCatalog.ts"
import { openAiErrorBody } from "../http/OpenAiError.ts"
import type { BadRequest } from "../http/RequestBody.ts"
import type { ProviderNotFound } from "../providers/Providers.ts"
import type { SecretStoreError } from "../secrets/SecretStore.ts"
import { type AdminApiError, Conflict, InvalidRequest, NotFound, PayloadTooLarge, ServerError, UnsupportedMediaType } from "./AdminApi.ts"

export type AdminError =
  | BadRequest
  | InvalidProvider
  | DuplicateName
  | SecretsWouldMove
  | UnknownProvider
  | ProviderNotFound
  | ConfigError
  | SecretStoreError
  | InvalidVirtualModel
  | UnknownVirtualModel

/** The body of a request the gateway could not read: its own status (400, 413 or 415). */
const badRequest = (error: BadRequest): InvalidRequest | PayloadTooLarge | UnsupportedMediaType => {
  const body = openAiErrorBody(error.message, "invalid_request_error", { param: error.param, code: "invalid_body" })
  return error.status === 413 ? new PayloadTooLarge(body) : error.status === 415 ? new UnsupportedMediaType(body) : new InvalidRequest(body)
}

export const toApiError = (error: AdminError): AdminApiError => {
  switch (error._tag) {
    case "BadRequest":
      return badRequest(error)
    case "InvalidProvider":
      return new InvalidRequest(openAiErrorBody(error.message, "invalid_request_error", { param: error.field, code: "invalid_provider" }))
    case "DuplicateName":
      return new Conflict(openAiErrorBody(error.message, "invalid_request_error", { param: "name", code: "duplicate_name" }))
    case "SecretsWouldMove":
      return new Conflict(openAiErrorBody(error.message, "invalid_request_error", { param: "confirmKeepSecrets", code: "secrets_would_move" }))
    case "UnknownProvider":
    case "ProviderNotFound":
      return new NotFound(openAiErrorBody(error.message, "not_found_error", { param: "id", code: "provider_not_found" }))
    case "InvalidVirtualModel":
      return new InvalidRequest(openAiErrorBody(error.message, "invalid_request_error", { param: error.field, code: "invalid_virtual_model" }))
    case "UnknownVirtualModel":
      return new NotFound(openAiErrorBody(error.message, "not_found_error", { param: "name", code: "virtual_model_not_found" }))
    case "ConfigError":
      return new ServerError(openAiErrorBody(`${error.path}: ${error.message}`, "server_error", { code: "config_error" }))
    case "SecretStoreError":
      return new ServerError(openAiErrorBody(`${error.backend}: ${error.message}`, "server_error", { code: "secret_store_error" }))
  }
}
