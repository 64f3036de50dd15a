import { assert, describe, it } from "@effect/vitest"
import type { AddressInfo } from "node:net"
import { createServerHoldingEarlyRequests } from "../../src/http/EarlyRequests.ts"

describe("createServerHoldingEarlyRequests", () => {
  it("answers requests that arrived before the handler was attached, in order", async () => {
    const server = createServerHoldingEarlyRequests()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    const early = [1, 2].map((n) => fetch(`http://127.0.0.1:${port}/${n}`).then((r) => r.text()))
    // Both requests are on the server (held) before any handler exists.
    await new Promise<void>((resolve) => {
      const poll = () => server.getConnections((_, count) => (count >= 2 ? resolve() : setTimeout(poll, 5)))
      poll()
    })
    await new Promise((r) => setTimeout(r, 50))
    server.on("request", (request, response) => response.end(`handled ${request.url}`))
    assert.deepStrictEqual(await Promise.all(early), ["handled /1", "handled /2"])
    assert.strictEqual(await (await fetch(`http://127.0.0.1:${port}/3`)).text(), "handled /3")
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
})
