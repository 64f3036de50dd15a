/**
 * Callers that misbehave: they leave while still sending, while waiting for the answer, or in the
 * middle of a stream — and the upstream call must be cancelled with them (checked on the upstream
 * side: the fake records that its request was closed early); or they read a large, fast stream
 * very slowly — and Switchboard must not buffer it for them (backpressure: the upstream is only
 * asked for what the caller takes, and the server's memory stays bounded).
 *
 * Plain `node:http` / `node:net` clients, so the test decides exactly when a connection is cut.
 */
import { request as httpRequest, type IncomingMessage } from "node:http"
import { connect } from "node:net"
import { randomUUID } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream, providerEntry as healthyEntry } from "../support/FakeOpenAiUpstream.ts"
import { type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"
import { type Api, APIS, ask } from "./support/Clients.ts"
import { type MisbehavingUpstream, providerEntry, startMisbehavingUpstream } from "./support/MisbehavingUpstream.ts"
import { rssMiB, serverPid, socketCount } from "./support/ProcessStats.ts"
import { capture, checkNoLeaksAfterAll, secretEnv, startCapturedSwitchboard, TestSecrets, withSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

const PATHS: Record<Api, string> = { openai: "/v1/chat/completions", anthropic: "/v1/messages", responses: "/v1/responses" }

/** A request body for `api` whose prompt is `marker` (it survives translation, so the upstream request can be found by it). */
const bodyFor = (api: Api, model: string, marker: string, stream: boolean): string => {
  switch (api) {
    case "openai":
      return JSON.stringify({ model, stream, messages: [{ role: "user", content: marker }] })
    case "anthropic":
      return JSON.stringify({ model, stream, max_tokens: 64, messages: [{ role: "user", content: marker }] })
    case "responses":
      return JSON.stringify({ model, stream, input: marker })
  }
}

/** Sends a whole request; resolves with the response once its headers are in (the body is the caller's to read or drop). */
const send = (url: string, api: Api, body: string, onRequest: (cut: () => void) => void = () => {}) =>
  new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${url}${PATHS[api]}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TestSecrets.callerKey}`, "x-api-key": TestSecrets.callerKey }
    }, resolve)
    req.on("error", reject)
    req.end(body)
    onRequest(() => req.destroy())
  })

describe.each([{ fastLane: true }, { fastLane: false }])("client faults (fast lane: $fastLane)", ({ fastLane }) => {
  let bad: MisbehavingUpstream
  let good: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let pid: number
  let baselineSockets: number

  const withMarker = (marker: string) => (r: { rawBody: string }) => r.rawBody.includes(marker)

  beforeAll(async () => {
    ;[bad, good] = await Promise.all([startMisbehavingUpstream({ bigBytes: 512 * 1024 * 1024 }), startFakeOpenAiUpstream()])
    switchboard = await startCapturedSwitchboard({
      config: {
        version: 1,
        // A long timeout: here it is the caller who gives up, never the gateway.
        providers: [providerEntry(bad, "bad", { ...withSecrets, timeoutSeconds: 60 }), healthyEntry(good, "good")]
      },
      env: { ...secretEnv("bad"), SWITCHBOARD_FAST_LANE: String(fastLane) }
    })
    await Promise.all([waitForProvider(switchboard.url, "bad", "connected"), waitForProvider(switchboard.url, "good", "connected")])
    pid = serverPid(switchboard.port)
    baselineSockets = socketCount(pid)
  })
  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([bad?.close(), good?.close()])
  })

  const expectHealthy = async () => {
    expect(await ask(switchboard.url, "openai", "good/gpt-4o-mini", { stream: false })).toMatchObject({ _tag: "Answer" })
  }

  it("a caller that leaves with its body half-sent costs no upstream call, and its socket is closed", async () => {
    for (const api of APIS) {
      const marker = `half-sent-${randomUUID()}`
      const body = bodyFor(api, "bad/ok", marker, false)
      const socket = connect(switchboard.port, "127.0.0.1")
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
      socket.write(
        `POST ${PATHS[api]} HTTP/1.1\r\nHost: 127.0.0.1:${switchboard.port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, Math.floor(body.length / 2))}`
      )
      await new Promise((r) => setTimeout(r, 200))
      socket.destroy()
      await expectHealthy()
      expect(bad.requests.filter(withMarker(marker))).toEqual([])
    }
    await waitUntil("the server's sockets back to their baseline", async () => socketCount(pid) <= baselineSockets ? true : undefined, 30_000)
  })

  it.each(APIS)("%s: a caller that leaves before the answer cancels the upstream request", async (api) => {
    const marker = `leaves-early-${randomUUID()}`
    // `stall` never answers a non-streaming request: the caller gives up first.
    const response = send(switchboard.url, api, bodyFor(api, "bad/stall", marker, false), (cut) => {
      void bad.waitFor(withMarker(marker)).then(cut)
    })
    await expect(response).rejects.toThrow()
    const upstream = await bad.waitFor(withMarker(marker))
    await bad.waitFor(() => upstream.closedEarly)
    await expectHealthy()
  })

  it.each(APIS)("%s: a caller that leaves mid-stream cancels the upstream stream", async (api) => {
    const marker = `mid-stream-${randomUUID()}`
    const response = await send(switchboard.url, api, bodyFor(api, "bad/endless", marker, true))
    expect(response.statusCode).toBe(200)
    // Some of the stream, then the caller hangs up.
    let seen = ""
    await new Promise<void>((resolve) => {
      response.on("data", (chunk: Buffer) => {
        seen += chunk.toString("utf8")
        if (seen.includes("tick 3")) resolve()
      })
    })
    capture(`${api} endless stream`, seen)
    response.destroy()
    const upstream = await bad.waitFor(withMarker(marker))
    await bad.waitFor(() => upstream.closedEarly)
    await expectHealthy()
  })

  it.each(APIS)("%s: a slow reader of a large fast stream holds back the upstream, not the gateway's memory", async (api) => {
    const marker = `slow-reader-${randomUUID()}`
    const rssBefore = rssMiB(pid)
    const writtenBefore = bad.bigBytesWritten()
    const response = await send(switchboard.url, api, bodyFor(api, "bad/big", marker, true))
    expect(response.statusCode).toBe(200)
    // One chunk, then the caller stops reading (its socket buffer fills, then the gateway's).
    await new Promise<void>((resolve) => response.once("data", () => resolve()))
    response.pause()
    // Wait until the upstream has been stopped: it writes nothing for a second.
    let last = -1
    await waitUntil("the upstream to be held back", async () => {
      const now = bad.bigBytesWritten()
      const still = now === last
      last = now
      await new Promise((r) => setTimeout(r, 1_000))
      return still ? true : undefined
    }, 45_000)
    const writtenMiB = (bad.bigBytesWritten() - writtenBefore) / 1024 / 1024
    const grownMiB = rssMiB(pid) - rssBefore
    console.info(`${api} slow reader (fast lane ${fastLane}): upstream wrote ${writtenMiB.toFixed(1)} MiB of 512, server RSS grew ${grownMiB.toFixed(1)} MiB`)
    // The stream is 512 MiB. Held back, only socket and stream buffers are in flight (a few MiB
    // per hop); generous bounds, so only buffering without limit fails.
    expect(writtenMiB).toBeLessThan(128)
    expect(grownMiB).toBeLessThan(192)
    response.destroy()
    const upstream = await bad.waitFor(withMarker(marker))
    await bad.waitFor(() => upstream.closedEarly)
    await expectHealthy()
  }, 90_000)

  it("after all of it, the server's sockets are back to their baseline", async () => {
    await waitUntil("the server's sockets back to their baseline", async () => socketCount(pid) <= baselineSockets ? true : undefined, 30_000)
  })
})
