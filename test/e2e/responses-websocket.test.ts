/**
 * End to end: the Open Responses WebSocket transport (`/v1/responses` upgraded), driven by the
 * official `openai` SDK's own WebSocket client (`ResponsesWS`), against the real
 * `switchboard serve` in front of fake upstreams of all three formats, on both lanes.
 *
 * What the spec asks of the transport, each checked: a turn's events are the streamed HTTP
 * events (sequence numbers from 0, the terminal response); several turns run one after another on
 * one connection; `previous_response_id` continues from the connection's own responses with only
 * the new input (for a translated provider and a passed-through one alike: the upstream gets the
 * whole conversation); `generate: false` prepares the state without calling the model; a missing
 * or evicted previous response is `previous_response_not_found`; a failed continuation evicts what
 * it continued; errors are the `error` envelope with a `status` and a `code`; and the gateway-key
 * rule of every route holds for the upgrade.
 */
import { randomBytes } from "node:crypto"
import OpenAI from "openai"
import type { ResponsesClientEvent, ResponsesServerEvent } from "openai/resources/responses/responses"
import { ResponsesWS } from "openai/resources/responses/ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { anthropicProviderEntry, type FakeAnthropicUpstream, reply as anthropicReply, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import {
  failMidStream,
  type FakeResponsesUpstream,
  reply as responsesReply,
  responsesProviderEntry,
  startFakeResponsesUpstream
} from "../support/FakeResponsesUpstream.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"

const KEY_ANTH = `sk-ant-e2e-${randomBytes(16).toString("hex")}`

let oaUp: FakeOpenAiUpstream
let anthUp: FakeAnthropicUpstream
let respUp: FakeResponsesUpstream

/** A server event as JSON (the SDK's union is narrower than what a test reads). */
type Event = ResponsesServerEvent & { readonly [key: string]: unknown }
interface TurnResult {
  readonly events: ReadonlyArray<Event>
  /** The terminal response, or the error envelope. */
  readonly response: Record<string, any> | undefined
  readonly error: Record<string, any> | undefined
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"])

/**
 * Runs turns one after another on one connection: each message is sent once the previous turn
 * ended (a terminal response, or an `error` envelope); a message may be made from the turns before.
 */
const session = (
  url: string,
  messages: ReadonlyArray<Record<string, unknown> | ((turns: ReadonlyArray<TurnResult>) => Record<string, unknown>)>,
  apiKey = "unused"
): Promise<ReadonlyArray<TurnResult>> =>
  new Promise((resolve, reject) => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 })
    const ws = new ResponsesWS(client)
    const turns: Array<TurnResult> = []
    let events: Array<Event> = []
    const next = () => {
      const message = messages[turns.length]
      if (message === undefined) {
        ws.close()
        return resolve(turns)
      }
      ws.send((typeof message === "function" ? message(turns) : message) as unknown as ResponsesClientEvent)
    }
    const end = (result: TurnResult) => {
      turns.push(result)
      events = []
      next()
    }
    ws.on("event", (event) => {
      const e = event as Event
      events.push(e)
      if (e.type === "error") end({ events, response: undefined, error: e as Record<string, any> })
      else if (TERMINAL.has(e.type)) end({ events, response: (e as unknown as { response: Record<string, any> }).response, error: undefined })
    })
    // The SDK also reports an `error` envelope here; the `event` listener above has it.
    ws.on("error", () => {})
    ws.on("close", (code) => {
      if (turns.length < messages.length) reject(new Error(`the socket closed (${code}) after ${turns.length} turn(s)`))
    })
    next()
  })

const create = (model: string, input: unknown, extra: Record<string, unknown> = {}) => ({ type: "response.create", model, store: false, input, ...extra })

const texts = (response: Record<string, any> | undefined): string =>
  (response?.output ?? []).flatMap((item: any) => item.type === "message" ? item.content.map((part: any) => part.text) : []).join("")

beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({ models: { "gpt-4o-mini": reply() } })
  anthUp = await startFakeAnthropicUpstream({ apiKey: KEY_ANTH, models: { "claude-sonnet-4-5": anthropicReply() } })
  respUp = await startFakeResponsesUpstream({ models: { "gpt-5-mini": responsesReply(), "breaks": failMidStream } })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), anthUp?.close(), respUp?.close()])
})

