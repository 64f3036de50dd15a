/**
 * Stored responses end to end: the `openai` SDK against the real `switchboard serve` on 0.0.0.0
 * with two gateway keys (`SWITCHBOARD_GATEWAY_KEYS`), on both lanes. `store: true` keeps a
 * response; `retrieve`, `inputItems.list` and `delete` read it back; `previous_response_id` then
 * continues it through a translated provider (an OpenAI Chat upstream, which receives the whole
 * conversation) and a `responses` provider (which receives the whole conversation and no id); a
 * response belongs to its key (the other key gets 404); a streamed `store: true` is stored too.
 */
import { randomBytes } from "node:crypto"
import OpenAI, { BadRequestError, NotFoundError } from "openai"
import type { ResponsesClientEvent } from "openai/resources/responses/responses"
import { ResponsesWS } from "openai/resources/responses/ws"
import { afterAll, beforeAll, expect, it } from "vitest"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type FakeResponsesUpstream, reply as responsesReply, responsesProviderEntry, startFakeResponsesUpstream } from "../support/FakeResponsesUpstream.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { startSwitchboard, type SwitchboardProcess, waitUntil } from "../support/SwitchboardProcess.ts"
import { thrown } from "../support/Thrown.ts"

const KEY_A = `sb-stored-a-${randomBytes(12).toString("hex")}`
const KEY_B = `sb-stored-b-${randomBytes(12).toString("hex")}`

let oaUp: FakeOpenAiUpstream
let respUp: FakeResponsesUpstream

const requestWith = (requests: ReadonlyArray<RecordedRequest>, marker: string): RecordedRequest => {
  const found = requests.filter((r) => r.rawBody.includes(marker)).at(-1)
  if (!found) throw new Error(`the upstream received no request containing ${marker}`)
  return found
}

/** The echoed `store` (the SDK's `Response` type does not name it). */
const storeOf = (response: object): unknown => (response as { store?: unknown }).store

/** One turn over the WebSocket transport (a fresh connection): its terminal response, or the error event. */
const socketTurn = (client: OpenAI, message: Record<string, unknown>) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const ws = new ResponsesWS(client)
    ws.on("event", (event) => {
      const e = event as unknown as Record<string, unknown>
      if (e["type"] === "error" || e["type"] === "response.completed" || e["type"] === "response.failed" || e["type"] === "response.incomplete") {
        ws.close()
        resolve(e)
      }
    })
    ws.on("error", () => {})
    ws.on("close", () => reject(new Error("the socket closed before the turn ended")))
    ws.send({ type: "response.create", ...message } as unknown as ResponsesClientEvent)
  })

beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({ models: { "gpt-4o-mini": reply() } })
  respUp = await startFakeResponsesUpstream({ models: { "gpt-5-mini": responsesReply() } })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), respUp?.close()])
})

