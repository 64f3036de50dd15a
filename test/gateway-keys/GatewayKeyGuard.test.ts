/**
 * The gateway-key middleware over HTTP, as a table: what passes, and each refusal in the format
 * of the endpoint called. The routes behind it only answer "passed"; `Gateway.layerAppFor` puts
 * the middleware in front of the real ones on non-loopback addresses only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClient, HttpClientRequest, HttpRouter, HttpServerResponse } from "effect/http"
import { NodeHttpServer } from "@effect/platform-node"
import { quickCheck, requireGatewayKey } from "../../src/gateway-keys/GatewayKeyGuard.ts"
import { GatewayKeys } from "../../src/gateway-keys/GatewayKeys.ts"
import * as Gateway from "../../src/Gateway.ts"

const GOOD = "sb-good-key-for-the-guard-test"
const BAD = "sb-not-a-key"

const Passed = HttpRouter.add("*", "/*", Effect.succeed(HttpServerResponse.text("passed")))

const app = HttpRouter.serve(Passed, { disableLogger: true, disableListenLog: true, middleware: requireGatewayKey }).pipe(
  Layer.provide(GatewayKeys.layerTest([GOOD])),
  Layer.provideMerge(NodeHttpServer.layerTest)
)

type Expect = "pass" | { readonly shape: "openai" | "anthropic" | "responses"; readonly code: "gateway_key_required" | "invalid_gateway_key" }

const cases: ReadonlyArray<readonly [string, string, Record<string, string>, Expect]> = [
  ["GET", "/health", {}, "pass"],
  ["GET", "/", {}, "pass"],
  ["GET", "/assets/index-abc123.js", {}, "pass"],
  ["POST", "/health", {}, { shape: "openai", code: "gateway_key_required" }],
  ["GET", "/healthz", {}, { shape: "openai", code: "gateway_key_required" }],
  ["POST", "/v1/chat/completions", {}, { shape: "openai", code: "gateway_key_required" }],
  ["POST", "/v1/chat/completions", { authorization: `Bearer ${GOOD}` }, "pass"],
  ["POST", "/v1/chat/completions", { "x-api-key": GOOD }, "pass"],
  ["POST", "/v1/chat/completions", { authorization: `Bearer ${BAD}` }, { shape: "openai", code: "invalid_gateway_key" }],
  ["POST", "/v1/chat/completions", { authorization: "Basic dXNlcjpwYXNz" }, { shape: "openai", code: "gateway_key_required" }],
  ["GET", "/v1/models?limit=5", { authorization: `Bearer ${BAD}`, "x-api-key": GOOD }, "pass"],
  ["GET", "/v1/providers", {}, { shape: "openai", code: "gateway_key_required" }],
  ["GET", "/admin/providers", { "x-api-key": BAD }, { shape: "openai", code: "invalid_gateway_key" }],
  ["POST", "/v1/messages", {}, { shape: "anthropic", code: "gateway_key_required" }],
  ["POST", "/v1/messages", { "x-api-key": BAD }, { shape: "anthropic", code: "invalid_gateway_key" }],
  ["POST", "/v1/messages/count_tokens", { "x-api-key": BAD }, { shape: "anthropic", code: "invalid_gateway_key" }],
  ["POST", "/v1/messages", { "x-api-key": GOOD }, "pass"],
  ["POST", "/v1/responses", {}, { shape: "responses", code: "gateway_key_required" }],
  ["POST", "/v1/responses", { authorization: `Bearer ${BAD}` }, { shape: "responses", code: "invalid_gateway_key" }],
  ["POST", "/v1/responses", { authorization: `Bearer ${GOOD}` }, "pass"]
]

describe("requireGatewayKey", () => {
  it.effect.each(cases)("%s %s %j → %j", ([method, path, headers, expected]) =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const request = HttpClientRequest.make(method as "GET" | "POST")(path).pipe(HttpClientRequest.setHeaders(headers))
      const response = yield* client.execute(request)
      const text = yield* response.text
      if (expected === "pass") {
        assert.strictEqual(response.status, 200, text)
        assert.strictEqual(text, "passed")
        return
      }
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.headers["www-authenticate"], "Bearer realm=\"switchboard\"")
      assert.notInclude(text, GOOD)
      assert.notInclude(text, BAD)
      const body = JSON.parse(text)
      switch (expected.shape) {
        case "anthropic":
          assert.strictEqual(body.type, "error")
          assert.strictEqual(body.error.type, "authentication_error")
          assert.include(body.error.message, expected.code === "gateway_key_required" ? "needs a gateway key" : "not valid")
          break
        case "openai":
          assert.deepInclude(body.error, { type: "authentication_error", code: expected.code, param: null })
          break
        case "responses":
          assert.strictEqual(body.error.code, expected.code)
          assert.isString(body.error.type)
          assert.isString(body.error.message)
          break
      }
    }).pipe(Effect.provide(app)))
})

describe("quickCheck: the check without waiting, over the cached hashes (the fast lane's)", () => {
  const isKnownCurrent = (key: string) => key === GOOD
  it.each([
    ["GET", "/health", {}, undefined],
    ["GET", "/assets/index-abc123.js", {}, undefined],
    ["POST", "/v1/chat/completions", {}, "gateway_key_required"],
    ["POST", "/v1/chat/completions", { authorization: "Basic dXNlcjpwYXNz" }, "gateway_key_required"],
    ["POST", "/v1/chat/completions", { authorization: `Bearer ${GOOD}` }, undefined],
    ["POST", "/v1/messages", { "x-api-key": GOOD }, undefined],
    ["POST", "/v1/messages", { authorization: `Bearer ${BAD}`, "x-api-key": GOOD }, undefined],
    // Not among the cached hashes: only the guard, which re-reads them, may refuse it.
    ["POST", "/v1/responses", { authorization: `Bearer ${BAD}` }, "unsure"]
  ] as const)("%s %s %j → %s", (method, path, headers, expected) => {
    assert.strictEqual(quickCheck(isKnownCurrent, method, path, headers), expected)
  })
})

describe("Gateway.layerAppFor", () => {
  it.each(["127.0.0.1", "localhost", "::1", "127.0.0.2"])("on %s is the plain app: no key needed", (host) => {
    assert.strictEqual(Gateway.layerAppFor({ host }), Gateway.layerApp)
  })
  it.each(["0.0.0.0", "::", "192.168.1.20"])("on %s requires keys", (host) => {
    assert.notStrictEqual(Gateway.layerAppFor({ host }), Gateway.layerApp)
  })
})
