import { describe, expect, it } from "@effect/vitest"
import { errorBodyMessage, httpStatusError, transportError } from "../../src/providers/UpstreamError.ts"

/** An error as node and undici raise them: the code on the error or on its cause. */
const withCode = (code: string, nested = false) => {
  const error = Object.assign(new Error(`failed with ${code}`), { code })
  return nested ? new Error("fetch failed", { cause: error }) : error
}

describe("transportError", () => {
  it.each([
    ["ECONNREFUSED", "connection refused"],
    ["ENOTFOUND", "host not found"],
    ["EAI_AGAIN", "host not found"],
    ["ECONNRESET", "connection reset"],
    ["UND_ERR_SOCKET", "connection reset"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "TLS error (ERR_TLS_CERT_ALTNAME_INVALID)"],
    // TLS spoken to a plain-HTTP port: OpenSSL's code, not node's.
    ["ERR_SSL_WRONG_VERSION_NUMBER", "TLS error (ERR_SSL_WRONG_VERSION_NUMBER)"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "TLS error (DEPTH_ZERO_SELF_SIGNED_CERT)"],
    ["EHOSTUNREACH", "EHOSTUNREACH"]
  ])("%s is \"%s\", retryable", (code, what) => {
    for (const nested of [false, true]) {
      const error = transportError("api.example.com", withCode(code, nested))
      expect(error.message).toBe(`cannot reach api.example.com: ${what}`)
      expect(error.retryable).toBe(true)
    }
  })

  it("falls back to the cause's message", () => {
    expect(transportError("h", new Error("socket hang up")).message).toBe("cannot reach h: socket hang up")
  })
})

describe("httpStatusError", () => {
  it.each([
    [401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}", "401 Unauthorized from h: Incorrect API key provided", false],
    [429, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}", "429 Too Many Requests from h: slow down", true],
    [502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "502 Bad Gateway from h: 502 Bad Gateway", true],
    [503, "", "503 Service Unavailable from h", true]
  ])("%i", (status, body, message, retryable) => {
    const error = httpStatusError("h", status, body)
    expect(error.message).toBe(message)
    expect(error.retryable).toBe(retryable)
    expect(error.status).toBe(status)
  })

  it("shortens a long page to 200 characters", () => {
    expect(errorBodyMessage(`<p>${"x".repeat(500)}</p>`)).toBe(`${"x".repeat(200)}…`)
  })
})