describeEachLane("stored responses", (lane) => {
  let switchboard: SwitchboardProcess
  let a: OpenAI
  let b: OpenAI

  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: { version: 1, providers: [providerEntry(oaUp, "oa"), responsesProviderEntry(respUp, "resp", { name: "Responses" })] },
      env: { ...lane.env, SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_GATEWAY_KEYS: `${KEY_A},${KEY_B}` }
    })
    for (const id of ["oa", "resp"]) {
      await waitUntil(`${id} connected`, async () => {
        const list = await (await fetch(`${switchboard.url}/v1/providers`, { headers: { authorization: `Bearer ${KEY_A}` } })).json() as { data?: Array<{ id: string; state: string }> }
        return list.data?.find((p) => p.id === id && p.state === "connected")
      }, 30_000)
    }
    a = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: KEY_A, maxRetries: 0 })
    b = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: KEY_B, maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
  })

  it("store: true → retrieve equal → previous_response_id through a translated provider → input_items → delete → 404", async () => {
    const marker = `first-${lane.fastLane}-${randomBytes(4).toString("hex")}`
    const first = await a.responses.create({ model: "oa/gpt-4o-mini", input: marker, store: true })
    expect(storeOf(first)).toBe(true)
    expect(first.output_text).toBe(`You said: ${marker}`)
    expect(await a.responses.retrieve(first.id)).toEqual(first)

    const second = await a.responses.create({ model: "oa/gpt-4o-mini", input: "and again", previous_response_id: first.id, store: true })
    expect(second.previous_response_id).toBe(first.id)
    expect(storeOf(second)).toBe(true)
    // The upstream received the whole conversation: the first turn, its answer, the new input.
    const upstream = requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), "and again")
    const messages = (upstream.body as { messages: Array<{ role: string; content: unknown }> }).messages
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"])
    expect(JSON.stringify(messages)).toContain(marker)
    expect(JSON.stringify(messages)).toContain(`You said: ${marker}`)

    const items = await a.responses.inputItems.list(second.id)
    expect(items.data.length).toBe(3)
    expect(JSON.stringify(items.data[0])).toContain("and again")
    expect(JSON.stringify(items.data[2])).toContain(marker)
    const ascending = await a.responses.inputItems.list(second.id, { order: "asc", limit: 1 })
    expect(ascending.data.length).toBe(1)
    expect(JSON.stringify(ascending.data[0])).toContain(marker)
    expect(ascending.has_more).toBe(true)

    expect(await a.responses.delete(first.id)).toEqual({ id: first.id, object: "response.deleted", deleted: true })
    expect(await thrown(() => a.responses.retrieve(first.id))).toBeInstanceOf(NotFoundError)
    expect(await thrown(() => a.responses.delete(first.id))).toBeInstanceOf(NotFoundError)
  }, 60_000)

  it("store: true for an unknown model: the gateway's 404 as it is, nothing stored", async () => {
    const error = (await thrown(() => a.responses.create({ model: "oa/no-such-model", input: "x", store: true }))) as NotFoundError
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.error).toMatchObject({ type: "not_found" })
  }, 60_000)

  it("another gateway key gets 404 for a stored response (retrieve, input_items, delete, previous_response_id)", async () => {
    const created = await a.responses.create({ model: "oa/gpt-4o-mini", input: "mine only", store: true })
    const notFound = (await thrown(() => b.responses.retrieve(created.id))) as NotFoundError
    expect(notFound).toBeInstanceOf(NotFoundError)
    expect(notFound.error).toMatchObject({ type: "not_found", code: "response_not_found" })
    expect(await thrown(() => b.responses.inputItems.list(created.id))).toBeInstanceOf(NotFoundError)
    expect(await thrown(() => b.responses.delete(created.id))).toBeInstanceOf(NotFoundError)
    // Not this key's: sent on as it is, and a translated provider refuses the id it cannot know.
    const refused = await thrown(() => b.responses.create({ model: "oa/gpt-4o-mini", input: "continue", previous_response_id: created.id }))
    expect(refused).toBeInstanceOf(BadRequestError)
    expect((refused as BadRequestError).error).toMatchObject({ param: "previous_response_id" })
    expect((await a.responses.retrieve(created.id)).id).toBe(created.id)
  }, 60_000)

  it("through a responses provider: stored here, continued with the whole conversation and neither field sent on; an id not stored here goes on as sent", async () => {
    const marker = `resp-first-${lane.fastLane}-${randomBytes(4).toString("hex")}`
    const first = await a.responses.create({ model: "resp/gpt-5-mini", input: marker, store: true })
    expect(storeOf(first)).toBe(true)
    const firstUp = requestWith(respUp.requestsTo("POST", "/v1/responses"), marker)
    expect(firstUp.body).not.toHaveProperty("store")
    expect(await a.responses.retrieve(first.id)).toEqual(first)

    const next = `resp-next-${randomBytes(4).toString("hex")}`
    const second = await a.responses.create({ model: "resp/gpt-5-mini", input: next, previous_response_id: first.id })
    expect(second.previous_response_id).toBe(first.id)
    const secondUp = requestWith(respUp.requestsTo("POST", "/v1/responses"), next)
    expect(secondUp.body).not.toHaveProperty("previous_response_id")
    const input = JSON.stringify((secondUp.body as { input: unknown }).input)
    expect(input).toContain(marker)
    expect(input).toContain(next)
    // Not stored (no store: true): not found here.
    expect(await thrown(() => a.responses.retrieve(second.id))).toBeInstanceOf(NotFoundError)

    const foreign = `resp_upstream_${randomBytes(6).toString("hex")}`
    const third = `resp-third-${randomBytes(4).toString("hex")}`
    await a.responses.create({ model: "resp/gpt-5-mini", input: third, previous_response_id: foreign })
    expect(requestWith(respUp.requestsTo("POST", "/v1/responses"), third).body).toMatchObject({ previous_response_id: foreign })
  }, 60_000)

  it("the usage ledger records the request sent on, once: the request id the caller gets is its row, with the model and tokens", async () => {
    const answer = await fetch(`${switchboard.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY_A}` },
      body: JSON.stringify({ model: "oa/gpt-4o-mini", input: "count me once", store: true })
    })
    expect(answer.status).toBe(200)
    const body = await answer.json() as { usage: { input_tokens: number; output_tokens: number } }
    const id = answer.headers.get("x-switchboard-request-id")
    const row = await waitUntil("the ledger row", async () => {
      const found = await fetch(`${switchboard.url}/admin/requests/${id}`, { headers: { authorization: `Bearer ${KEY_A}` } })
      return found.ok ? await found.json() as Record<string, unknown> : undefined
    })
    expect(row).toMatchObject({ path: "/v1/responses", requestedModel: "oa/gpt-4o-mini", status: 200, tokens: { input: body.usage.input_tokens, output: body.usage.output_tokens } })
  }, 60_000)

  it("a streamed store: true is relayed event by event and stored as it completed", async () => {
    const marker = `streamed-${lane.fastLane}-${randomBytes(4).toString("hex")}`
    const stream = await a.responses.create({ model: "oa/gpt-4o-mini", input: marker, store: true, stream: true })
    const types: Array<string> = []
    let completed: OpenAI.Responses.Response | undefined
    for await (const event of stream) {
      types.push(event.type)
      if (event.type === "response.completed") completed = event.response
    }
    expect(types[0]).toBe("response.created")
    expect(types).toContain("response.output_text.delta")
    expect(storeOf(completed!)).toBe(true)
    const retrieved = await a.responses.retrieve(completed!.id)
    expect(retrieved.status).toBe("completed")
    expect(retrieved.output_text).toBe(`You said: ${marker}`)
    expect(retrieved.output).toEqual(completed!.output)
  }, 60_000)

  it("the WebSocket transport: store: true keeps the turn's response; another connection continues it from the store", async () => {
    const marker = `socket-${lane.fastLane}-${randomBytes(4).toString("hex")}`
    const first = await socketTurn(a, { model: "oa/gpt-4o-mini", input: marker, store: true })
    expect(first["type"]).toBe("response.completed")
    const response = first["response"] as { id: string; store: unknown; output: unknown }
    expect(response.store).toBe(true)
    expect((await a.responses.retrieve(response.id)).output).toEqual(response.output)

    const next = `socket-next-${randomBytes(4).toString("hex")}`
    const second = await socketTurn(a, { model: "oa/gpt-4o-mini", input: next, previous_response_id: response.id })
    expect(second["type"]).toBe("response.completed")
    expect(second["response"]).toMatchObject({ previous_response_id: response.id })
    expect(JSON.stringify(requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), next).body)).toContain(marker)
    // Another key's connection does not find it.
    const refused = await socketTurn(b, { model: "oa/gpt-4o-mini", input: next, previous_response_id: response.id })
    expect(refused).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } })
  }, 60_000)
})
