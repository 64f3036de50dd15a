/**
 * The secrets every test of the fault suite uses, and the evidence the suite collects to prove none
 * of them ever leaks: every log line of every server it starts and every response body it reads.
 *
 * The values are distinctive (a fixed marker and a random tail per run), so a hit can only be a
 * leak, never a coincidence. A test file calls `checkNoLeaksAfterAll()` once; its `afterAll` greps
 * everything captured in that file (vitest isolates files, so each file checks its own evidence).
 */
import { randomBytes } from "node:crypto"
import { afterAll, expect } from "vitest"
import { type SwitchboardProcess, startSwitchboard } from "../../support/SwitchboardProcess.ts"

const tail = () => randomBytes(12).toString("hex")

/** Keys and secret header values the suite gives to Switchboard, its providers and its callers. */
export const TestSecrets = {
  /** The API key of OpenAI-format fake providers (`auth: "apiKey"`). */
  upstreamKey: `sk-faults-upstream-${tail()}`,
  /** The value of the secret header `X-Fault-Token`. */
  secretHeader: `faults-header-secret-${tail()}`,
  /** What callers send as their own key (the gateway must neither log nor forward it). */
  callerKey: `sk-faults-caller-${tail()}`
} as const

/** The secret header's name, as configured in `secretHeaders`. */
export const SECRET_HEADER = "X-Fault-Token"

/** The environment variables that give a provider `id` the test key and secret header (`SWITCHBOARD_SECRETS=env`). */
export const secretEnv = (id: string): Record<string, string> => {
  const name = id.toUpperCase().replace(/[^A-Z0-9]/g, "_")
  return {
    [`SWITCHBOARD_KEY_${name}`]: TestSecrets.upstreamKey,
    [`SWITCHBOARD_HEADER_${name}_X_FAULT_TOKEN`]: TestSecrets.secretHeader
  }
}

/** What a provider entry needs to use the test key and secret header. */
export const withSecrets = { auth: "apiKey", secretHeaders: [SECRET_HEADER] } as const

const evidence: Array<{ readonly where: string; readonly text: string }> = []
const running = new Set<SwitchboardProcess>()

/** Keeps `text` to be grepped for secrets when the file ends (a response body, an error message). */
export const capture = (where: string, text: string): void => void evidence.push({ where, text })

/** Keeps an error's message (and body, when it carries one) as evidence; returns the error. */
export const captureError = <E>(where: string, error: E): E => {
  capture(where, error instanceof Error ? `${error.message}\n${JSON.stringify(error)}` : String(error))
  return error
}

/**
 * `startSwitchboard` with JSON-lines logs, whose whole output is kept as evidence when it stops
 * (or when the file ends, for a server a failed test left running).
 */
export const startCapturedSwitchboard = async (options: Parameters<typeof startSwitchboard>[0] = {}): Promise<SwitchboardProcess> => {
  const process = await startSwitchboard({ ...options, env: { SWITCHBOARD_LOG_FORMAT: "json", ...options.env } })
  running.add(process)
  return {
    ...process,
    stop: async () => {
      running.delete(process)
      await process.stop()
      capture(`switchboard ${process.url} output`, process.output())
    }
  }
}

/** The secrets found in `text`, by name. */
export const secretsIn = (text: string): Array<string> =>
  Object.entries(TestSecrets).filter(([, value]) => text.includes(value)).map(([name]) => name)

/** Registers the end-of-file check: no captured text holds any test secret. */
export const checkNoLeaksAfterAll = (): void => {
  afterAll(async () => {
    for (const process of Array.from(running)) {
      capture(`switchboard ${process.url} output (still running)`, process.output())
    }
    const leaks = evidence.flatMap(({ where, text }) => secretsIn(text).map((secret) => `${secret} in ${where}`))
    expect(leaks).toEqual([])
    // The check must have looked at something: a suite that captured nothing proves nothing.
    expect(evidence.length).toBeGreaterThan(0)
  })
}
