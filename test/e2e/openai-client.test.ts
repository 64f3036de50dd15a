/**
 * End to end: the real `switchboard serve` (a child process) in front of fake OpenAI-compatible
 * upstreams, driven by the official `openai` npm client the way a user's script drives it.
 *
 * Providers:
 * - `alpha`: needs an API key (from `SWITCHBOARD_KEY_ALPHA`); chat, tools, errors, an endless stream,
 *   plus a manual model (`retired-model`) the upstream does not know;
 * - `beta`: no auth, shares `gpt-4o-mini` with alpha (ambiguous bare id);
 * - `sleepy`: a 1 s timeout and a model whose stream stalls;
 * - `badkey`: a wrong key, on an upstream that quotes the presented key in its 401 message;
 * - `down`: nothing listens on its port;
 * - `leaky`: the right key, on that same careless upstream.
 *
 * The last test checks that no API key appears in anything Switchboard printed, in anything the
 * tests received from it, or in remote.json.
 */
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import OpenAI, {
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError
} from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  endless,
  failWith,
  type FakeOpenAiUpstream,
  parallelToolCalls,
  providerEntry,
  reply,
  stall,
  startFakeOpenAiUpstream,
  toolCalls
} from "../support/FakeOpenAiUpstream.ts"
import { describeEachLane } from "../support/Lanes.ts"
import { type ProviderStatusJson, type SwitchboardProcess, startSwitchboard, waitForProvider } from "../support/SwitchboardProcess.ts"
import type { RecordedRequest } from "../support/FakeServer.ts"

const KEY_ALPHA = `sk-e2e-alpha-${randomBytes(16).toString("hex")}`
const KEY_WRONG = `sk-e2e-wrong-${randomBytes(16).toString("hex")}`
const KEY_LEAKY = `sk-e2e-leaky-${randomBytes(16).toString("hex")}`

