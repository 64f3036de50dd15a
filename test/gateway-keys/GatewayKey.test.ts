/** Gateway keys as values: loopback addresses, presented keys, key format and hash matching, as tables. */
import { describe, expect, it } from "vitest"
import { generateKey, isLoopbackHost, KEY_PREFIX, matchesAny, presentedKeys, sha256 } from "../../src/gateway-keys/GatewayKey.ts"
import { formats } from "../../src/http/Formats.ts"

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.10", false],
    ["10.0.0.1", false],
    ["127.example.com", false],
    ["localhost.example.com", false],
    ["my-laptop", false],
    ["", false]
  ] as const)("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback)
  })
})

describe("presentedKeys", () => {
  it.each([
    [{}, []],
    [{ authorization: "Bearer sb-one" }, ["sb-one"]],
    [{ authorization: "bearer   sb-one " }, ["sb-one"]],
    [{ authorization: "Basic dXNlcjpwYXNz" }, []],
    [{ authorization: "Bearer" }, []],
    [{ "x-api-key": "sb-two" }, ["sb-two"]],
    [{ "x-api-key": "" }, []],
    [{ authorization: "Bearer sb-one", "x-api-key": "sb-two" }, ["sb-one", "sb-two"]]
  ] as const)("%j → %j", (headers, keys) => {
    expect(presentedKeys(headers)).toEqual(keys)
  })
})

describe("keys", () => {
  it("are the prefix and 32 random bytes in base64url, all different", () => {
    const keys = Array.from({ length: 20 }, generateKey)
    for (const key of keys) expect(key).toMatch(new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{43}$`))
    expect(new Set(keys).size).toBe(keys.length)
  })

  it("match by hash only, and only exactly", () => {
    const key = generateKey()
    const hashes = [sha256("sb-other"), sha256(key)]
    expect(matchesAny(hashes, key)).toBe(true)
    expect(matchesAny(hashes, key.slice(0, -1))).toBe(false)
    expect(matchesAny(hashes, `${key} `)).toBe(false)
    expect(matchesAny([], key)).toBe(false)
  })
})

describe("a caller's credentials never reach an upstream", () => {
  // The provider's own credentials are set after these (Forward.ts); the caller's gateway key must
  // not be among the headers passed through in the first place.
  it.each(Object.keys(formats) as ReadonlyArray<keyof typeof formats>)("%s passes neither authorization nor x-api-key", (name) => {
    const passed = formats[name].passThroughHeaders({
      authorization: "Bearer sb-gateway-key",
      "x-api-key": "sb-gateway-key",
      "anthropic-beta": "tools-2024-04-04"
    })
    expect(Object.keys(passed).map((h) => h.toLowerCase())).not.toContain("authorization")
    expect(Object.keys(passed).map((h) => h.toLowerCase())).not.toContain("x-api-key")
    expect(JSON.stringify(passed)).not.toContain("sb-gateway-key")
  })
})
