/**
 * Bad input against the real `switchboard serve`, twice: with the pass-through fast lane (as users
 * get it on loopback) and without (`SWITCHBOARD_FAST_LANE=false`, the Effect app alone):
 * every case on each of the three API endpoints, each aimed at a provider of the caller's format
 * (pass-through) and at providers of the two other formats (translation). Every answer must be a
 * clear error in the caller's format (OpenAI / Open Responses `{ error: { message, type, param,
 * code } }`, Anthropic `{ type: "error", error: { type, message } }`) with the right status, and
 * after each batch the server still answers `/health` and a valid request.
 *
 * What the gateway checks itself, whatever the target: the body is JSON (UTF-8, under the size
 * limit, sent as JSON), an object, with a non-empty string `model` that some provider serves.
 * The structure of the rest (`messages`, roles, field types) is checked by the translator when
 * the request is translated; on pass-through it reaches the upstream untouched, whose own
 * validation answers (the cases marked `translatedOnly`).
 *
 * Paths: the API lives under `/v1` and, for clients configured without it, at the root (`/x`
 * behaves as `/v1/x`). Nothing is served under `/api`: `/api/x` and `/api/v1/x` are a 404 in the
 * OpenAI shape, as is every unknown path. A known API path with another method is a 405 with
 * `Allow`, in that endpoint's format.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  anthropicProviderEntry,
  type FakeAnthropicUpstream,
  reply as anthropicReply,
  startFakeAnthropicUpstream
} from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry, reply as openAiReply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import {
  type FakeResponsesUpstream,
  reply as responsesReply,
  responsesProviderEntry,
  startFakeResponsesUpstream
} from "../support/FakeResponsesUpstream.ts"
import { type SwitchboardProcess, waitForProvider } from "../support/SwitchboardProcess.ts"
import { type RawResponse, rawRequest } from "./support/RawRequest.ts"
import { capture, checkNoLeaksAfterAll, secretEnv, startCapturedSwitchboard, TestSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

type Format = "openai" | "anthropic" | "responses"

interface Endpoint {
  readonly path: string
  readonly format: Format
  /** A valid request for `model` with a message saying `text`. */
  readonly valid: (model: string, text?: string) => Record<string, unknown>
  /** The field that holds the conversation. */
  readonly conversation: "messages" | "input"
}

const endpoints: ReadonlyArray<Endpoint> = [
  {
    path: "/v1/chat/completions",
    format: "openai",
    conversation: "messages",
    valid: (model, text = "hello") => ({ model, messages: [{ role: "user", content: text }] })
  },
  {
    path: "/v1/messages",
    format: "anthropic",
    conversation: "messages",
    valid: (model, text = "hello") => ({ model, max_tokens: 64, messages: [{ role: "user", content: text }] })
  },
  {
    path: "/v1/responses",
    format: "responses",
    conversation: "input",
    valid: (model, text = "hello") => ({ model, input: [{ type: "message", role: "user", content: text }] })
  }
]

/** One model per provider format; a request to the model of the caller's own format is passed through. */
const models: Readonly<Record<Format, string>> = { openai: "oa/oa-model", anthropic: "an/an-model", responses: "rs/rs-model" }
const formatsList: ReadonlyArray<Format> = ["openai", "anthropic", "responses"]

let oa: FakeOpenAiUpstream
let an: FakeAnthropicUpstream
let rs: FakeResponsesUpstream
let switchboard: SwitchboardProcess

const MAX_BODY_BYTES = 1024 * 1024

beforeAll(async () => {
  ;[oa, an, rs] = await Promise.all([
    startFakeOpenAiUpstream({ models: { "oa-model": openAiReply("fine") } }),
    startFakeAnthropicUpstream({ apiKey: TestSecrets.upstreamKey, models: { "an-model": anthropicReply("fine") } }),
    startFakeResponsesUpstream({ models: { "rs-model": responsesReply("fine") } })
  ])
}, 60_000)

afterAll(async () => {
  await Promise.all([oa?.close(), an?.close(), rs?.close()])
})