describeEachLane("the OpenAI SDK against Switchboard", (lane) => {
  let alphaUp: FakeOpenAiUpstream
  let betaUp: FakeOpenAiUpstream
  let leakyUp: FakeOpenAiUpstream
  let sleepyUp: FakeOpenAiUpstream
  let switchboard: SwitchboardProcess
  let client: OpenAI

  /** Everything the tests received from Switchboard (status lines, headers, bodies), for the leak check. */
  const received: Array<string> = []

  /** `fetch` that copies every response's headers and body bytes into `received` as they pass. */
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    received.push(`${response.status} ${response.statusText}\n${Array.from(response.headers, ([k, v]) => `${k}: ${v}`).join("\n")}`)
    if (response.body === null) return response
    const decoder = new TextDecoder()
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received.push(decoder.decode(chunk, { stream: true }))
          controller.enqueue(chunk)
        }
      })
    )
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }

  const getJson = async <A>(path: string): Promise<A> => (await recordingFetch(`${switchboard.url}${path}`)).json() as Promise<A>

  const chatRequests = (upstream: FakeOpenAiUpstream) => upstream.requestsTo("POST", "/v1/chat/completions")

  /** The upstream request that carried `marker` in its last message. */
  const upstreamRequestWith = (upstream: FakeOpenAiUpstream, marker: string): RecordedRequest => {
    const found = chatRequests(upstream).find((r) => r.rawBody.includes(marker))
    if (!found) throw new Error(`the upstream received no request containing ${marker}`)
    return found
  }

  /** Runs `f` and returns what it threw (failing the test if it did not throw). */
  const thrown = async (f: () => Promise<unknown>): Promise<unknown> => {
    try {
      await f()
    } catch (error) {
      return error
    }
    throw new Error("expected an error")
  }

  beforeAll(async () => {
    alphaUp = await startFakeOpenAiUpstream({
      apiKey: KEY_ALPHA,
      models: {
        "gpt-4o-mini": reply(),
        "tool-caller": toolCalls(parallelToolCalls),
        "rate-limited": failWith(429),
        "overloaded": failWith(500),
        "endless": endless(5)
      }
    })
    betaUp = await startFakeOpenAiUpstream({
      models: { "gpt-4o-mini": reply("Hello from beta"), "beta-only": reply() }
    })
    sleepyUp = await startFakeOpenAiUpstream({ models: { "stalls": stall } })
    leakyUp = await startFakeOpenAiUpstream({ apiKey: KEY_LEAKY, echoKeyInErrors: true, models: { "leaky-model": reply() } })
    switchboard = await startSwitchboard({
      config: {
        version: 1,
        providers: [
          providerEntry(alphaUp, "alpha", { name: "Alpha Cloud", auth: "apiKey", models: ["retired-model"] }),
          providerEntry(betaUp, "beta", { name: "Beta Local" }),
          providerEntry(sleepyUp, "sleepy", { name: "Sleepy", timeoutSeconds: 1 }),
          providerEntry(leakyUp, "badkey", { name: "Bad Key", auth: "apiKey" }),
          // Port 1: nothing listens there, and no other test can take it (it is privileged).
          { id: "down", name: "Down", protocol: "http", host: "127.0.0.1", port: 1, auth: "none" },
          providerEntry(leakyUp, "leaky", { name: "Leaky", auth: "apiKey" })
        ]
      },
      env: { ...lane.env, SWITCHBOARD_KEY_ALPHA: KEY_ALPHA, SWITCHBOARD_KEY_BADKEY: KEY_WRONG, SWITCHBOARD_KEY_LEAKY: KEY_LEAKY }
    })
    for (const id of ["alpha", "beta", "sleepy", "leaky"]) await waitForProvider(switchboard.url, id, "connected", 30_000)
    client = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: "unused", maxRetries: 0, fetch: recordingFetch })
  }, 60_000)

  afterAll(async () => {
    await switchboard?.stop()
    await Promise.all([alphaUp?.close(), betaUp?.close(), sleepyUp?.close(), leakyUp?.close()])
  })

  describe("models", () => {
    it("lists every model of every connected provider as <provider>/<model>, owned by the provider's name", async () => {
      const models = []
      for await (const model of client.models.list()) models.push(model)
      const ids = models.map((m) => m.id)
      expect(ids).toEqual([
        "alpha/gpt-4o-mini",
        "alpha/tool-caller",
        "alpha/rate-limited",
        "alpha/overloaded",
        "alpha/endless",
        "alpha/retired-model",
        "beta/gpt-4o-mini",
        "beta/beta-only",
        "sleepy/stalls",
        "leaky/leaky-model"
      ])
      const owners: Record<string, string> = { alpha: "Alpha Cloud", beta: "Beta Local", sleepy: "Sleepy", leaky: "Leaky" }
      for (const model of models) {
        expect(model.object).toBe("model")
        expect(typeof model.created).toBe("number")
        expect(model.owned_by).toBe(owners[model.id.split("/")[0]!])
      }
    })

    it("retrieves one model by its qualified id, slash included", async () => {
      // The SDK percent-encodes the slash; a hand-written URL does not. Both must work.
      const viaSdk = await client.models.retrieve("alpha/tool-caller")
      expect(viaSdk).toMatchObject({ id: "alpha/tool-caller", object: "model", owned_by: "Alpha Cloud" })
      const raw = await getJson<{ id: string; owned_by: string }>("/v1/models/beta/beta-only")
      expect(raw).toMatchObject({ id: "beta/beta-only", owned_by: "Beta Local" })
    })

    it("answers an unknown model with a 404 model_not_found", async () => {
      const error = await thrown(() => client.models.retrieve("alpha/no-such-model"))
      expect(error).toBeInstanceOf(NotFoundError)
      expect((error as NotFoundError).code).toBe("model_not_found")
    })
  })

  describe("chat completions", () => {
    it("forwards the body untouched except the model, with the provider's key, and returns the upstream's answer", async () => {
      const params = {
        model: "alpha/gpt-4o-mini",
        messages: [{ role: "system" as const, content: "Be brief." }, { role: "user" as const, content: "Hello there, non-streaming" }],
        temperature: 0.25,
        seed: 42,
        // Fields Switchboard has never heard of still reach the upstream.
        x_future_param: { nested: [1, "two", null, { deep: true }] }
      }
      const { data, request_id } = await client.chat.completions.create(params).withResponse()

      expect(data.object).toBe("chat.completion")
      expect(data.model).toBe("gpt-4o-mini")
      expect(data.choices).toHaveLength(1)
      expect(data.choices[0]?.message).toMatchObject({ role: "assistant", content: "You said: Hello there, non-streaming" })
      expect(data.choices[0]?.finish_reason).toBe("stop")
      expect(data.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 })
      expect(request_id).toBe(`req_${data.id}`)

      const upstream = upstreamRequestWith(alphaUp, "Hello there, non-streaming")
      // Byte for byte what the SDK sent, with only `model` replaced by the upstream's own id.
      expect(upstream.rawBody).toBe(JSON.stringify({ ...params, model: "gpt-4o-mini" }))
      expect(upstream.headers.authorization).toBe(`Bearer ${KEY_ALPHA}`)
    })

    it("streams chunks through, role first, content deltas, finish reason, usage, and [DONE]", async () => {
      const stream = await client.chat.completions.create({
        model: "alpha/gpt-4o-mini",
        messages: [{ role: "user", content: "stream me some words please" }],
        stream: true,
        stream_options: { include_usage: true }
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)

      expect(chunks.length).toBeGreaterThan(4)
      for (const chunk of chunks) {
        expect(chunk.object).toBe("chat.completion.chunk")
        expect(chunk.model).toBe("gpt-4o-mini")
      }
      expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant")
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")
      expect(text).toBe("You said: stream me some words please")
      expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "").length).toBeGreaterThan(1)
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop")
      const last = chunks.at(-1)
      expect(last?.choices).toEqual([])
      expect(last?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 })

      const upstream = upstreamRequestWith(alphaUp, "stream me some words please")
      expect(upstream.body).toMatchObject({ model: "gpt-4o-mini", stream: true, stream_options: { include_usage: true } })
    })

    it("passes the SSE bytes through in their framing (raw HTTP)", async () => {
      const response = await recordingFetch(`${switchboard.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ model: "beta/beta-only", messages: [{ role: "user", content: "raw framing" }], stream: true })
      })
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
      const text = await response.text()
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true)
      const events = text.split("\n\n").filter((e) => e !== "")
      for (const event of events) expect(event.startsWith("data: ")).toBe(true)
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)) as { object: string; usage?: unknown })
      for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk")
      // Without stream_options.include_usage there is no usage chunk.
      expect(chunks.every((c) => c.usage === undefined)).toBe(true)
    })

    it("passes parallel tool calls through, arguments intact (non-streaming)", async () => {
      const tools = [
        { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } },
        { type: "function" as const, function: { name: "get_time", parameters: { type: "object", properties: { timezone: { type: "string" } } } } }
      ]
      const completion = await client.chat.completions.create({
        model: "alpha/tool-caller",
        messages: [{ role: "user", content: "weather and time in Paris (tools, non-streaming)" }],
        tools,
        tool_choice: "auto",
        parallel_tool_calls: true
      })
      const choice = completion.choices[0]
      expect(choice?.finish_reason).toBe("tool_calls")
      expect(choice?.message.content).toBeNull()
      expect(choice?.message.tool_calls).toEqual(parallelToolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments }
      })))
      const upstream = upstreamRequestWith(alphaUp, "tools, non-streaming")
      expect(upstream.body).toMatchObject({ model: "tool-caller", tools, tool_choice: "auto", parallel_tool_calls: true })
    })

    it("streams parallel tool calls with incremental argument deltas", async () => {
      const stream = await client.chat.completions.create({
        model: "alpha/tool-caller",
        messages: [{ role: "user", content: "weather and time in Paris (tools, streaming)" }],
        tools: [{ type: "function", function: { name: "get_weather" } }, { type: "function", function: { name: "get_time" } }],
        stream: true
      })
      const calls = new Map<number, { id?: string; name?: string; arguments: string; deltas: number }>()
      let finish: string | null = null
      for await (const chunk of stream) {
        const choice = chunk.choices[0]
        if (choice?.finish_reason) finish = choice.finish_reason
        for (const delta of choice?.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { arguments: "", deltas: 0 }
          if (delta.id) call.id = delta.id
          if (delta.function?.name) call.name = delta.function.name
          if (delta.function?.arguments) {
            call.arguments += delta.function.arguments
            call.deltas++
          }
          calls.set(delta.index, call)
        }
      }
      expect(finish).toBe("tool_calls")
      expect(calls.size).toBe(2)
      parallelToolCalls.forEach((expected, index) => {
        const call = calls.get(index)
        expect(call).toMatchObject({ id: expected.id, name: expected.name, arguments: expected.arguments })
        expect(call?.deltas).toBeGreaterThan(1)
        expect(JSON.parse(call?.arguments ?? "")).toEqual(JSON.parse(expected.arguments))
      })
    })

    it("streams tool calls the SDK's own stream helper assembles into the final message", async () => {
      const runner = client.chat.completions.stream({
        model: "alpha/tool-caller",
        messages: [{ role: "user", content: "weather and time in Paris (stream helper)" }],
        tools: [{ type: "function", function: { name: "get_weather" } }, { type: "function", function: { name: "get_time" } }]
      })
      const final = await runner.finalChatCompletion()
      expect(final.choices[0]?.message.tool_calls?.map((c) => c.type === "function" ? [c.id, c.function.name, c.function.arguments] : [])).toEqual(
        parallelToolCalls.map((c) => [c.id, c.name, c.arguments])
      )
    })
  })

  describe("model resolution", () => {
    it("routes a bare upstream id served by exactly one provider", async () => {
      const viaAlpha = await client.chat.completions.create({ model: "tool-caller", messages: [{ role: "user", content: "bare id to alpha" }] })
      expect(viaAlpha.choices[0]?.finish_reason).toBe("tool_calls")
      expect(upstreamRequestWith(alphaUp, "bare id to alpha").body).toMatchObject({ model: "tool-caller" })

      const viaBeta = await client.chat.completions.create({ model: "beta-only", messages: [{ role: "user", content: "bare id to beta" }] })
      expect(viaBeta.choices[0]?.message.content).toBe("You said: bare id to beta")
      expect(upstreamRequestWith(betaUp, "bare id to beta").body).toMatchObject({ model: "beta-only" })
    })

    it("refuses an ambiguous bare id with a 400 listing the qualified ids", async () => {
      const error = await thrown(() =>
        client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "ambiguous" }] })
      )
      expect(error).toBeInstanceOf(BadRequestError)
      const e = error as BadRequestError
      expect(e.status).toBe(400)
      expect(e.param).toBe("model")
      expect(e.type).toBe("invalid_request_error")
      expect(e.message).toContain("alpha/gpt-4o-mini")
      expect(e.message).toContain("beta/gpt-4o-mini")
      expect(chatRequests(alphaUp).some((r) => r.rawBody.includes("\"ambiguous\""))).toBe(false)
    })

    it("answers an unknown model with a 404 model_not_found, streaming or not", async () => {
      for (const stream of [false, true]) {
        const error = await thrown(() =>
          client.chat.completions.create({ model: "nowhere/never-heard-of", messages: [{ role: "user", content: "hi" }], stream })
        )
        expect(error).toBeInstanceOf(NotFoundError)
        expect((error as NotFoundError).code).toBe("model_not_found")
        expect((error as NotFoundError).type).toBe("invalid_request_error")
        expect((error as NotFoundError).message).toContain("nowhere/never-heard-of")
      }
    })

    it("does not route to a provider that is not connected", async () => {
      const error = await thrown(() => client.chat.completions.create({ model: "badkey/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }))
      expect(error).toBeInstanceOf(NotFoundError)
    })
  })

  describe("upstream errors reach the client with their status and message", () => {
    it("401 when the upstream refuses the key", async () => {
      alphaUp.setApiKey(`sk-rotated-${randomBytes(8).toString("hex")}`)
      try {
        const error = await thrown(() => client.chat.completions.create({ model: "alpha/gpt-4o-mini", messages: [{ role: "user", content: "revoked key" }] }))
        expect(error).toBeInstanceOf(AuthenticationError)
        const e = error as AuthenticationError
        expect(e.status).toBe(401)
        expect(e.code).toBe("invalid_api_key")
        expect(e.message).toContain("Incorrect API key provided")
      } finally {
        alphaUp.setApiKey(KEY_ALPHA)
      }
    })

    it("401 from an upstream that quotes the key: the key is scrubbed from what the client gets", async () => {
      leakyUp.setApiKey(`sk-rotated-${randomBytes(8).toString("hex")}`)
      try {
        for (const stream of [false, true]) {
          const error = await thrown(() => client.chat.completions.create({ model: "leaky/leaky-model", messages: [{ role: "user", content: "echo" }], stream }))
          expect(error).toBeInstanceOf(AuthenticationError)
          const e = error as AuthenticationError
          expect(e.code).toBe("invalid_api_key")
          expect(e.message).toContain("Incorrect API key provided: [redacted].")
          expect(e.message).not.toContain(KEY_LEAKY)
        }
        // The upstream did quote it: the scrubbing is what kept it from the client.
        expect(chatRequests(leakyUp).every((r) => r.headers.authorization === `Bearer ${KEY_LEAKY}`)).toBe(true)
      } finally {
        leakyUp.setApiKey(KEY_LEAKY)
      }
    })

    it("404 when the upstream does not know a (manually configured) model", async () => {
      const error = await thrown(() => client.chat.completions.create({ model: "alpha/retired-model", messages: [{ role: "user", content: "retired" }] }))
      expect(error).toBeInstanceOf(NotFoundError)
      const e = error as NotFoundError
      expect(e.code).toBe("model_not_found")
      // The upstream's own message, naming the model by the id it knows.
      expect(e.message).toBe("404 The model `retired-model` does not exist or you do not have access to it.")
    })

    it("429 with retry-after", async () => {
      for (const stream of [false, true]) {
        const error = await thrown(() => client.chat.completions.create({ model: "alpha/rate-limited", messages: [{ role: "user", content: "too fast" }], stream }))
        expect(error).toBeInstanceOf(RateLimitError)
        const e = error as RateLimitError
        expect(e.status).toBe(429)
        expect(e.code).toBe("rate_limit_exceeded")
        expect(e.message).toContain("Rate limit reached for rate-limited")
        expect(e.headers.get("retry-after")).toBe("20")
        expect(e.headers.get("x-ratelimit-remaining-requests")).toBe("0")
      }
    })

    it("500", async () => {
      const error = await thrown(() => client.chat.completions.create({ model: "alpha/overloaded", messages: [{ role: "user", content: "boom" }] }))
      expect(error).toBeInstanceOf(InternalServerError)
      const e = error as InternalServerError
      expect(e.status).toBe(500)
      expect(e.type).toBe("server_error")
      expect(e.message).toContain("The server had an error while processing your request")
    })

    it("a stream that stalls past the provider's timeout ends with an error event, not a silent end", async () => {
      const stream = await client.chat.completions.create({ model: "sleepy/stalls", messages: [{ role: "user", content: "stall" }], stream: true })
      const error = await thrown(async () => {
        for await (const _chunk of stream) {
          // the role chunk arrives, then nothing
        }
      })
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).message).toMatch(/no answer from \S+ \(127\.0\.0\.1\) within 1 s/)
      // …and the stalled upstream request is not left hanging.
      await sleepyUp.waitFor((r) => r.path === "/v1/chat/completions" && r.closedEarly, 15_000)
    })
    it("an upstream that sends no answer within the provider's timeout is a 504, in the caller's format", async () => {
      const error = await thrown(() => client.chat.completions.create({ model: "sleepy/stalls", messages: [{ role: "user", content: "wait" }] }))
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).status).toBe(504)
      expect((error as APIError).message).toMatch(/no answer from \S+ \(127\.0\.0\.1\) within 1 s/)
    })
  })

  describe("client abort", () => {
    it("closes the upstream connection when the client aborts mid-stream", async () => {
      const marker = `abort-${randomBytes(4).toString("hex")}`
      const controller = new AbortController()
      const stream = await client.chat.completions.create(
        { model: "alpha/endless", messages: [{ role: "user", content: marker }], stream: true },
        { signal: controller.signal }
      )
      let chunks = 0
      for await (const _chunk of stream) {
        if (++chunks === 5) controller.abort()
      }
      // Chunks of a stream that never ends reached the client: Switchboard streams, it does not buffer.
      expect(chunks).toBeGreaterThanOrEqual(5)
      const upstream = await alphaUp.waitFor((r) => r.rawBody.includes(marker) && r.closedEarly, 15_000)
      expect(upstream.finished).toBe(false)

      // The gateway is none the worse for it.
      const after = await client.chat.completions.create({ model: "alpha/gpt-4o-mini", messages: [{ role: "user", content: "after abort" }] })
      expect(after.choices[0]?.message.content).toBe("You said: after abort")
    })

    it("closes the upstream connection when the client gives up before the answer starts", async () => {
      const marker = `abort-early-${randomBytes(4).toString("hex")}`
      const controller = new AbortController()
      // Not streamed: the upstream takes the request and never answers.
      const pending = client.chat.completions.create(
        { model: "alpha/endless", messages: [{ role: "user", content: marker }] },
        { signal: controller.signal }
      )
      await alphaUp.waitFor((r) => r.rawBody.includes(marker))
      controller.abort()
      await expect(pending).rejects.toBeInstanceOf(APIUserAbortError)
      const upstream = await alphaUp.waitFor((r) => r.rawBody.includes(marker) && r.closedEarly, 15_000)
      expect(upstream.finished).toBe(false)
    })
  })

  describe("status endpoints", () => {
    it("/health shows liveness, the config and each provider's state", async () => {
      const health = await getJson<{ status: string; config: { path: string; error: string | null }; providers: Array<ProviderStatusJson> }>("/health")
      expect(health.status).toBe("ok")
      expect(health.config).toEqual({ path: join(switchboard.home, "providers", "remote.json"), error: null, warnings: [] })
      expect(health.providers.map((p) => p.id)).toEqual(["alpha", "beta", "sleepy", "badkey", "down", "leaky"])
      expect(health.providers.find((p) => p.id === "alpha")).toMatchObject({ name: "Alpha Cloud", state: "connected", error: null, model_count: 6 })
      expect(health.providers.find((p) => p.id === "beta")).toMatchObject({ state: "connected", model_count: 2 })
    })

    it("a provider with a wrong key is in error, not retrying, with the key scrubbed from the upstream's message", async () => {
      const badkey = await waitForProvider(switchboard.url, "badkey", "error", 30_000)
      expect(badkey.retrying).toBe(false)
      expect(badkey.error).toMatch(/^401 Unauthorized from 127\.0\.0\.1: Incorrect API key provided: \[redacted\]/)
      // The fake really did quote the key, so the scrubbing above is what kept it out.
      expect(leakyUp.requests.some((r) => r.headers.authorization === `Bearer ${KEY_WRONG}`)).toBe(true)
    })

    it("a provider whose upstream is down shows error with a readable reason while the others keep serving", async () => {
      const down = await waitForProvider(switchboard.url, "down", "error", 30_000)
      expect(down.error).toMatch(/^cannot reach 127\.0\.0\.1: connection refused$/)
      expect(down.retrying).toBe(true)
      const fromBeta = await client.chat.completions.create({ model: "beta/gpt-4o-mini", messages: [{ role: "user", content: "still there?" }] })
      expect(fromBeta.choices[0]?.message.content).toBe("Hello from beta")
    })

    it("/v1/providers lists id, name, state, error and models, and no secret", async () => {
      const list = await getJson<{ object: string; data: Array<ProviderStatusJson> }>("/v1/providers")
      expect(list.object).toBe("list")
      const alpha = list.data.find((p) => p.id === "alpha")
      expect(alpha).toMatchObject({ name: "Alpha Cloud", state: "connected", model_count: 6 })
      expect(alpha?.models).toEqual(["gpt-4o-mini", "tool-caller", "rate-limited", "overloaded", "endless", "retired-model"])
      const text = JSON.stringify(list)
      expect(text).not.toContain(KEY_ALPHA)
      expect(text).not.toContain(KEY_WRONG)
      expect(text).not.toContain(KEY_LEAKY)
      expect(text.toLowerCase()).not.toContain("bearer")
    })
  })

  describe("secrets", () => {
    it("the keys went upstream as Bearer tokens and appear nowhere Switchboard printed, answered or wrote", async () => {
      const alphaRequests = alphaUp.requests
      expect(alphaRequests.length).toBeGreaterThan(10)
      for (const request of alphaRequests) expect(request.headers.authorization).toBe(`Bearer ${KEY_ALPHA}`)
      // The caller's own credentials (the SDK sends `Bearer unused`) are never passed upstream.
      expect(betaUp.requests.length).toBeGreaterThan(0)
      for (const request of betaUp.requests) expect(request.headers.authorization).toBeUndefined()
      // Nor are trace headers: they would tell a third party about the caller's traces.
      for (const request of [...alphaRequests, ...betaUp.requests]) {
        expect(request.headers.traceparent).toBeUndefined()
        expect(request.headers.b3).toBeUndefined()
      }

      const remoteJson = readFileSync(join(switchboard.home, "providers", "remote.json"), "utf8")
      const everythingReceived = received.join("")
      expect(everythingReceived.length).toBeGreaterThan(1000)
      for (const key of [KEY_ALPHA, KEY_WRONG, KEY_LEAKY]) {
        expect(switchboard.output()).not.toContain(key)
        expect(everythingReceived).not.toContain(key)
        expect(remoteJson).not.toContain(key)
      }
      // Switchboard did print something (so the check above looked at real output).
      expect(switchboard.output()).toContain("badkey")
    })
  })
})
