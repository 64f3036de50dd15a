/**
 * End to end: the status of every output item in an Open Responses stream, read with the official
 * `openai` client (`client.responses.stream`, `client.responses.create({ stream: true })`) and as
 * raw SSE, from the real `switchboard serve` in front of fake upstreams of every format, on both
 * lanes.
 *
 * - An answer cut by `max_output_tokens` ends with `response.incomplete`, and the item it stopped
 *   in is `incomplete` in its `output_item.done` and in the final response — as not streamed —
 *   behind an OpenAI Chat upstream (`finish_reason: "length"`), an Anthropic one
 *   (`stop_reason: "max_tokens"`), the local model (when it can run here), and a Responses
 *   upstream passed through (its own events, untouched).
 * - An upstream that fails mid-answer — an OpenAI-format upstream whose connection resets, an
 *   Anthropic `overloaded_error` event — leaves the cut-off item closed as `incomplete` (its done
 *   events) before `error` and `response.failed`, whose `output` says the same.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI, { APIError } from "openai"
import type { ResponseStreamEvent } from "openai/resources/responses/responses"
import { afterAll, beforeAll, expect, it } from "vitest"
import {
  anthropicProviderEntry,
  type FakeAnthropicUpstream,
  overloadedMidStream,
  replyWithinLimit as anthropicReplyWithinLimit,
  startFakeAnthropicUpstream
} from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, replyWithinLimit, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { type FakeResponsesUpstream, reply as responsesReply, responsesProviderEntry, startFakeResponsesUpstream } from "../support/FakeResponsesUpstream.ts"
import { upstreamEntry } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { localModelSkip, MODEL } from "../support/LocalModel.ts"
import { breakAfterFirst, type ScriptedUpstream, startScriptedUpstream } from "../support/ScriptedUpstream.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const KEY_ANTH = "sk-ant-item-statuses-0123456789abcdef"
const COUNT = "1, 2, 3, 4, 5."

if (localModelSkip !== undefined) console.warn(`[switchboard] item statuses behind the local model will be SKIPPED: ${localModelSkip}`)

let oaUp: FakeOpenAiUpstream
let anthUp: FakeAnthropicUpstream
let respUp: FakeResponsesUpstream
let cutUp: ScriptedUpstream

beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({ models: { "counter": replyWithinLimit(COUNT) } })
  anthUp = await startFakeAnthropicUpstream({
    apiKey: KEY_ANTH,
    models: { "claude-counter": anthropicReplyWithinLimit(COUNT), "claude-overloaded": overloadedMidStream("Once upon a") }
  })
  respUp = await startFakeResponsesUpstream({ models: { "gpt-counter": responsesReply(COUNT) } })
  // An OpenAI-format upstream whose stream resets after its first words ("cut started ").
  cutUp = await startScriptedUpstream("cut", { "resets": [breakAfterFirst] })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), anthUp?.close(), respUp?.close(), cutUp?.close()])
})

/** SSE text as its JSON events (`[DONE]` left out). */
const sseData = (text: string): Array<{ readonly type: string; readonly [key: string]: any }> =>
  text.split("\n\n").flatMap((block) => {
    const data = block.split("\n").find((line) => line.startsWith("data: "))?.slice("data: ".length)
    return data === undefined || data === "[DONE]" ? [] : [JSON.parse(data)]
  })

/** The status of each `output_item.done`, in order. */
const doneStatuses = (events: ReadonlyArray<{ readonly type: string; readonly item?: unknown }>) =>
  events.flatMap((event) => event.type === "response.output_item.done" ? [(event.item as { readonly status: string }).status] : [])

/** Each output item's status (every item Switchboard writes has one). */
const statuses = (output: ReadonlyArray<object>) => output.map((item) => "status" in item ? item.status : "none")

describeEachLane("Responses item statuses", (lane) => {
  let switchboard: SwitchboardProcess
  let client: OpenAI
  let home: string

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "switchboard-item-statuses-"))
    const local = localModelSkip === undefined
    if (local) {
      mkdirSync(join(home, "models"))
      symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    }
    writeRemoteConfig(home, {
      version: 1,
      providers: [
        providerEntry(oaUp, "oa"),
        anthropicProviderEntry(anthUp, "anth"),
        responsesProviderEntry(respUp, "resp"),
        upstreamEntry(cutUp, "cut", { format: "openai", auth: "none" })
      ],
      ...(local ? { local: { maxQueue: 2 } } : {})
    })
    switchboard = await startSwitchboard({ home, env: { SWITCHBOARD_KEY_ANTH: KEY_ANTH, ...lane.env } })
    for (const id of ["oa", "anth", "resp", "cut", ...(local ? ["local"] : [])]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  const cutByLimit = [
    ["an OpenAI Chat upstream (finish_reason: length)", "oa/counter", false],
    ["an Anthropic upstream (stop_reason: max_tokens)", "anth/claude-counter", false],
    ["the local model", "local/stories260K", localModelSkip !== undefined],
    ["a Responses upstream, passed through", "resp/gpt-counter", false]
  ] as const

  for (const [upstream, model, skip] of cutByLimit) {
    it.skipIf(skip)(`behind ${upstream}, an answer cut by max_output_tokens leaves its item incomplete, streamed as not`, async () => {
      const params = { model, input: "Count from 1 to 5.", max_output_tokens: 2, temperature: 0 }
      const stream = client.responses.stream(params)
      const events: Array<ResponseStreamEvent> = []
      for await (const event of stream) events.push(event)
      const final = await stream.finalResponse()

      expect(events.at(-1)?.type).toBe("response.incomplete")
      expect(doneStatuses(events)).toEqual(["incomplete"])
      expect(final).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } })
      expect(statuses(final.output)).toEqual(["incomplete"])
      expect(final.output_text.length).toBeGreaterThan(0)

      const whole = await client.responses.create(params)
      expect(whole).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } })
      expect(statuses(whole.output)).toEqual(["incomplete"])
    })
  }

  const failing = [
    ["an OpenAI-format upstream whose connection resets", "cut/resets", "cut started"],
    ["an Anthropic upstream's overloaded_error event", "anth/claude-overloaded", "Once upon a"]
  ] as const

  for (const [upstream, model, partial] of failing) {
    it(`behind ${upstream} mid-answer, the cut-off item is closed incomplete before the error, and response.failed says so`, async () => {
      const input = `fail mid-answer (${lane.name})`
      // What the SDK reads: the item's done events, then the error event it throws.
      const stream = await client.responses.create({ model, input, stream: true })
      const events: Array<ResponseStreamEvent> = []
      let thrown: unknown
      try {
        for await (const event of stream) events.push(event)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(APIError)
      const done = events.filter((event) => event.type === "response.output_item.done")
      expect(done).toEqual([expect.objectContaining({ item: expect.objectContaining({ type: "message", status: "incomplete" }) })])
      expect(JSON.stringify(done[0])).toContain(partial)

      // The bytes after the error the SDK stops at: response.failed with the same item.
      const raw = await fetch(`${switchboard.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, input, stream: true })
      })
      const wire = sseData(await raw.text())
      const types = wire.map((event) => event.type)
      expect(types.slice(-5)).toEqual([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "error",
        "response.failed"
      ])
      expect(doneStatuses(wire)).toEqual(["incomplete"])
      const failed = wire.at(-1)!.response
      expect(failed.status).toBe("failed")
      expect(failed.output).toEqual([wire.find((event) => event.type === "response.output_item.done")!.item])
    })
  }
})