/** A server of its own per mode: with the pass-through fast lane (what users get on loopback) and without. */
const startServer = async (fastLane: boolean) => {
  switchboard = await startCapturedSwitchboard({
    config: {
      version: 1,
      providers: [providerEntry(oa, "oa"), anthropicProviderEntry(an, "an"), responsesProviderEntry(rs, "rs")]
    },
    env: { ...secretEnv("an"), SWITCHBOARD_MAX_BODY_BYTES: String(MAX_BODY_BYTES), SWITCHBOARD_FAST_LANE: String(fastLane) }
  })
  await Promise.all(["oa", "an", "rs"].map((id) => waitForProvider(switchboard.url, id, "connected")))
}

/** Every request carries the caller's own key (never to be echoed); every answer is kept as evidence. */
const send = async (path: string, options: Parameters<typeof rawRequest>[2] = {}) => {
  const response = await rawRequest(switchboard.url, path, {
    ...options,
    headers: { authorization: `Bearer ${TestSecrets.callerKey}`, "x-api-key": TestSecrets.callerKey, ...options.headers }
  })
  capture(`${options.method ?? "POST"} ${path}`, response.text)
  return response
}
const post = (path: string, body: unknown) => send(path, { body: JSON.stringify(body) })

/** The answer is an error of `format`'s shape, with a non-empty message. */
const expectErrorShape = (response: RawResponse, format: Format) => {
  expect(response.headers["content-type"], `${response.status} ${response.text}`).toMatch(/^application\/json/)
  const body = response.json as Record<string, unknown> | undefined
  expect(body, response.text).toBeTypeOf("object")
  const error = body!.error as Record<string, unknown>
  expect(error, response.text).toBeTypeOf("object")
  expect(error.message, response.text).toBeTypeOf("string")
  expect((error.message as string).length).toBeGreaterThan(0)
  expect(error.type, response.text).toBeTypeOf("string")
  if (format === "anthropic") {
    expect(body!.type).toBe("error")
  } else {
    expect(error, response.text).toHaveProperty("param")
    expect(error, response.text).toHaveProperty("code")
  }
}

const expectError = (response: RawResponse, format: Format, status: number, message?: RegExp) => {
  expect(response.status, response.text).toBe(status)
  expectErrorShape(response, format)
  if (message !== undefined) expect((response.json as { error: { message: string } }).error.message).toMatch(message)
}

/** The server still answers its health check and serves a valid request on every endpoint. */
const expectHealthy = async () => {
  const health = await fetch(`${switchboard.url}/health`)
  expect(health.status).toBe(200)
  for (const endpoint of endpoints) {
    const response = await post(endpoint.path, endpoint.valid(models[endpoint.format]))
    expect(response.status, `${endpoint.path}: ${response.text}`).toBe(200)
  }
}

interface BodyCase {
  readonly name: string
  readonly body: (endpoint: Endpoint, model: string) => string | Uint8Array
  readonly status: number
  readonly message?: RegExp
  readonly contentType?: string
  /** Checked by the translator only: on pass-through the upstream's own validation answers. */
  readonly translatedOnly?: boolean
}

const json = (value: unknown) => JSON.stringify(value)
const without = (object: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(object).filter(([k]) => k !== key))

/** `depth` nested arrays, built as text (a value this deep cannot be stringified by JSON.stringify). */
const nestedArrays = (depth: number) => "[".repeat(depth) + "]".repeat(depth)
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth)