describeEachLane("the Responses WebSocket transport", (lane) => {
  let switchboard: SwitchboardProcess
  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(oaUp, "oa"),
          anthropicProviderEntry(anthUp, "anth"),
          responsesProviderEntry(respUp, "resp")
        ]
      },
      env: { SWITCHBOARD_KEY_ANTH: KEY_ANTH, ...lane.env }
    })
    for (const id of ["oa", "anth", "resp"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
  }, 60_000)
  afterAll(async () => {
    await switchboard?.stop()
  })

  it.each(["oa/gpt-4o-mini", "anth/claude-sonnet-4-5", "resp/gpt-5-mini"])("a turn to %s: the streamed events, numbered from 0, ending with the completed response", async (model) => {
    const [turn] = await session(switchboard.url, [create(model, "Count from 1 to 3.")])
    expect(turn!.error).toBeUndefined()
    expect(turn!.events[0]!.type).toBe("response.created")
    expect(turn!.events.map((event) => event.sequence_number)).toEqual(turn!.events.map((_, i) => i))
    expect(turn!.events.map((event) => event.type)).toContain("response.output_text.delta")
    expect(turn!.response).toMatchObject({ object: "response", status: "completed", previous_response_id: null })
    expect(texts(turn!.response)).not.toBe("")
  })

  it("several turns on one connection, one after another", async () => {
    const turns = await session(switchboard.url, [create("oa/gpt-4o-mini", "first"), create("resp/gpt-5-mini", "second"), create("anth/claude-sonnet-4-5", "third")])
    expect(turns.map((turn) => turn.response?.status)).toEqual(["completed", "completed", "completed"])
    expect(texts(turns[0]!.response)).toContain("first")
    expect(texts(turns[2]!.response)).toContain("third")
  })

  it.each([
    ["oa/gpt-4o-mini", "a translated provider"],
    ["resp/gpt-5-mini", "a passed-through provider"]
  ])("continues from the connection's previous response with only the new input (%s: %s)", async (model) => {
    const marker = randomBytes(4).toString("hex")
    const turns = await session(switchboard.url, [
      create(model, `Remember the code word ${marker}.`),
      (before) => create(model, "What is the code word?", { previous_response_id: before[0]!.response!.id })
    ])
    expect(turns[1]!.response).toMatchObject({ status: "completed", previous_response_id: turns[0]!.response!.id })
    // The upstream got the whole conversation: the first turn, its answer, the new input.
    const upstream = model.startsWith("oa/") ? oaUp : respUp
    const last = upstream.requests.filter((r) => r.rawBody.includes(marker)).at(-1)!
    const body = JSON.parse(last.rawBody) as Record<string, unknown>
    expect(body["previous_response_id"]).toBeUndefined()
    expect(last.rawBody).toContain(`Remember the code word ${marker}.`)
    expect(last.rawBody).toContain(texts(turns[0]!.response))
    expect(last.rawBody).toContain("What is the code word?")
  })

  it("generate: false prepares the state without calling the model; the next turn continues from it", async () => {
    const marker = randomBytes(4).toString("hex")
    const before = oaUp.requests.length
    const turns = await session(switchboard.url, [
      create("oa/gpt-4o-mini", `Prepare: ${marker}`, { generate: false }),
      (earlier) => create("oa/gpt-4o-mini", "Reply with exactly: warmed", { previous_response_id: earlier[0]!.response!.id })
    ])
    expect(turns[0]!.response).toMatchObject({ status: "completed", output: [] })
    expect(turns[0]!.events.map((event) => event.type)).toEqual(["response.created", "response.completed"])
    expect(turns[1]!.response).toMatchObject({ status: "completed" })
    // One upstream call, for the second turn, with the warm-up's input in it.
    const calls = oaUp.requests.slice(before).filter((r) => r.rawBody.includes(marker))
    expect(calls).toHaveLength(1)
    expect(calls[0]!.rawBody).toContain("Reply with exactly: warmed")
  })

  it("an unknown previous response is previous_response_not_found, in the spec's error envelope", async () => {
    const [turn] = await session(switchboard.url, [create("oa/gpt-4o-mini", "Hello", { previous_response_id: "resp_missing" })])
    expect(turn!.error).toMatchObject({
      type: "error",
      status: 400,
      error: { code: "previous_response_not_found", param: "previous_response_id" }
    })
  })

  it("a failed continuation evicts the response it continued", async () => {
    const turns = await session(switchboard.url, [
      create("oa/gpt-4o-mini", "Remember: ember."),
      (before) =>
        create("oa/gpt-4o-mini", [{ type: "function_call_output", call_id: "call_missing", output: "no such call" }], {
          previous_response_id: before[0]!.response!.id
        }),
      (before) => create("oa/gpt-4o-mini", "Continue after the failure.", { previous_response_id: before[0]!.response!.id })
    ])
    expect(turns[0]!.response?.status).toBe("completed")
    expect(turns[1]!.error).toMatchObject({ status: 400, error: { code: "invalid_request_error", param: "input[0]" } })
    expect(turns[1]!.error!["error"].message).toContain("call_missing")
    expect(turns[2]!.error).toMatchObject({ status: 400, error: { code: "previous_response_not_found" } })
  })

  it("errors of a turn are error envelopes with the status and code the HTTP answer had; the connection goes on", async () => {
    const turns = await session(switchboard.url, [
      create("nope/no-such-model", "Hello"),
      { type: "response.create", model: "oa/gpt-4o-mini", input: "Hello", stream: true },
      { type: "response.cancel" },
      create("oa/gpt-4o-mini", "still here")
    ])
    expect(turns[0]!.error).toMatchObject({ type: "error", status: 404, error: { code: "model_not_found" } })
    expect(turns[1]!.error).toMatchObject({ status: 400, error: { code: "unsupported_parameter", param: "stream" } })
    expect(turns[2]!.error).toMatchObject({ status: 400, error: { code: "unknown_event_type", param: "type" } })
    expect(turns[3]!.response?.status).toBe("completed")
  })

  it("an upstream failing mid-answer: the stream's error event, with a status (the turn ends there)", async () => {
    const [turn] = await session(switchboard.url, [create("resp/breaks", "Hello")])
    const types = turn!.events.map((event) => event.type)
    expect(types).toContain("error")
    const error = turn!.events.find((event) => event.type === "error")!
    expect(typeof error["status"]).toBe("number")
  })

  it("a request to /v1/responses without Upgrade is still the HTTP API (GET is not allowed)", async () => {
    const response = await fetch(`${switchboard.url}/v1/responses`)
    expect(response.status).toBe(405)
  })
})

