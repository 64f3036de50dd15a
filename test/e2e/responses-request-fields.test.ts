/**
 * End to end: request fields of the Responses API that a translation must neither drop nor fake,
 * with the official `openai` client (`client.responses.create`, streamed and not) against the real
 * `switchboard serve`, in front of a fake OpenAI Chat upstream (`oa`), a fake Anthropic upstream
 * (`anth`) and, when it can run here, the local model (`local/stories260K`):
 *
 * - `instructions` is echoed as sent;
 * - `store: true` is stored by Switchboard and echoed; `truncation: "auto"` is refused with a 400
 *   naming it (nothing truncates); left out or `false`/`disabled` they are accepted and echoed so;
 * - `tool_choice: {type: "allowed_tools"}` reaches OpenAI Chat as its own `allowed_tools`, and
 *   Anthropic as the allowed tools only (`required` → `any`);
 * - errors found after the translation (the provider's encoder, the local engine) name the
 *   caller's own fields (`input[0].content[1]`, `text.format`), not Chat Completions ones.
 */
import { randomBytes } from "node:crypto"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI, { BadRequestError } from "openai"
import type { Response, Tool } from "openai/resources/responses/responses"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { anthropicProviderEntry, type FakeAnthropicUpstream, reply as anthropicReply, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { localModelSkip, MODEL } from "../support/LocalModel.ts"
import { type SwitchboardProcess, startSwitchboard, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const KEY_ANTH = `sk-ant-e2e-${randomBytes(16).toString("hex")}`
const TRANSLATED = ["oa/gpt-4o-mini", "anth/claude-sonnet-4-5"] as const

let oaUp: FakeOpenAiUpstream
let anthUp: FakeAnthropicUpstream
let switchboard: SwitchboardProcess
let home: string
let client: OpenAI

const thrown = async (f: () => Promise<unknown>): Promise<BadRequestError> => {
  try {
    await f()
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError)
    return error as BadRequestError
  }
  throw new Error("expected an error")
}

/** The upstream request whose body holds `marker`. */
const requestWith = (requests: ReadonlyArray<RecordedRequest>, marker: string): RecordedRequest => {
  const found = requests.find((r) => r.rawBody.includes(marker))
  if (!found) throw new Error(`the upstream received no request containing ${marker}`)
  return found
}

/** Nothing reached either upstream with `marker`: a refused request costs nothing. */
const reachedNoUpstream = (marker: string) => {
  expect([...oaUp.requests, ...anthUp.requests].some((r) => r.rawBody.includes(marker))).toBe(false)
}

/** The final resource of a streamed response, and the one `response.created` carried. */
const streamed = async (params: OpenAI.Responses.ResponseCreateParamsStreaming): Promise<{ created: Response; final: Response }> => {
  let created: Response | undefined
  let final: Response | undefined
  for await (const event of await client.responses.create(params)) {
    if (event.type === "response.created") created = event.response
    if (event.type === "response.completed") final = event.response
  }
  if (created === undefined || final === undefined) throw new Error("the stream had no response.created or response.completed")
  return { created, final }
}

const tools: Array<Tool> = [
  { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
  { type: "function", name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } } }, strict: false }
]

beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({ models: { "gpt-4o-mini": reply() } })
  anthUp = await startFakeAnthropicUpstream({ apiKey: KEY_ANTH, models: { "claude-sonnet-4-5": anthropicReply() } })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), anthUp?.close()])
})

