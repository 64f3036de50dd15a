/**
 * The settings module against the README's environment table (the same variables, in the same
 * order, with the same defaults), the defaults it documents against the values it reads, and
 * reading through a `ConfigProvider` a test gives.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import * as Settings from "../../src/config/Settings.ts"

const root = join(import.meta.dirname, "..", "..")

/** The rows of the README table headed `| env | meaning | default |`: variable and default. */
const readmeTable = (): ReadonlyArray<readonly [string, string | undefined]> => {
  const lines = readFileSync(join(root, "README.md"), "utf8").split("\n")
  const start = lines.indexOf("| env | meaning | default |")
  assert.isAtLeast(start, 0, "the README has the environment table")
  const rows: Array<readonly [string, string | undefined]> = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break
    const cells = line.split(" | ")
    const code = (cell: string | undefined) => /`([^`]+)`/.exec(cell ?? "")?.[1]
    const variable = code(cells[0])
    assert.isDefined(variable, `a variable in backquotes: ${line}`)
    const defaultCell = cells.at(-1)?.replace(/\|$/, "").trim()
    rows.push([variable!, defaultCell === "—" ? undefined : code(defaultCell)])
  }
  return rows
}

const env = (variables: Record<string, string>) => ConfigProvider.fromEnv({ env: variables })

describe("Settings", () => {
  it("the README's environment table lists every variable, in order, with its default, and nothing else", () => {
    assert.deepStrictEqual(readmeTable(), Settings.table.map((setting) => [setting.variable, setting.default] as const))
  })

  it.effect("every default the table shows is the value read when the variable is unset", () =>
    Effect.gen(function*() {
      for (const setting of Settings.table) {
        if (typeof setting.config === "function") continue // families: no default
        const value: unknown = yield* setting.config.parse(env({}))
        const none = Option.isOption(value) ? Option.isNone(value) : Array.isArray(value) && value.length === 0
        if (setting.default === undefined) assert.isTrue(none, `${setting.variable} is unset by default`)
        else assert.strictEqual(String(value), setting.default.replace(/^~/, homedir()), setting.variable)
      }
    }))

  it.effect("reads the provider it is given, not process.env; empty counts as unset", () =>
    Effect.gen(function*() {
      const given = env({ SWITCHBOARD_HOME: "/srv/sb", SWITCHBOARD_PORT: "8080", SWITCHBOARD_HOST: "", SWITCHBOARD_GATEWAY_KEYS: " a, b ,," })
      assert.strictEqual(yield* Settings.home.config.parse(given), "/srv/sb")
      assert.strictEqual(yield* Settings.port.config.parse(given), 8080)
      assert.strictEqual(yield* Settings.host.config.parse(given), "127.0.0.1")
      assert.deepStrictEqual(yield* Settings.gatewayKeys.config.parse(given), ["a", "b"])
      assert.strictEqual(yield* Settings.home.config.parse(env({})), join(homedir(), ".switchboard"))
    }))

  it.effect("rejects a value it cannot read, naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Settings.port.config.parse(env({ SWITCHBOARD_PORT: "eighty" })))
      assert.include(error.message, "SWITCHBOARD_PORT")
      yield* Effect.flip(Settings.secrets.config.parse(env({ SWITCHBOARD_SECRETS: "vault" })))
    }))

  it.each([
    ["openai", undefined, "SWITCHBOARD_KEY_OPENAI"],
    ["my-provider", undefined, "SWITCHBOARD_KEY_MY_PROVIDER"],
    ["corp", "X-Corp-Token", "SWITCHBOARD_HEADER_CORP_X_CORP_TOKEN"]
  ] as const)("the family member of %s %s is %s, and matches its pattern", (id, header, variable) => {
    const family = header === undefined ? Settings.providerKey : Settings.providerHeader
    const name = header === undefined ? Settings.providerKey.name(id) : Settings.providerHeader.name(id, header)
    assert.strictEqual(name, variable)
    const pattern = new RegExp(`^${family.variable.replace(/<[A-Z]+>/g, "[A-Z0-9_]+")}$`)
    assert.match(name, pattern)
  })

  it.effect("a family member reads its own variable, redacted", () =>
    Effect.gen(function*() {
      const given = env({ SWITCHBOARD_KEY_MY_PROVIDER: "sk-env", SWITCHBOARD_HEADER_CORP_X_TOKEN: "t" })
      const key = yield* Settings.providerKey.config("my-provider").parse(given)
      assert.strictEqual(Option.map(key, Redacted.value).pipe(Option.getOrNull), "sk-env")
      assert.notInclude(String(key), "sk-env")
      assert.isTrue(Option.isSome(yield* Settings.providerHeader.config("corp", "x-token").parse(given)))
      assert.isTrue(Option.isNone(yield* Settings.providerKey.config("other").parse(given)))
    }))

  it("nothing else in src/ reads process.env", () => {
    const allowed = new Set(["config/Settings.ts"])
    const readers = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !allowed.has(file))
      .filter((file) => /process\.env\b/.test(readFileSync(join(root, "src", file), "utf8")))
    assert.deepStrictEqual(readers, [])
  })
})
