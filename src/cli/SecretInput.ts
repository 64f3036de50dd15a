/**
 * Reading secrets from the user: a hidden prompt on a terminal, stdin when piped (scripts, CI) —
 * never a flag value, which would land in the shell history and the process list.
 */
import { Effect, Redacted } from "effect"
import { Prompt } from "effect/cli"
import { CliFailure } from "./Operation.ts"

/** Whether stdin is a terminal a prompt can read from. */
export const interactive = (): boolean => process.stdin.isTTY === true

/** All of stdin, without the final line break (`echo` adds one; it is not part of a key). */
export const readStdin = Effect.promise(async () => {
  let text = ""
  for await (const chunk of process.stdin) text += String(chunk)
  return text.replace(/\r?\n$/, "")
})

/** A hidden prompt. */
export const promptSecret = (message: string) => Prompt.run(Prompt.Hidden({ message }))

/** One secret: a hidden prompt on a terminal, else the whole of stdin. */
export const readSecret = (what: string) =>
  interactive() ? promptSecret(`Value for ${what}`) : Effect.map(readStdin, Redacted.make)

/** The secrets a provider command asks for. */
export interface SecretRequest {
  /** Ask for an API key; `optional`: an empty answer means none (a prompt the user may skip). */
  readonly apiKey: "required" | "optional" | "no"
  /** Secret header names, in the order given on the command line. */
  readonly headers: ReadonlyArray<string>
}

export interface SecretValues {
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly headers: Readonly<Record<string, Redacted.Redacted<string>>>
}

const nonEmpty = (what: string) => (value: Redacted.Redacted<string>) =>
  Redacted.value(value) === "" ? Effect.fail(new CliFailure({ message: `empty value for ${what}: nothing stored` })) : Effect.succeed(value)

/**
 * The API key and secret header values: hidden prompts on a terminal; piped, stdin holds one
 * value per line — the API key first (when asked for), then each `--secret-header` in order.
 */
export const readSecrets = (request: SecretRequest, label: string) =>
  Effect.gen(function*() {
    const headers: Record<string, Redacted.Redacted<string>> = {}
    if (interactive()) {
      let apiKey: Redacted.Redacted<string> | undefined
      if (request.apiKey !== "no") {
        const suffix = request.apiKey === "optional" ? " (empty: none)" : ""
        const value = yield* promptSecret(`API key for ${label}${suffix}`)
        apiKey = Redacted.value(value) === "" && request.apiKey === "optional" ? undefined : yield* nonEmpty("the API key")(value)
      }
      for (const name of request.headers) {
        headers[name] = yield* Effect.flatMap(promptSecret(`Value of secret header ${name}`), nonEmpty(`secret header ${name}`))
      }
      return { apiKey, headers } satisfies SecretValues
    }
    if (request.apiKey !== "required" && request.headers.length === 0) return { apiKey: undefined, headers } satisfies SecretValues
    const wanted = (request.apiKey === "required" ? 1 : 0) + request.headers.length
    const lines = (yield* readStdin).split(/\r?\n/)
    if (lines.length < wanted) {
      return yield* new CliFailure({
        message: `expected ${wanted} line(s) on stdin: ${request.apiKey === "required" ? "the API key, then " : ""}one value per --secret-header, in order`
      })
    }
    let next = 0
    const apiKey = request.apiKey === "required" ? yield* nonEmpty("the API key")(Redacted.make(lines[next++]!)) : undefined
    for (const name of request.headers) headers[name] = yield* nonEmpty(`secret header ${name}`)(Redacted.make(lines[next++]!))
    return { apiKey, headers } satisfies SecretValues
  })