const bodyCases: ReadonlyArray<BodyCase> = [
  { name: "malformed JSON", body: (e, m) => json(e.valid(m)).slice(0, -3), status: 400, message: /JSON/ },
  { name: "an empty body", body: () => "", status: 400, message: /JSON/ },
  { name: "a JSON array", body: (e, m) => json([e.valid(m)]), status: 400, message: /object/ },
  { name: "a JSON string", body: () => json("hello"), status: 400, message: /object/ },
  { name: "JSON null", body: () => "null", status: 400, message: /object/ },
  { name: "a missing model", body: (e, m) => json(without(e.valid(m), "model")), status: 400, message: /model/ },
  { name: "a model that is a number", body: (e, m) => json({ ...e.valid(m), model: 42 }), status: 400, message: /model/ },
  { name: "a model that is null", body: (e, m) => json({ ...e.valid(m), model: null }), status: 400, message: /model/ },
  { name: "an empty model", body: (e, m) => json({ ...e.valid(m), model: "" }), status: 400, message: /model/ },
  { name: "an unknown model", body: (e, m) => json({ ...e.valid(m), model: "nobody/serves-this" }), status: 404, message: /nobody\/serves-this/ },
  { name: "a text/plain content type", body: (e, m) => json(e.valid(m)), contentType: "text/plain", status: 415, message: /JSON/ },
  { name: "a form content type", body: (e, m) => json(e.valid(m)), contentType: "application/x-www-form-urlencoded", status: 415, message: /JSON/ },
  {
    name: "invalid UTF-8",
    body: (e, m) => Buffer.concat([Buffer.from(json(e.valid(m, "PLACEHOLDER")).split("PLACEHOLDER")[0]!), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(json(e.valid(m, "PLACEHOLDER")).split("PLACEHOLDER")[1]!)]),
    status: 400,
    // Refused, never decoded lossily (U+FFFD) into a prompt the caller did not write.
    message: /UTF-8/
  },
  {
    name: "a missing conversation",
    body: (e, m) => json(without(e.valid(m), e.conversation)),
    status: 400,
    translatedOnly: true
  },
  {
    name: "a conversation that is a number",
    body: (e, m) => json({ ...e.valid(m), [e.conversation]: 7 }),
    status: 400,
    translatedOnly: true
  },
  {
    name: "an empty conversation",
    body: (e, m) => json({ ...e.valid(m), [e.conversation]: [] }),
    status: 400,
    translatedOnly: true
  },
  {
    name: "instructions alone",
    body: (e, m) =>
      json(
        e.format === "openai"
          ? { ...e.valid(m), messages: [{ role: "system", content: "be brief" }] }
          : e.format === "anthropic"
          ? { ...e.valid(m), system: "be brief", messages: [] }
          : { ...e.valid(m), instructions: "be brief", input: [] }
      ),
    status: 400,
    message: /besides instructions/,
    translatedOnly: true
  },
  {
    name: "an unknown role",
    body: (e, m) =>
      json({
        ...e.valid(m),
        [e.conversation]: e.format === "responses" ? [{ type: "message", role: "wizard", content: "hi" }] : [{ role: "wizard", content: "hi" }]
      }),
    status: 400,
    translatedOnly: true
  },
  {
    name: "a temperature that is a string",
    body: (e, m) => json({ ...e.valid(m), temperature: "hot" }),
    status: 400,
    message: /temperature/,
    translatedOnly: true
  },
  {
    name: "stream that is a string",
    body: (e, m) => json({ ...e.valid(m), stream: "yes" }),
    status: 400,
    message: /stream/,
    translatedOnly: true
  },
  {
    name: "message content deeply nested (100 000 arrays)",
    body: (e, m) => json(e.valid(m, "PLACEHOLDER")).replace('"PLACEHOLDER"', nestedArrays(100_000)),
    status: 400,
    translatedOnly: true
  }
]