describe("the WebSocket transport behind gateway keys (server on 0.0.0.0)", () => {
  const key = `sb-ws-${randomBytes(12).toString("hex")}`
  let switchboard: SwitchboardProcess
  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: { version: 1, providers: [providerEntry(oaUp, "oa")] },
      env: { SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_GATEWAY_KEYS: key }
    })
    await waitUntil("the provider connected", async () => {
      const list = await (await fetch(`${switchboard.url}/v1/providers`, { headers: { authorization: `Bearer ${key}` } })).json() as { data: Array<{ id: string; state: string }> }
      return list.data.find((p) => p.id === "oa" && p.state === "connected")
    }, 30_000)
  }, 60_000)
  afterAll(async () => {
    await switchboard?.stop()
  })

  it("the upgrade without a key is refused with the Responses 401; with the key, turns are served", async () => {
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${switchboard.url.replace("http", "ws")}/v1/responses`)
      ws.on("unexpected-response", (_request, response) => {
        let body = ""
        response.on("data", (chunk: Buffer) => (body += String(chunk)))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }))
      })
      ws.on("open", () => reject(new Error("the upgrade was accepted without a key")))
      ws.on("error", () => {})
    })
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "gateway_key_required" } })
    const [turn] = await session(switchboard.url, [create("oa/gpt-4o-mini", "Hello")], key)
    expect(turn!.response?.status).toBe("completed")
  })
})
