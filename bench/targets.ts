/**
 * The targets every scenario is run against, each its own process on 127.0.0.1, all in front of
 * the same fake upstream:
 *
 * - `direct`: the fake upstream itself (the floor of every figure);
 * - `bare`: a node:http + undici pass-through proxy (bare-proxy.ts): the floor of a Node gateway;
 * - `switchboard`: `node bin/switchboard.js serve`, as a user runs it;
 * - `switchboard-effect`: Switchboard with its pass-through fast lane off (opt-in, for comparison);
 * - `switchboard-keys`: Switchboard on a non-loopback address, so every request carries a gateway key (opt-in);
 * - `switchboard-no-ledger`: Switchboard with the usage ledger off, to show what the ledger costs (opt-in);
 * - `switchboard-ledger-unwritable`: the ledger on, its database unreachable: what recording costs without the writes (opt-in);
 * - `portkey`: Portkey's open-source gateway (portkey.ts), the peer.
 *
 * A target is ready once it serves a real chat completion (and, when it can translate, a
 * translated one): the time from spawning it to that first answer is its start-up figure.
 */
import type { ChildProcess } from "node:child_process"
import { join } from "node:path"
import { collectOutput, forkScript, hasExited, nextMessage } from "./children.ts"
import { freePort } from "./ports.ts"
import { portkeyHeaders, startPortkey } from "./portkey.ts"
import { ANTHROPIC_PROVIDER_ID, chatBody, isMessage, PROVIDER_ID, type ProxyReady, type RequestSpec, UPSTREAM_MODEL, VIRTUAL_MODEL } from "./protocol.ts"
import { GATEWAY_KEY, startSwitchboard } from "./switchboard.ts"

export const TARGET_NAMES = ["direct", "bare", "switchboard", "switchboard-effect", "switchboard-keys", "switchboard-no-ledger", "switchboard-ledger-unwritable", "portkey"] as const
export type TargetName = (typeof TARGET_NAMES)[number]

export interface Target {
  readonly name: TargetName
  readonly process: ChildProcess
  /** A chat completion request to this target for `upstreamModel` (the model id the upstream knows). */
  readonly chat: (upstreamModel: string, stream?: boolean) => RequestSpec
  /** The same request answered by the Anthropic-format upstream (translated); undefined when the target cannot translate. */
  readonly translated: (() => RequestSpec) | undefined
  /** The same request to a virtual model whose first target is the model `chat` names; undefined when the target has none. */
  readonly virtual: (() => RequestSpec) | undefined
  /** Spawn → first chat completion served, ms (undefined for `direct`, started before anything is measured). */
  readonly startupMs: number | undefined
  /** What the target printed lately, for error messages. */
  readonly output: () => string
}

export interface Upstream {
  readonly process: ChildProcess
  readonly port: number
}

const JSON_HEADERS = {}

/** One request, checked: a benchmark of 404s or errors would be fast and meaningless. */
export const checkRequest = async (request: RequestSpec, timeoutMs = 5000): Promise<void> => {
  const response = await fetch(request.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...request.headers },
    body: request.body,
    signal: AbortSignal.timeout(timeoutMs)
  })
  const text = await response.text()
  let content: unknown
  try {
    content = (JSON.parse(text) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content
  } catch {
    content = undefined
  }
  if (response.status !== 200 || content !== "Hi!") throw new Error(`${request.url} answered ${response.status} ${text.slice(0, 300)}`)
  // Switchboard says how many targets it tried: more than one would measure a fall-over, not the chain's cost.
  const attempts = response.headers.get("x-switchboard-attempts")
  if (attempts !== null && attempts !== "1") throw new Error(`${request.url} answered after ${attempts} attempts (${response.headers.get("x-switchboard-model")})`)
}

/** Polls `request` until it is answered properly; the time since `since`. */
const waitUntilServed = async (
  name: string,
  child: ChildProcess,
  output: () => string,
  requests: ReadonlyArray<RequestSpec>,
  since: number,
  timeoutMs: number
): Promise<number> => {
  let last = "no answer yet"
  let firstServed: number | undefined
  let pending = [...requests]
  while (performance.now() - since < timeoutMs) {
    if (hasExited(child)) throw new Error(`${name} exited during start-up:\n${output()}`)
    try {
      // Bounded per poll: a request that arrives as a server starts listening can go unanswered.
      await checkRequest(pending[0]!, 1000)
      firstServed ??= performance.now() - since
      pending = pending.slice(1)
      if (pending.length === 0) return firstServed
      continue
    } catch (error) {
      last = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}` : String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${name} not serving after ${timeoutMs} ms (${last})\n${output()}`)
}

