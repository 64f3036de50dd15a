/** What a failed admin call tells its user (the CLI and the page both show it), as a table. */
import { Schema, SchemaIssue } from "effect"
import { HttpClientError, HttpClientRequest, HttpClientResponse } from "effect/http"
import { describe, expect, it } from "vitest"
import { Conflict, GatewayKeyNeeded, NotFound } from "../../src/admin/AdminApi.ts"
import { type AdminCallError, type AdminCallFailure, callFailure } from "../../src/admin/AdminApiClient.ts"

const request = HttpClientRequest.get("http://127.0.0.1:1337/admin/providers/x")
const body = (message: string, code: string | null) => ({ error: { message, type: "invalid_request_error", param: null, code } })

describe("AdminApiClient.callFailure", () => {
  it.each<[string, AdminCallError, AdminCallFailure]>([
    ["an error of the API's", new Conflict(body("name taken", "duplicate_name")), { message: "name taken", code: "duplicate_name", unreachable: false }],
    ["a 404", new NotFound(body("no provider with id x", "provider_not_found")), { message: "no provider with id x", code: "provider_not_found", unreachable: false }],
    ["a refused gateway key", new GatewayKeyNeeded(body("a gateway key is required", "gateway_key_required")), { message: "a gateway key is required", code: "gateway_key_required", unreachable: false }],
    [
      "no server",
      new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause: new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1337") }) }) }),
      { message: "connect ECONNREFUSED 127.0.0.1:1337", code: null, unreachable: true }
    ],
    [
      "a status the definition does not declare",
      new HttpClientError.HttpClientError({ reason: new HttpClientError.StatusCodeError({ request, response: HttpClientResponse.fromWeb(request, new Response("", { status: 502 })) }) }),
      { message: "GET /admin/providers/x answered 502", code: null, unreachable: false }
    ],
    [
      "an answer off the definition",
      new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: "Expected string" })),
      { message: "off the admin API's definition: Expected string", code: null, unreachable: false }
    ]
  ])("%s", (_name, error, failure) => {
    expect(callFailure(error)).toEqual(failure)
  })
})
