/** `--help` on every command of the real binary: usage, description and the flags it takes. */
import { assert, describe, it } from "vitest"
import { runCli } from "../support/SwitchboardCli.ts"

const commands: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
  [[], ["serve", "providers", "models", "secrets", "keys"]],
  [["serve"], ["--host", "--port"]],
  [["providers"], ["list", "add", "edit", "remove", "enable", "disable", "test"]],
  [["providers", "list"], ["--url"]],
  [["providers", "add"], ["<preset>", "--name", "--host", "--port", "--protocol", "--base-path", "--format", "--timeout", "--header", "--secret-header", "--api-key-stdin", "--models", "--url"]],
  [["providers", "edit"], ["<provider-id>", "--name", "--host", "--header", "--secret-header", "--api-key-stdin", "--confirm-keep-secrets", "--remove-api-key", "--remove-header", "--models", "--clear-models"]],
  [["providers", "remove"], ["<provider-id>"]],
  [["providers", "enable"], ["<provider-id>"]],
  [["providers", "disable"], ["<provider-id>"]],
  [["providers", "test"], ["<provider-id>"]],
  [["models"], ["--url", "virtual"]],
  [["models", "virtual"], ["list", "add", "edit", "remove"]],
  [["models", "virtual", "list"], ["--url"]],
  [["models", "virtual", "add"], ["<name>", "--target", "--strategy", "--system", "--description", "--default", "--rules-file", "--url"]],
  [["models", "virtual", "edit"], ["<name>", "--target", "--add-target", "--remove-target", "--strategy", "--system", "--default", "--rules-file"]],
  [["models", "virtual", "remove"], ["<name>"]],
  [["secrets"], ["set", "delete"]],
  [["secrets", "set"], ["<provider-id>", "--header"]],
  [["secrets", "delete"], ["<provider-id>", "--header"]],
  [["keys"], ["create", "list", "revoke"]],
  [["keys", "create"], ["--name", "cannot be shown again"]],
  [["keys", "list"], ["never the keys"]],
  [["keys", "revoke"], ["<id>"]]
]

describe("--help", () => {
  it.each(commands)("switchboard %j --help", async (path, mentions) => {
    const result = await runCli([...path, "--help"])
    assert.strictEqual(result.status, 0, result.stderr)
    assert.include(result.stdout, "DESCRIPTION")
    assert.include(result.stdout, `USAGE\n  switchboard${path.map((part) => ` ${part}`).join("")}`)
    for (const mention of mentions) assert.include(result.stdout, mention)
  })

  it("offers no flag that would take a secret as its value", async () => {
    for (const path of [["providers", "add"], ["providers", "edit"], ["secrets", "set"], ["keys", "create"]]) {
      const result = await runCli([...path, "--help"])
      assert.notMatch(result.stdout, /--api-key\s|--key\s|--secret\s/)
    }
  })
})
