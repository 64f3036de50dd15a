/**
 * A fake OpenAI-format upstream whose models do what a test scripts, one outcome per request in
 * turn (the last one repeats): a normal answer naming the upstream, any error status with a body
 * and headers as OpenAI sends them, a reset before any answer, no answer at all (slower than any
 * timeout), or a stream that breaks after its first event. For tests of what a virtual model's
 * chain does with each outcome.
 *
 * @see ../../../shared/specs/openai/openapi.yaml `createChatCompletion`, `ErrorResponse`
 */
import type { ServerResponse } from "node:http"
import { createRecordingServer, fakeUpstream, type FakeUpstream, listenOnLoopback, sendJson } from "./FakeServer.ts"

export type Outcome =
  /** A normal answer: `<name> says: <text>`, or a stream of it. */
  | { readonly _tag: "Reply" }
  /** An error with this status; the body is OpenAI's error object (`message`, `code`) unless given. */
  | { readonly _tag: "Error"; readonly status: number; readonly message?: string; readonly code?: string; readonly headers?: Readonly<Record<string, string>> }
  /** The connection reset before any answer. */
  | { readonly _tag: "Reset" }
  /** No answer at all (longer than the provider's timeout). */
  | { readonly _tag: "Silent" }
  /** Stream: the head and first event, then a reset. Not streaming: half the JSON body, then a reset. */
  | { readonly _tag: "BreakAfterFirst" }

export const ok: Outcome = { _tag: "Reply" }
export const error = (status: number, extra: Omit<Extract<Outcome, { _tag: "Error" }>, "_tag" | "status"> = {}): Outcome => ({ _tag: "Error", status, ...extra })
export const reset: Outcome = { _tag: "Reset" }
export const silent: Outcome = { _tag: "Silent" }
export const breakAfterFirst: Outcome = { _tag: "BreakAfterFirst" }

export interface ScriptedUpstream extends FakeUpstream<ReadonlyArray<Outcome>> {
  /** The answer text an `ok` gives. */
  readonly says: string
  /** Chat requests for `model` so far. */
  readonly requestsFor: (model: string) => number
}

const CREATED = 1_723_031_665

const chunk = (model: string, delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-scripted", object: "chat.completion.chunk", created: CREATED, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`

export const startScriptedUpstream = async (name: string, models: Readonly<Record<string, ReadonlyArray<Outcome>>>): Promise<ScriptedUpstream> => {
  const scripts = new Map<string, ReadonlyArray<Outcome>>(Object.entries(models))
  const counts = new Map<string, number>()
  const says = `${name} says: hello`

  const answer = (model: string, stream: boolean, res: ServerResponse, outcome: Outcome) => {
    switch (outcome._tag) {
      case "Reply": {
        if (!stream) {
          return sendJson(res, 200, {
            id: "chatcmpl-scripted",
            object: "chat.completion",
            created: CREATED,
            model,
            choices: [{ index: 0, message: { role: "assistant", content: says, refusal: null }, logprobs: null, finish_reason: "stop" }],
            usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }
          })
        }
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write(chunk(model, { role: "assistant", content: "" }))
        for (const word of says.split(/(?<= )/)) res.write(chunk(model, { content: word }))
        res.write(chunk(model, {}, "stop"))
        return res.end("data: [DONE]\n\n")
      }
      case "Error":
        return sendJson(res, outcome.status, {
          error: { message: outcome.message ?? `${name} failed with ${outcome.status}`, type: outcome.status >= 500 ? "server_error" : "invalid_request_error", param: null, code: outcome.code ?? null }
        }, outcome.headers ?? {})
      case "Reset":
        return void res.socket?.resetAndDestroy()
      case "Silent":
        return
      case "BreakAfterFirst": {
        if (stream) {
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(chunk(model, { role: "assistant", content: "" }))
          res.write(chunk(model, { content: `${name} started ` }))
        } else {
          res.writeHead(200, { "content-type": "application/json", "content-length": "400" })
          res.write(`{"id":"chatcmpl-scripted","object":"chat.completion","created":${CREATED},"model":"${model}","choices":[{"index":0,`)
        }
        // After the bytes are on their way.
        return void setTimeout(() => res.socket?.resetAndDestroy(), 20)
      }
    }
  }

  const recording = createRecordingServer((record, _req, res) => {
    if (record.method === "GET" && record.path === "/v1/models") {
      return sendJson(res, 200, { object: "list", data: Array.from(scripts.keys(), (id) => ({ id, object: "model", created: CREATED, owned_by: name })) })
    }
    if (record.method !== "POST" || record.path !== "/v1/chat/completions") {
      return sendJson(res, 404, { error: { message: `no route ${record.method} ${record.path}`, type: "invalid_request_error", param: null, code: null } })
    }
    const body = record.body as { model?: string; stream?: boolean } | undefined
    const model = body?.model ?? ""
    const script = scripts.get(model)
    if (script === undefined) {
      return sendJson(res, 404, { error: { message: `The model \`${model}\` does not exist`, type: "invalid_request_error", param: null, code: "model_not_found" } })
    }
    const n = counts.get(model) ?? 0
    counts.set(model, n + 1)
    answer(model, body?.stream === true, res, script[Math.min(n, script.length - 1)]!)
  })
  const port = await listenOnLoopback(recording.server)
  const base = fakeUpstream({ recording, port, behaviours: scripts as Map<string, ReadonlyArray<Outcome>>, setApiKey: () => {} })
  return {
    ...base,
    setBehaviour: (model, script) => {
      scripts.set(model, script)
      counts.set(model, 0)
    },
    says,
    requestsFor: (model) => counts.get(model) ?? 0
  }
}