describeEachLane("Responses request fields", (lane) => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "switchboard-responses-fields-"))
    if (localModelSkip === undefined) {
      mkdirSync(join(home, "models"))
      symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    }
    writeRemoteConfig(home, {
      version: 1,
      providers: [providerEntry(oaUp, "oa", { name: "OpenAI-compatible" }), anthropicProviderEntry(anthUp, "anth", { name: "Anthropic" })]
    })
    switchboard = await startSwitchboard({ home, env: { SWITCHBOARD_KEY_ANTH: KEY_ANTH, ...lane.env } })
    for (const id of ["oa", "anth"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    if (localModelSkip === undefined) await waitForProvider(switchboard.url, "local", "connected", 30_000)
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  describe("instructions", () => {
    it.each(TRANSLATED)("%s: echoed as sent, streamed and not", async (model) => {
      const instructions = "Be brief.\nAnswer in English."
      const response = await client.responses.create({ model, instructions, input: `instructions echo ${lane.name}` })
      expect(response.instructions).toBe(instructions)
      const { created, final } = await streamed({ model, instructions, input: `instructions echo streamed ${lane.name}`, stream: true })
      expect(created.instructions).toBe(instructions)
      expect(final.instructions).toBe(instructions)
    })

    it("none sent: null", async () => {
      const response = await client.responses.create({ model: "oa/gpt-4o-mini", input: "no instructions" })
      expect(response.instructions).toBeNull()
    })
  })

  describe("store and truncation: honoured, or refused when they cannot be, never pretended", () => {
    it.each(TRANSLATED)("%s: store: true → stored by Switchboard (responses-stored.test.ts), echoed, retrievable", async (model) => {
      const response = await client.responses.create({ model, input: `store me ${model} ${lane.name}`, store: true })
      expect(response).toMatchObject({ status: "completed", store: true })
      expect((await client.responses.retrieve(response.id)).output).toEqual(response.output)
    })

    it.each(TRANSLATED)("%s: truncation: auto → 400 naming truncation", async (model) => {
      const marker = `truncate me ${model} ${lane.name}`
      const error = await thrown(() => client.responses.create({ model, input: marker, truncation: "auto" }))
      expect(error.error).toMatchObject({ type: "invalid_request", param: "truncation" })
      reachedNoUpstream(marker)
    })

    it.each(TRANSLATED)("%s: left out, or store: false and truncation: disabled → accepted, echoed as honoured", async (model) => {
      for (const extra of [{}, { store: false, truncation: "disabled" as const }]) {
        const response = await client.responses.create({ model, input: "fields honoured", ...extra })
        expect(response).toMatchObject({ status: "completed", store: false, truncation: "disabled" })
      }
    })
  })

  describe("tool_choice allowed_tools", () => {
    it("to OpenAI Chat: its own allowed_tools, every tool still sent; echoed", async () => {
      const marker = `allowed to chat ${lane.name}`
      const tool_choice = { type: "allowed_tools" as const, mode: "required" as const, tools: [{ type: "function" as const, name: "get_time" }] }
      const response = await client.responses.create({ model: "oa/gpt-4o-mini", input: marker, tools, tool_choice })
      expect(response.tool_choice).toEqual(tool_choice)
      expect(requestWith(oaUp.requestsTo("POST", "/v1/chat/completions"), marker).body).toMatchObject({
        tools: [{ type: "function", function: { name: "get_weather" } }, { type: "function", function: { name: "get_time" } }],
        tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "get_time" } }] } }
      })
    })

    it.each([["required", "any"], ["auto", "auto"]] as const)("to Anthropic, mode %s: only the allowed tools, tool_choice %s", async (mode, anthropic) => {
      const marker = `allowed to anthropic ${mode} ${lane.name}`
      await client.responses.create({
        model: "anth/claude-sonnet-4-5",
        input: marker,
        tools,
        tool_choice: { type: "allowed_tools", mode, tools: [{ type: "function", name: "get_weather" }] }
      })
      const body = requestWith(anthUp.requestsTo("POST", "/v1/messages"), marker).body as { tools: Array<{ name: string }>; tool_choice: unknown }
      expect(body.tools.map((tool) => tool.name)).toEqual(["get_weather"])
      expect(body.tool_choice).toEqual({ type: anthropic })
    })

    it("naming a tool the request does not define, to Anthropic: 400 naming tool_choice", async () => {
      const marker = `allowed unknown ${lane.name}`
      const error = await thrown(() =>
        client.responses.create({
          model: "anth/claude-sonnet-4-5",
          input: marker,
          tools,
          tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "nope" }] }
        })
      )
      expect(error.error).toMatchObject({ type: "invalid_request", param: "tool_choice" })
      reachedNoUpstream(marker)
    })
  })

  describe("errors name the caller's fields", () => {
    it("Anthropic cannot take tool arguments that are not an object: input[1], not messages[…]", async () => {
      const error = await thrown(() =>
        client.responses.create({
          model: "anth/claude-sonnet-4-5",
          instructions: "Shifts the canonical messages by one.",
          input: [
            { role: "user", content: "call it" },
            { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "[1, 2]" },
            { type: "function_call_output", call_id: "call_1", output: "ok" }
          ],
          tools
        })
      )
      expect(error.error).toMatchObject({ type: "invalid_request", param: "input[1]" })
      expect(error.message).not.toContain("messages[")
    })

    it("OpenAI Chat cannot fetch a document by URL: input[0].content[1]", async () => {
      const error = await thrown(() =>
        client.responses.create({
          model: "oa/gpt-4o-mini",
          instructions: "Shifts the canonical messages by one.",
          input: [{
            role: "user",
            content: [{ type: "input_text", text: "read this" }, { type: "input_file", file_url: "https://example.com/report.pdf" }]
          }]
        })
      )
      expect(error.error).toMatchObject({ type: "invalid_request", param: "input[0].content[1]" })
    })

    describe.skipIf(localModelSkip !== undefined)("the local model (text only)", () => {
      it("an image: input[0].content[1], streamed and not", async () => {
        const input = [{
          role: "user" as const,
          content: [{ type: "input_text" as const, text: "Look" }, { type: "input_image" as const, image_url: "https://example.com/a.png", detail: "auto" as const }]
        }]
        for (const stream of [false, true]) {
          const error = await thrown(() => client.responses.create({ model: "local/stories260K", instructions: "Be brief.", input, stream }))
          expect(error.error).toMatchObject({ type: "invalid_request", param: "input[0].content[1]" })
          expect(error.message).not.toContain("messages[")
        }
      })

      it("structured output: text.format, not response_format", async () => {
        const error = await thrown(() =>
          client.responses.create({
            model: "local/stories260K",
            input: "Once",
            text: { format: { type: "json_schema", name: "story", schema: { type: "object" } } }
          })
        )
        expect(error.error).toMatchObject({ type: "invalid_request", param: "text.format" })
        expect(error.message).not.toContain("response_format")
      })
    })
  })
})