const chatAt = (url: string, headers: Readonly<Record<string, string>>, model: (upstreamModel: string) => string) =>
(upstreamModel: string, stream = false): RequestSpec => ({ url, headers, body: chatBody(model(upstreamModel), stream) })


export interface TargetOptions {
  /** Write a V8 CPU profile of the bare proxy and each Switchboard target into this folder when it stops (`--profile`). */
  readonly profileDir: string | undefined
}

const profileArgs = (name: TargetName, options: TargetOptions): ReadonlyArray<string> =>
  // A folder per target, files named by node (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`):
  // the recording thread writes a profile of its own, which a fixed name would overwrite.
  options.profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${join(options.profileDir, name)}`]

/** Starts `name` in front of `upstream` and waits until it serves. */
export const startTarget = async (name: TargetName, upstream: Upstream, options: TargetOptions): Promise<Target> => {
  const upstreamBase = `http://127.0.0.1:${upstream.port}`
  switch (name) {
    case "direct":
      return {
        name,
        process: upstream.process,
        chat: chatAt(`${upstreamBase}/v1/chat/completions`, JSON_HEADERS, (model) => model),
        translated: undefined,
        virtual: undefined,
        startupMs: undefined,
        output: () => ""
      }
    case "bare": {
      const start = performance.now()
      const child = forkScript(new URL("./bare-proxy.ts", import.meta.url), [upstreamBase], profileArgs(name, options))
      const ready = await nextMessage(child, isMessage<ProxyReady>("ready"), "bare proxy", 10_000)
      const chat = chatAt(`http://127.0.0.1:${ready.port}/v1/chat/completions`, JSON_HEADERS, (model) => model)
      const startupMs = await waitUntilServed(name, child, () => "", [chat(UPSTREAM_MODEL)], start, 10_000)
      return { name, process: child, chat, translated: undefined, virtual: undefined, startupMs, output: () => "" }
    }
    case "switchboard":
    case "switchboard-effect":
    case "switchboard-keys":
    case "switchboard-no-ledger":
    case "switchboard-ledger-unwritable": {
      const start = performance.now()
      const variant = name === "switchboard" ? "serve" : name === "switchboard-effect" ? "effect-path" : name === "switchboard-keys" ? "keys" : name === "switchboard-no-ledger" ? "no-ledger" : "ledger-unwritable"
      const switchboard = await startSwitchboard(upstream.port, variant, profileArgs(name, options))
      const url = `http://127.0.0.1:${switchboard.port}/v1/chat/completions`
      const headers = variant === "keys" ? { authorization: `Bearer ${GATEWAY_KEY}` } : JSON_HEADERS
      const chat = chatAt(url, headers, (model) => `${PROVIDER_ID}/${model}`)
      const translated = () => ({ url, headers, body: chatBody(`${ANTHROPIC_PROVIDER_ID}/${UPSTREAM_MODEL}`) })
      const virtual = () => ({ url, headers, body: chatBody(VIRTUAL_MODEL) })
      const startupMs = await waitUntilServed(name, switchboard.process, switchboard.output, [chat(UPSTREAM_MODEL), translated(), virtual()], start, 30_000)
      return { name, process: switchboard.process, chat, translated, virtual, startupMs, output: switchboard.output }
    }
    case "portkey": {
      const port = await freePort()
      const start = performance.now()
      const child = startPortkey(port)
      const output = collectOutput(child)
      const url = `http://127.0.0.1:${port}/v1/chat/completions`
      const chat = chatAt(url, portkeyHeaders("openai", upstream.port), (model) => model)
      const translated = () => ({ url, headers: portkeyHeaders("anthropic", upstream.port), body: chatBody(UPSTREAM_MODEL) })
      const startupMs = await waitUntilServed(name, child, output, [chat(UPSTREAM_MODEL), translated()], start, 30_000)
      return { name, process: child, chat, translated, virtual: undefined, startupMs, output }
    }
  }
}
