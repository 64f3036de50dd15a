/** The Host/Origin rule of the admin API, as a table. */
import { describe, expect, it } from "vitest"
import { refusal } from "../../src/admin/AdminGuard.ts"

describe("AdminGuard.refusal", () => {
  it.each([
    [{ host: "127.0.0.1:1337" }, undefined],
    [{ host: "localhost:1337" }, undefined],
    [{ host: "LOCALHOST" }, undefined],
    [{ host: "[::1]:1337" }, undefined],
    [{ host: "127.0.0.1:1337", origin: "http://127.0.0.1:1337" }, undefined],
    [{ host: "127.0.0.1:1337", origin: "http://localhost:1337" }, undefined],
    [{ host: "127.0.0.1:1337", origin: "http://[::1]:1337" }, undefined],
    [{}, "forbidden_host"],
    [{ host: "evil.example" }, "forbidden_host"],
    [{ host: "127.0.0.1.evil.example:1337" }, "forbidden_host"],
    [{ host: "localhost.evil.example" }, "forbidden_host"],
    [{ host: "[::2]:1337" }, "forbidden_host"],
    [{ host: "0.0.0.0:1337" }, "forbidden_host"],
    [{ host: "127.0.0.1:1337", origin: "http://evil.example" }, "forbidden_origin"],
    [{ host: "127.0.0.1:1337", origin: "http://127.0.0.1:8080" }, "forbidden_origin"],
    [{ host: "127.0.0.1:1337", origin: "https://127.0.0.1:1337" }, "forbidden_origin"],
    [{ host: "127.0.0.1:1337", origin: "null" }, "forbidden_origin"]
  ] as const)("%j → %s", (headers, code) => {
    expect(refusal(headers, 1337)?.code).toBe(code)
  })
})
