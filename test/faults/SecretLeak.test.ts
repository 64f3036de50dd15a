/**
 * Secrets never leak, and logs are structured. One server with JSON-lines logs
 * (`SWITCHBOARD_LOG_FORMAT=json`) is put through what makes a gateway talk: providers whose
 * discovery fails with the key quoted back, careless upstream errors quoting the key and the
 * secret header on every API, callers sending their own keys in `authorization` and `x-api-key`,
 * a config reload, the status and management endpoints. Then:
 *
 * - every line the process printed (stdout and stderr, start to shutdown) is a JSON object with
 *   `message`, `level` and `timestamp`;
 * - no log line, response body or error message holds a test secret (`TestSecrets.ts`; the same
 *   check ends every file of the suite, over everything that file saw).
 *
 * Switchboard logs no request headers at all (the HTTP logger is off), so redaction of
 * `authorization`, `x-api-key` and secret headers comes down to never printing them; the upstream
 * texts it does print (errors) are scrubbed of the provider's secrets first.
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import { writeRemoteConfig, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"
import { APIS, ask } from "./support/Clients.ts"
import { type MisbehavingUpstream, providerEntry, startMisbehavingUpstream } from "./support/MisbehavingUpstream.ts"
import { capture, checkNoLeaksAfterAll, secretEnv, secretsIn, startCapturedSwitchboard, TestSecrets, withSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

let careless: MisbehavingUpstream
let broken: MisbehavingUpstream
let switchboard: SwitchboardProcess

const providers = () => [
  providerEntry(careless, "careless", { ...withSecrets, timeoutSeconds: 1 }),
  providerEntry(broken, "broken", { ...withSecrets, timeoutSeconds: 1 })
]

beforeAll(async () => {
  ;[careless, broken] = await Promise.all([startMisbehavingUpstream(), startMisbehavingUpstream()])
  // Its discovery fails with an HTML page quoting the key: logged (as a warning) on every retry.
  broken.setDiscovery("html")
  switchboard = await startCapturedSwitchboard({
    config: { version: 1, providers: providers() },
    env: { ...secretEnv("careless"), ...secretEnv("broken") }
  })
  await waitForProvider(switchboard.url, "careless", "connected")
  await waitForProvider(switchboard.url, "broken", "error")
})
afterAll(async () => {
  await switchboard?.stop()
  await Promise.all([careless?.close(), broken?.close()])
})

it("careless upstream errors reach callers scrubbed, on every API", async () => {
  for (const fault of ["html", "rate-limited", "error-500", "error-502", "error-503", "slow-headers", "reset"]) {
    for (const api of APIS) {
      for (const stream of [false, true]) {
        const outcome = await ask(switchboard.url, api, `careless/${fault}`, { stream })
        expect(outcome._tag).toBe("Failed")
        // Scrubbed where it is shown, not merely absent: the upstream did quote the key.
        if (outcome._tag === "Failed") expect(secretsIn(outcome.message)).toEqual([])
      }
    }
  }
  const upstreamErrors = careless.requests.filter((r) => r.headers.authorization === `Bearer ${TestSecrets.upstreamKey}`)
  expect(upstreamErrors.length).toBeGreaterThan(0)
})

it("the caller's own keys are neither forwarded nor shown", async () => {
  for (const api of APIS) expect(await ask(switchboard.url, api, "careless/ok", { stream: false })).toMatchObject({ _tag: "Answer" })
  for (const request of careless.requests) {
    expect(JSON.stringify(request.headers)).not.toContain(TestSecrets.callerKey)
  }
})

it("status and management endpoints show no secret", async () => {
  for (const path of ["/health", "/v1/providers", "/v1/models", "/admin/providers", "/admin/providers/careless", "/admin/providers/broken"]) {
    const response = await fetch(`${switchboard.url}${path}`)
    const text = await response.text()
    capture(`GET ${path}`, text)
    expect(response.status, path).toBe(200)
    expect(secretsIn(text), path).toEqual([])
  }
  // The provider in error shows why, scrubbed.
  const broken = await (await fetch(`${switchboard.url}/v1/providers`)).json() as { data: Array<{ id: string; error: string | null }> }
  expect(broken.data.find((p) => p.id === "broken")?.error).toContain("[redacted]")
})

it("a config reload is logged, and logs stay JSON lines without secrets to the end", async () => {
  writeRemoteConfig(switchboard.home, { version: 1, providers: providers().map((p) => ({ ...p, name: `${String(p.name)} (edited)` })) })
  await waitUntil("the reload to be logged", async () => switchboard.output().includes("changed: applying") ? true : undefined)
  await waitForProvider(switchboard.url, "careless", "connected")
  await switchboard.stop()

  const lines = switchboard.output().split("\n").filter((line) => line.trim() !== "")
  expect(lines.length).toBeGreaterThan(3)
  for (const line of lines) {
    let parsed: unknown
    expect(() => (parsed = JSON.parse(line)), line).not.toThrow()
    expect(parsed, line).toMatchObject({ message: expect.anything(), level: expect.any(String), timestamp: expect.any(String) })
  }
  // The key was quoted back by the broken provider's discovery, and scrubbed before it was logged.
  expect(lines.some((line) => line.includes("provider broken") && line.includes("[redacted]"))).toBe(true)
  expect(secretsIn(switchboard.output())).toEqual([])
})
