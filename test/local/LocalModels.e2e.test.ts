/**
 * A real tiny GGUF model (stories260K, ../shared/models/) served by the real `switchboard serve`
 * on CPU, through the real `openai` and `@anthropic-ai/sdk` clients. Skipped with the reason
 * printed when the model file or node-llama-cpp is missing — except in CI, where it must run.
 */
import Anthropic from "@anthropic-ai/sdk"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { garbageModel, localModelSkip, MODEL } from "../support/LocalModel.ts"
import { startSwitchboard, type SwitchboardProcess, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"

const skipReason = localModelSkip
if (skipReason !== undefined) {
  if (process.env.CI) throw new Error(`local model tests are required in CI but cannot run: ${skipReason}`)
  console.warn(`[switchboard] local model tests will be SKIPPED: ${skipReason}`)
}

interface ModelJson {
  readonly id: string
  readonly owned_by: string
  readonly state?: { readonly state: string; readonly error: string | null } | null
}

describe.skipIf(skipReason !== undefined)("local models (llama.cpp, stories260K on CPU)", () => {
  let switchboard: SwitchboardProcess
  let home: string
  let openai: OpenAI

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "switchboard-local-"))
    mkdirSync(join(home, "models"))
    symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    // Garbage named like a model: discovered, and its load fails with a clear reason.
    writeFileSync(join(home, "models", "x.gguf"), garbageModel())
    // A small default limit keeps the answers without one short (see "ends every answer…").
    writeRemoteConfig(home, { version: 1, providers: [], local: { maxQueue: 1, maxOutputTokens: 12, modelPaths: [join(home, "elsewhere", "missing.gguf")] } })
    switchboard = await startSwitchboard({ home })
    await waitForProvider(switchboard.url, "local", "connected")
    openai = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0 })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  const models = async () => ((await (await fetch(`${switchboard.url}/v1/models`)).json()) as { data: Array<ModelJson> }).data

  it("lists the local models in their own group", async () => {
    const local = (await models()).filter((model) => model.owned_by === "Local").map((model) => model.id)
    expect(local).toEqual(["local/stories260K", "local/x", "local/missing"])
  })

  it("answers the OpenAI client without streaming, with real token usage", async () => {
    const completion = await openai.chat.completions.create({
      model: "local/stories260K",
      messages: [{ role: "user", content: "Once upon a time" }],
      temperature: 0,
      max_tokens: 8
    })
    expect(completion.choices[0]!.message.content?.length ?? 0).toBeGreaterThan(0)
    expect(completion.choices[0]!.finish_reason).toBe("length")
    expect(completion.usage!.completion_tokens).toBe(8)
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0)
  })

  it("streams to the OpenAI client, usage included", async () => {
    const stream = await openai.chat.completions.create({
      model: "stories260K",
      messages: [{ role: "system", content: "Tell a story." }, { role: "user", content: "Lily" }],
      temperature: 0,
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true }
    })
    let text = ""
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ""
      if (chunk.usage) usage = chunk.usage
    }
    expect(text.length).toBeGreaterThan(0)
    expect(usage?.completion_tokens).toBe(6)
    expect(usage?.prompt_tokens).toBeGreaterThan(0)
  })

  it("answers the Anthropic client through /v1/messages, streaming and not", async () => {
    const anthropic = new Anthropic({ baseURL: switchboard.url, apiKey: "unused", maxRetries: 0 })
    const message = await anthropic.messages.create({
      model: "local/stories260K",
      max_tokens: 5,
      messages: [{ role: "user", content: "Once upon a time" }]
    })
    expect(message.content[0]?.type === "text" && message.content[0].text.length > 0).toBe(true)
    expect(message.stop_reason).toBe("max_tokens")
    expect(message.usage.output_tokens).toBe(5)
    const streamed = await anthropic.messages.stream({
      model: "local/stories260K",
      max_tokens: 5,
      messages: [{ role: "user", content: "Once upon a time" }]
    }).finalMessage()
    expect(streamed.content).toEqual(message.content)
    expect(streamed.usage.output_tokens).toBe(5)
  })

  it("answers the Responses API too", async () => {
    const response = await openai.responses.create({ model: "local/stories260K", input: "Once upon a time", max_output_tokens: 4, temperature: 0 })
    expect(response.output_text.length).toBeGreaterThan(0)
    expect(response.usage?.output_tokens).toBe(4)
    expect(response.status).toBe("incomplete")
  })

  it("ends an answer without a limit at local.maxOutputTokens with each format's length stop, streaming and not", async () => {
    const messages = [{ role: "user" as const, content: "Once upon a time" }]
    const completion = await openai.chat.completions.create({ model: "local/stories260K", messages, temperature: 0 })
    expect(completion.choices[0]!.finish_reason).toBe("length")
    expect(completion.usage!.completion_tokens).toBe(12)

    const chunks = await openai.chat.completions.create({ model: "local/stories260K", messages, temperature: 0, stream: true, stream_options: { include_usage: true } })
    const finishes: Array<string> = []
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of chunks) {
      const finish = chunk.choices[0]?.finish_reason
      if (finish) finishes.push(finish)
      if (chunk.usage) usage = chunk.usage
    }
    expect(finishes).toEqual(["length"])
    expect(usage?.completion_tokens).toBe(12)

    const response = await openai.responses.create({ model: "local/stories260K", input: "Once upon a time", temperature: 0 })
    expect(response.status).toBe("incomplete")
    expect(response.incomplete_details?.reason).toBe("max_output_tokens")
    expect(response.usage?.output_tokens).toBe(12)

    const events = await openai.responses.create({ model: "local/stories260K", input: "Once upon a time", temperature: 0, stream: true })
    let last: OpenAI.Responses.ResponseStreamEvent | undefined
    for await (const event of events) last = event
    expect(last?.type).toBe("response.incomplete")
    const incomplete = (last as OpenAI.Responses.ResponseIncompleteEvent).response
    expect(incomplete.incomplete_details?.reason).toBe("max_output_tokens")
    expect(incomplete.usage?.output_tokens).toBe(12)
  }, 60_000)

  // Anthropic's API always carries max_tokens (its length stop, from a small limit, is checked
  // above); clients send large ones (16k, 32k, 64k), which a small local model's context cannot
  // hold: the answer ends at the context size. Streamed only: one context's worth of tokens takes
  // seconds on CPU.
  it("caps a caller's limit beyond the context at the context size, with Anthropic's max_tokens stop", async () => {
    const anthropic = new Anthropic({ baseURL: switchboard.url, apiKey: "unused", maxRetries: 0 })
    const message = await anthropic.messages.stream({
      model: "local/stories260K",
      max_tokens: 16_000,
      temperature: 0,
      messages: [{ role: "user", content: "Once upon a time" }]
    }).finalMessage()
    expect(message.stop_reason).toBe("max_tokens")
    // The caller's limit wins over the config's default (12), bounded by the context (≤ 4,096).
    expect(message.usage.output_tokens).toBeGreaterThan(12)
    expect(message.usage.output_tokens).toBeLessThanOrEqual(4096)
  }, 120_000)

  it("refuses what a local model cannot do with a 400 naming the field", async () => {
    const error = await openai.chat.completions.create({
      model: "local/stories260K",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }]
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("tools")
  })

  it("queues a second request, refuses a third with 503, and frees the queue when a stream is aborted", async () => {
    const controller = new AbortController()
    // Long enough (1,500 tokens, seconds on CPU) that the others arrive while it runs.
    const long = await openai.chat.completions.create({
      model: "local/stories260K",
      messages: [{ role: "user", content: "Once upon a time" }],
      temperature: 0,
      max_tokens: 1500,
      stream: true
    }, { signal: controller.signal })
    const iterator = long[Symbol.asyncIterator]()
    await iterator.next()
    const queued = fetch(`${switchboard.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "local/stories260K", messages: [{ role: "user", content: "Lily" }], max_tokens: 3 })
    })
    // The second request is waiting (maxQueue 1): a third is refused at once.
    await waitForQueue(switchboard.url, "stories260K", 1)
    const refused = await openai.chat.completions.create({
      model: "local/stories260K",
      messages: [{ role: "user", content: "Lily" }],
      max_tokens: 3
    }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(OpenAI.APIError)
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe("queue_full")

    controller.abort()
    const answer = await queued
    expect(answer.status).toBe(200)
    expect(answer.headers.get("x-switchboard-queue-position")).toBe("1")
    const body = (await answer.json()) as OpenAI.ChatCompletion
    expect(body.usage?.completion_tokens).toBe(3)
  }, 60_000)

  it("answers a corrupt GGUF with a clear error, and the model entry says why", async () => {
    const error = await openai.chat.completions.create({
      model: "local/x",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("local model x could not be loaded")
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("GGUF")
    const entry = (await models()).find((model) => model.id === "local/x")
    expect(entry?.state?.state).toBe("error")
    expect(entry?.state?.error).toContain("GGUF")
  })

  it("answers a configured model file that does not exist with a clear error", async () => {
    const error = await openai.chat.completions.create({
      model: "local/missing",
      messages: [{ role: "user", content: "hi" }]
    }).catch((e: unknown) => e)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(500)
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("does not exist")
    const entry = (await models()).find((model) => model.id === "local/missing")
    expect(entry?.state).toMatchObject({ state: "error" })
  })
})

describe.skipIf(skipReason !== undefined)("local models: the default limit, and a models folder watched", () => {
  let switchboard: SwitchboardProcess
  let home: string

  beforeAll(async () => {
    // No models folder and no config: no `local` provider until the folder appears.
    home = mkdtempSync(join(tmpdir(), "switchboard-local-watch-"))
    switchboard = await startSwitchboard({ home })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  const localModels = async () =>
    ((await (await fetch(`${switchboard.url}/v1/models`)).json()) as { data: Array<ModelJson> }).data
      .filter((model) => model.owned_by === "Local").map((model) => model.id).join()

  /**
   * Polls `/v1/models` until the local models are `ids`. The promise is 2 s (measured: ≈ 0.25 s);
   * the bound here is 10 s so a loaded machine does not fail it, still well under the 30 s
   * periodic rescan, so only the folder watch can pass it.
   */
  const listed = async (ids: string) => {
    const deadline = Date.now() + 10_000
    while ((await localModels()) !== ids) {
      if (Date.now() > deadline) throw new Error(`local models were not [${ids}] within 10 s: [${await localModels()}]`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  it("lists a model dropped into a models folder created after start, answers it without a limit, and drops it when removed", async () => {
    expect(await localModels()).toBe("")
    mkdirSync(join(home, "models"))
    symlinkSync(MODEL, join(home, "models", "stories260K.gguf"))
    await listed("local/stories260K")

    // No limit anywhere: the answer still ends, at the latest at the context size.
    const response = await fetch(`${switchboard.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "local/stories260K", messages: [{ role: "user", content: "Once upon a time" }], temperature: 0 })
    })
    expect(response.status).toBe(200)
    const completion = (await response.json()) as OpenAI.ChatCompletion
    expect(["length", "stop"]).toContain(completion.choices[0]!.finish_reason)
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(4096)

    rmSync(join(home, "models", "stories260K.gguf"))
    await listed("")
  }, 120_000)
})

/** Polls `GET /v1/local` until `model` has `waiting` requests in its queue. */
const waitForQueue = async (url: string, model: string, waiting: number) => {
  const deadline = Date.now() + 15_000
  for (;;) {
    const status = (await (await fetch(`${url}/v1/local`)).json()) as { models: Array<{ id: string; waiting: number }> }
    if (status.models.find((m) => m.id === model)?.waiting === waiting) return
    if (Date.now() > deadline) throw new Error(`model ${model} never had ${waiting} waiting: ${JSON.stringify(status)}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
