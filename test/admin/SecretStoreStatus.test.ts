/**
 * With a working keychain (the private Secret Service `npm test` starts): `GET /admin/secrets`
 * reports no problem and no notice (the page shows no banner), and key presence is a plain
 * true/false. Skipped with the reason printed when no keychain is available.
 */
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AdminClient, adminClient } from "../support/AdminClient.ts"
import { type SwitchboardProcess, startSwitchboard } from "../support/SwitchboardProcess.ts"

const keychainSkip = process.env.SWITCHBOARD_TEST_KEYCHAIN === "1"
  ? undefined
  : process.env.SWITCHBOARD_TEST_KEYCHAIN_SKIP_REASON ?? "run through `npm test`, which starts a private Secret Service"
if (keychainSkip) console.warn(`[switchboard] SKIPPED secret store status tests (keychain): ${keychainSkip}`)

const KEY = `sk-status-${randomBytes(12).toString("hex")}`
const NAME = `Status ${process.pid}`
const ID = `status-${process.pid}`

describe.skipIf(keychainSkip !== undefined)("GET /admin/secrets with the keychain", () => {
  let switchboard: SwitchboardProcess
  let admin: AdminClient

  beforeAll(async () => {
    switchboard = await startSwitchboard({ config: { version: 1, providers: [] }, env: { SWITCHBOARD_SECRETS: "keychain" } })
    admin = adminClient(switchboard.port)
  })
  afterAll(async () => {
    await admin?.call("DELETE", `/admin/providers/${ID}`)
    await switchboard?.stop()
  })

  it("reports a writable keychain with nothing to say, and key presence as true or false", async () => {
    const status = await admin.call("GET", "/admin/secrets")
    expect(status.json).toMatchObject({ kind: "keychain", writable: true, problem: null, notice: null })
    const created = await admin.call<{ apiKeySet: boolean | null }>("POST", "/admin/providers", {
      body: { name: NAME, settings: { host: "127.0.0.1", autoConnect: false }, apiKey: KEY }
    })
    expect(created.status).toBe(201)
    expect(created.json.apiKeySet).toBe(true)
    const removedKey = await admin.call<{ apiKeySet: boolean | null }>("PATCH", `/admin/providers/${ID}`, { body: { apiKey: null } })
    expect(removedKey.json.apiKeySet).toBe(false)
    expect(admin.seen.join("\n")).not.toContain(KEY)
  })
})