describe.each([true, false])("fast lane %s", (fastLane) => {
  beforeAll(() => startServer(fastLane), 60_000)
  afterAll(() => switchboard?.stop())

  describe.each(endpoints)("$path", (endpoint) => {
    describe.each(formatsList)("to a %s provider", (target) => {
      const model = models[target]
      const passThrough = target === endpoint.format
      for (const c of bodyCases) {
        // Structure is the upstream's to check on pass-through: nothing of the gateway's to test there.
        if (c.translatedOnly === true && passThrough) continue
        it(`${c.name} is a ${c.status} in the ${endpoint.format} shape`, async () => {
          const response = await send(endpoint.path, {
            body: c.body(endpoint, model),
            ...(c.contentType === undefined ? {} : { contentType: c.contentType })
          })
          expectError(response, endpoint.format, c.status, c.message)
        })
      }

      it("a deeply nested unknown field (100 000 objects) never breaks the server", async () => {
        const response = await send(endpoint.path, { body: json(endpoint.valid(model)).replace(/}$/, `,"x_deep":${nestedObjects(100_000)}}`) })
        // Passed through untouched, or ignored by the translator: either way an answer, never a crash.
        expect(response.status, response.text).toBeLessThan(500)
        if (response.status >= 400) expectErrorShape(response, endpoint.format)
      })

      // Translation only: on pass-through the body reaches the upstream untouched (the fakes are not built for this).
      if (!passThrough) it("deeply nested tool parameters (50 000 objects) are a 400, never a crash", async () => {
        const deep = nestedObjects(50_000)
        const tool = endpoint.format === "openai"
          ? `{"type":"function","function":{"name":"deep","parameters":{"type":"object","properties":${deep}}}}`
          : endpoint.format === "anthropic"
          ? `{"name":"deep","input_schema":{"type":"object","properties":${deep}}}`
          : `{"type":"function","name":"deep","parameters":{"type":"object","properties":${deep}}}`
        const response = await send(endpoint.path, { body: json(endpoint.valid(model)).replace(/}$/, `,"tools":[${tool}]}`) })
        expectError(response, endpoint.format, 400, /nested too deeply/)
      })

      // Refused before it is read whole (`SWITCHBOARD_MAX_BODY_BYTES`, set low for the test).
      it(`a body over the limit (${MAX_BODY_BYTES} bytes) is a 413 in the ${endpoint.format} shape`, async () => {
        const padding = "x".repeat(MAX_BODY_BYTES + 1024)
        const response = await post(endpoint.path, { ...endpoint.valid(model), padding })
        expectError(response, endpoint.format, 413)
        // Nothing of it reached the upstream.
        expect(oa.requests.concat(an.requests, rs.requests).some((r) => r.rawBody.includes(padding.slice(0, 4096)))).toBe(false)
      })

      it("a body just under the limit is served", async () => {
        const response = await post(endpoint.path, { ...endpoint.valid(model), metadata_padding: "y".repeat(MAX_BODY_BYTES - 4096) })
        expect(response.status, response.text.slice(0, 500)).toBeLessThan(500)
      })

      it("the server is still healthy", expectHealthy)
    })

    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      it(`${method} is a 405 with Allow: POST, in the ${endpoint.format} shape`, async () => {
        const response = await send(endpoint.path, { method })
        expectError(response, endpoint.format, 405)
        expect(response.headers.allow).toBe("POST")
      })
    }

    it(`without /v1 (${endpoint.path.slice(3)}) behaves as with it`, async () => {
      const ok = await post(endpoint.path.slice(3), endpoint.valid(models[endpoint.format]))
      expect(ok.status, ok.text).toBe(200)
      expectError(await post(endpoint.path.slice(3), without(endpoint.valid(models[endpoint.format]), "model")), endpoint.format, 400, /model/)
      expectError(await send(endpoint.path.slice(3), { method: "GET" }), endpoint.format, 405)
    })

    for (const prefix of ["/api", "/api/v1"]) {
      it(`${prefix}${endpoint.path.slice(3)} is a 404 in the OpenAI shape`, async () => {
        const response = await post(`${prefix}${endpoint.path.slice(3)}`, endpoint.valid(models[endpoint.format]))
        expectError(response, "openai", 404, /Unknown request URL/)
        expect((response.json as { error: { code: string } }).error.code).toBe("unknown_url")
      })
    }
  })

  describe("unknown paths", () => {
    const paths = ["/v1/nope", "/nope", "/api/nope", "/api/v1/nope", "/v1/chat/completion", "/v1/chat", "/v2/chat/completions", "/%zz", `/v1/${"x".repeat(300)}`]
    for (const path of paths) {
      for (const method of ["GET", "POST"]) {
        it(`${method} ${path} is a 404 in the OpenAI shape`, async () => {
          const response = await send(path, method === "POST" ? { method, body: "{}" } : { method })
          expectError(response, "openai", 404, /Unknown request URL/)
        })
      }
    }

    it("/v1/models and /models answer the same list; /api/v1/models is a 404", async () => {
      const [withV1, without] = await Promise.all([send("/v1/models", { method: "GET" }), send("/models", { method: "GET" })])
      expect(withV1.status).toBe(200)
      expect(without.json).toEqual(withV1.json)
      expectError(await send("/api/v1/models", { method: "GET" }), "openai", 404)
    })

    it("the server is still healthy", expectHealthy)
  })
})
