/** `providers edit --header / --remove-header` on a provider's headers, as a table. */
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { headerEdits } from "../../src/cli/ProvidersCommand.ts"

const current = { headers: { "X-Team": "ml", "X-Env": "dev" }, secretHeaders: ["X-Token"] }

describe("headerEdits", () => {
  it.each([
    [[["X-New", "1"]], [], [], { headerChanges: { "X-New": "1" }, removedSecretHeaders: {} }],
    [[["X-Env", ""]], [], [], { headerChanges: { "X-Env": null }, removedSecretHeaders: {} }],
    [[], ["x-env"], [], { headerChanges: { "x-env": null }, removedSecretHeaders: {} }],
    [[], ["x-token"], [], { headerChanges: undefined, removedSecretHeaders: { "X-Token": null } }],
    [[], ["X-Token", "X-Team"], [], { headerChanges: { "X-Team": null }, removedSecretHeaders: { "X-Token": null } }]
  ] as const)("--header %j --remove-header %j → %j", (pairs, removals, secret, expected) => {
    expect(Effect.runSync(headerEdits("corp", current, pairs, removals, secret))).toEqual(expected)
  })

  it.each([
    [["X-Nope"], [], "--remove-header X-Nope: provider corp has no such header"],
    [["X-Token"], ["x-token"], "--remove-header X-Token and --secret-header X-Token contradict each other: give one"]
  ] as const)("--remove-header %j with --secret-header %j fails: %s", (removals, secret, message) => {
    const exit = Effect.runSyncExit(headerEdits("corp", current, [], removals, secret))
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain(message)
  })
})
