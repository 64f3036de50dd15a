/**
 * End to end: `POST /v1/responses/compact` through the real `switchboard serve`, called with the
 * official `openai` SDK's `client.responses.compact`, on both lanes, in front of fake upstreams
 * of all three formats; the server listens on 0.0.0.0, so every request needs a gateway key.
 *
 * - `resp` (Open Responses): passed through with only `model` rewritten, the upstream's
 *   `CompactResource` returned as it is; its compaction item goes back to it untouched in the
 *   next `/v1/responses` request.
 * - `oa` (OpenAI Chat), `anth` (Anthropic): compacted by Switchboard — the model is asked for a
 *   summary, the caller gets its user messages and one compaction item carrying the summary, and
 *   the next `/v1/responses` request gives the model that summary (a `responses` provider too).
 * - Errors as for `/v1/responses`: no `model` (400), an unknown model (404), `previous_response_id`
 *   where Switchboard compacts (400), no gateway key (401), each in the Responses error shape.
 * - The usage ledger records each compaction as a Responses request with the upstream's tokens.
 *
 * A local model (stories260K) is compacted too when the model file is there.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from "openai"
import type { ResponseInputItem } from "openai/resources/responses/responses"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CONTEXT_HEADER, contextText, open, SEALED_PREFIX } from "../../src/formats/open-responses/CompactionContent.ts"
import { SUMMARY_PROMPT } from "../../src/formats/open-responses/Compaction.ts"
import { anthropicProviderEntry, type FakeAnthropicUpstream, reply as anthropicReply, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import {
  ENCRYPTED_COMPACTION,
  type FakeResponsesUpstream,
  reply as responsesReply,
  responsesProviderEntry,
  startFakeResponsesUpstream
} from "../support/FakeResponsesUpstream.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { localModelSkip, MODEL } from "../support/LocalModel.ts"
import { startSwitchboard, type SwitchboardProcess, waitUntil } from "../support/SwitchboardProcess.ts"
import { thrown } from "../support/Thrown.ts"

const GATEWAY_KEY = "sb-compact-e2e-0123456789abcdef"
const KEY_ANTH = "sk-ant-compact-e2e"
const SUMMARY_OA = "Alice wants a landing page for a dog petting cafe, in blue."
const SUMMARY_ANTH = "Alice asked for a dog cafe page; it should be blue."

let oaUp: FakeOpenAiUpstream
let anthUp: FakeAnthropicUpstream
let respUp: FakeResponsesUpstream

/** A conversation as a Responses caller keeps it: user turns, an assistant answer, a tool round. */
const conversation: Array<ResponseInputItem> = [
  { role: "user", content: "My name is Alice. Create a simple landing page for a dog petting cafe." },
  { type: "message", id: "msg_a1", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Here is a first version.", annotations: [] }] },
  { type: "message", role: "user", content: [{ type: "input_text", text: "Make it blue." }] }
]

beforeAll(async () => {
  oaUp = await startFakeOpenAiUpstream({ models: { "gpt-4o-mini": reply(SUMMARY_OA) } })
  anthUp = await startFakeAnthropicUpstream({ apiKey: KEY_ANTH, models: { "claude-sonnet-4-5": anthropicReply(SUMMARY_ANTH) } })
  respUp = await startFakeResponsesUpstream({ models: { "gpt-5-mini": responsesReply() } })
}, 60_000)

afterAll(async () => {
  await Promise.all([oaUp?.close(), anthUp?.close(), respUp?.close()])
})

describeEachLane("POST /v1/responses/compact", (lane) => {
  let switchboard: SwitchboardProcess
  let client: OpenAI

  /** A raw request with the gateway key (or none), for what the SDK would hide. */
  const post = (path: string, body: unknown, key: string | null = GATEWAY_KEY) =>
    fetch(`${switchboard.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
      body: JSON.stringify(body)
    })

  beforeAll(async () => {
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(oaUp, "oa", { name: "OpenAI-compatible" }),
          anthropicProviderEntry(anthUp, "anth", { name: "Anthropic" }),
          responsesProviderEntry(respUp, "resp", { name: "Responses" })
        ]
      },
      env: { ...lane.env, SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_GATEWAY_KEYS: GATEWAY_KEY, SWITCHBOARD_KEY_ANTH: KEY_ANTH }
    })
    for (const id of ["oa", "anth", "resp"]) {
      await waitUntil(`${id} connected`, async () => {
        const response = await fetch(`${switchboard.url}/v1/providers`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
        const list = await response.json() as { data?: Array<{ id: string; state: string }> }
        return list.data?.find((p) => p.id === id && p.state === "connected")
      }, 30_000)
    }
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
  })

  describe("to a responses provider: passed through", () => {
    it("sends the body with only model rewritten and returns the upstream's CompactResource as it is", async () => {
      const before = respUp.requestsTo("POST", "/v1/responses/compact").length
      const body = { model: "resp/gpt-5-mini", input: conversation, instructions: "Be brief.", prompt_cache_key: "k-compact-pass" }
      const { data: compacted, response } = await client.responses.compact(body).withResponse()
      expect(response.headers.get("x-switchboard-provider")).toBe("resp")
      expect(compacted.object).toBe("response.compaction")
      expect(compacted.id).toMatch(/^resp_cmp/)
      expect(compacted.output.map((item) => item.type)).toEqual(["message", "message", "compaction"])
      expect(compacted.output.at(-1)).toMatchObject({ type: "compaction", encrypted_content: ENCRYPTED_COMPACTION })
      expect(compacted.usage).toMatchObject({ output_tokens: 42 })

      const sent = respUp.requestsTo("POST", "/v1/responses/compact")
      expect(sent).toHaveLength(before + 1)
      expect(sent.at(-1)!.body).toEqual({ ...body, model: "gpt-5-mini" })
    })

    it("passes previous_response_id through: the provider stores its own responses", async () => {
      await client.responses.compact({ model: "resp/gpt-5-mini", previous_response_id: "resp_upstream_1", input: "and now?" })
      expect(respUp.requestsTo("POST", "/v1/responses/compact").at(-1)!.body).toMatchObject({ previous_response_id: "resp_upstream_1" })
    })

    it("the provider's compaction item goes back to it untouched in the next /v1/responses request", async () => {
      const compacted = await client.responses.compact({ model: "resp/gpt-5-mini", input: conversation })
      const next = await client.responses.create({
        model: "resp/gpt-5-mini",
        input: [...compacted.output as Array<ResponseInputItem>, { role: "user", content: "Add a menu." }]
      })
      expect(next.output_text).toBe("You said: Add a menu.")
      const sent = respUp.requestsTo("POST", "/v1/responses").at(-1)!
      expect(sent.body).toMatchObject({ model: "gpt-5-mini", input: expect.arrayContaining([compacted.output.at(-1)]) })
      expect(sent.rawBody).toContain(ENCRYPTED_COMPACTION)
    })
  })

  describe.each([
    { name: "OpenAI Chat", model: "oa/gpt-4o-mini", summary: SUMMARY_OA },
    { name: "Anthropic", model: "anth/claude-sonnet-4-5", summary: SUMMARY_ANTH }
  ])("to an $name provider: compacted by Switchboard with the model", ({ model, summary }) => {
    it("asks the model for a summary of the conversation", async () => {
      const upstream = model.startsWith("oa/") ? oaUp.requestsTo("POST", "/v1/chat/completions") : anthUp.requestsTo("POST", "/v1/messages")
      const before = upstream.length
      await client.responses.compact({ model, instructions: "You build web pages.", input: conversation })
      const after = model.startsWith("oa/") ? oaUp.requestsTo("POST", "/v1/chat/completions") : anthUp.requestsTo("POST", "/v1/messages")
      expect(after).toHaveLength(before + 1)
      const sent = after.at(-1)!
      expect(sent.body).not.toHaveProperty("stream", true)
      expect(sent.body).not.toHaveProperty("tools")
      expect(sent.rawBody).toContain("You build web pages.")
      expect(sent.rawBody).toContain("Here is a first version.")
      expect(sent.rawBody).toContain(JSON.stringify(SUMMARY_PROMPT))
    })

    it("answers with the user messages as given and one compaction item carrying the summary", async () => {
      const { data: compacted, response } = await client.responses.compact({ model, input: conversation }).withResponse()
      expect(compacted.object).toBe("response.compaction")
      expect(typeof compacted.id).toBe("string")
      expect(compacted.created_at).toBeGreaterThan(1_700_000_000)
      expect(compacted.output).toEqual([
        { type: "message", id: expect.any(String), status: "completed", role: "user", content: [{ type: "input_text", text: "My name is Alice. Create a simple landing page for a dog petting cafe." }] },
        { type: "message", id: expect.any(String), status: "completed", role: "user", content: [{ type: "input_text", text: "Make it blue." }] },
        { type: "compaction", id: expect.stringMatching(/^cmp_/), encrypted_content: expect.stringMatching(new RegExp(`^${SEALED_PREFIX.replace(/\./g, "\\.")}`)) }
      ])
      const item = compacted.output.at(-1)
      if (item?.type !== "compaction") throw new Error("no compaction item")
      expect(open(item.encrypted_content)).toBe(summary)
      expect(compacted.usage.output_tokens).toBeGreaterThan(0)
      expect(response.headers.get("x-switchboard-model")).toBe(model)

      // The usage ledger: a Responses request, translated, with the upstream's tokens.
      const id = response.headers.get("x-switchboard-request-id")
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      const row = await waitUntil("the ledger row", async () => {
        const answer = await fetch(`${switchboard.url}/admin/requests/${id}`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
        return answer.ok ? await answer.json() as Record<string, unknown> : undefined
      })
      expect(row).toMatchObject({
        inboundFormat: "responses",
        path: "/v1/responses/compact",
        requestedModel: model,
        mode: "translated",
        status: 200,
        tokens: { input: compacted.usage.input_tokens, output: compacted.usage.output_tokens }
      })
    })

    it("the next /v1/responses request gives the model the summary in place of the compacted turns", async () => {
      const compacted = await client.responses.compact({ model, input: conversation })
      const next = await client.responses.create({ model, input: [...compacted.output as Array<ResponseInputItem>, { role: "user", content: "Add a menu." }] })
      expect(next.status).toBe("completed")
      const sent = model.startsWith("oa/") ? oaUp.requestsTo("POST", "/v1/chat/completions").at(-1)! : anthUp.requestsTo("POST", "/v1/messages").at(-1)!
      expect(sent.rawBody).toContain(JSON.stringify(CONTEXT_HEADER).slice(1, -1))
      expect(sent.rawBody).toContain(summary)
      expect(sent.rawBody).toContain("Add a menu.")
      expect(sent.rawBody).not.toContain(SEALED_PREFIX)
      expect(sent.rawBody).not.toContain("Here is a first version.")
    })

    it("a responses provider that continues the conversation gets the summary, not the item it could not open", async () => {
      const compacted = await client.responses.compact({ model, input: conversation })
      await client.responses.create({ model: "resp/gpt-5-mini", input: [...compacted.output as Array<ResponseInputItem>, { role: "user", content: "Add a footer." }] })
      const sent = respUp.requestsTo("POST", "/v1/responses").at(-1)!
      expect(sent.rawBody).not.toContain(SEALED_PREFIX)
      expect(sent.body).toMatchObject({
        model: "gpt-5-mini",
        input: expect.arrayContaining([{ type: "message", role: "user", content: contextText(summary) }, { role: "user", content: "Add a footer." }])
      })
    })

    it("refuses previous_response_id with a 400 naming it (Switchboard stores no responses)", async () => {
      const error = await thrown(() => client.responses.compact({ model, previous_response_id: "resp_1", input: "hi" }))
      expect(error).toBeInstanceOf(BadRequestError)
      expect((error as BadRequestError).param).toBe("previous_response_id")
    })

    it("refuses a provider's own compaction item with a 400 naming it", async () => {
      const error = await thrown(() =>
        client.responses.create({ model, input: [{ role: "user", content: "hi" }, { type: "compaction", encrypted_content: ENCRYPTED_COMPACTION } as ResponseInputItem] })
      )
      expect(error).toBeInstanceOf(BadRequestError)
      expect((error as BadRequestError).param).toBe("input[1].encrypted_content")
    })
  })

  describe("errors, as /v1/responses gives them", () => {
    it("no model: 400 naming model, as /v1/responses says it", async () => {
      const compact = await post("/v1/responses/compact", { input: "hi" })
      const create = await post("/v1/responses", { input: "hi" })
      expect(compact.status).toBe(400)
      const error = await compact.json()
      expect(error).toMatchObject({ error: { param: "model" } })
      expect(error).toEqual(await create.json())
    })

    it("an unknown model: the same 404 as /v1/responses", async () => {
      const compact = await post("/v1/responses/compact", { model: "nobody/serves-this", input: "hi" })
      const create = await post("/v1/responses", { model: "nobody/serves-this", input: "hi" })
      expect(compact.status).toBe(404)
      expect(await compact.json()).toEqual(await create.json())
      const error = await thrown(() => client.responses.compact({ model: "nobody/serves-this", input: "hi" }))
      expect(error).toBeInstanceOf(NotFoundError)
    })

    it("no gateway key: 401 in the Responses error shape; the upstream sees nothing", async () => {
      const before = respUp.requestsTo("POST", "/v1/responses/compact").length
      const response = await post("/v1/responses/compact", { model: "resp/gpt-5-mini", input: "hi" }, null)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: { code: "gateway_key_required" } })
      const unkeyed = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "sb-not-a-key", maxRetries: 0 })
      expect(await thrown(() => unkeyed.responses.compact({ model: "oa/gpt-4o-mini", input: "hi" }))).toBeInstanceOf(AuthenticationError)
      expect(respUp.requestsTo("POST", "/v1/responses/compact")).toHaveLength(before)
    })

    it("another method: 405", async () => {
      const response = await fetch(`${switchboard.url}/v1/responses/compact`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
      expect(response.status).toBe(405)
    })
  })
})

describe.skipIf(localModelSkip !== undefined)("POST /v1/responses/compact with a local model", () => {
  let home: string
  let server: SwitchboardProcess
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "switchboard-compact-local-"))
    mkdirSync(join(home, "models"))
    symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    server = await startSwitchboard({ home })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    if (home !== undefined) rmSync(home, { recursive: true, force: true })
  })

  it("compacts with the model itself, and the next request reads the compaction item", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const compacted = await client.responses.compact({ model: "local/stories260K", input: "Once upon a time there was a dog." })
    expect(compacted.output.map((item) => item.type)).toEqual(["message", "compaction"])
    const item = compacted.output[1]
    if (item?.type !== "compaction") throw new Error("no compaction item")
    expect(open(item.encrypted_content)?.length).toBeGreaterThan(0)
    const next = await client.responses.create({
      model: "local/stories260K",
      max_output_tokens: 5,
      input: [...compacted.output as Array<ResponseInputItem>, { role: "user", content: "Then" }]
    })
    expect(["completed", "incomplete"]).toContain(next.status)
  }, 120_000)
})
