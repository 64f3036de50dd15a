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

describe("createServerHoldingEarlyRequests with a front handler", () => {
  it("sees every request first, early ones included, and passes the rest to the app in order", async () => {
    const server = createServerHoldingEarlyRequests((request, response, next) => {
      if (request.url === "/front") response.end("front")
      else next(request, response)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text())
    // Before the app exists: the front answers its own, the others wait for the app.
    assert.strictEqual(await get("/front"), "front")
    const early = get("/early")
    await new Promise((r) => setTimeout(r, 50))
    server.on("request", (request, response) => response.end(`app ${request.url}`))
    assert.strictEqual(await early, "app /early")
    assert.deepStrictEqual(await Promise.all([get("/front"), get("/late")]), ["front", "app /late"])
    // The app's listener is reached through the front only: a request is answered once.
    assert.strictEqual(server.listenerCount("request"), 1)
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
})
