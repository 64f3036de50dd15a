import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createServerHoldingEarlyRequests } from "../../src/http/EarlyRequests.ts"
import * as ServerLoad from "../../src/http/ServerLoad.ts"

describe("ServerLoad: open exchanges, counted at node's level", () => {
  const load = ServerLoad.make()
  const server = createServerHoldingEarlyRequests(undefined, load.track)
  let release: (() => void) | undefined
  let url = ""
  beforeAll(() =>
    new Promise<void>((resolve) => {
      server.on("request", (request, response) => {
        // `/slow` answers when released; anything else at once.
        if (request.url === "/slow") release = () => response.end("slow")
        else response.end(String(load.openRequests()))
      })
      server.listen(0, "127.0.0.1", () => {
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resolve()
      })
    })
  )
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it("counts a request until its answer ends, and one the caller abandons until it closes", async () => {
    expect(await (await fetch(`${url}/now`)).text()).toBe("1")
    const slow = fetch(`${url}/slow`)
    await expect.poll(() => release).toBeDefined()
    expect(await (await fetch(`${url}/now`)).text()).toBe("2")
    release?.()
    await (await slow).text()
    await expect.poll(() => load.openRequests()).toBe(0)

    const abort = new AbortController()
    release = undefined
    const abandoned = fetch(`${url}/slow`, { signal: abort.signal }).catch(() => "aborted")
    await expect.poll(() => release).toBeDefined()
    expect(load.openRequests()).toBe(1)
    abort.abort()
    expect(await abandoned).toBe("aborted")
    await expect.poll(() => load.openRequests()).toBe(0)
  })
})
