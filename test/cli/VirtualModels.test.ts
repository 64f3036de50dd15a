/**
 * `switchboard models virtual list|add|edit|remove` through the real binary, on both backends: the
 * config files directly (no server answers) and a running server's admin API (the CLI's own home
 * stays empty; the change lands in the server's remote.json and applies at once). A refused entry
 * prints one line naming the field at fault and leaves remote.json byte for byte as it was.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { failWith, type FakeOpenAiUpstream, providerEntry, reply, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { runCli } from "../support/SwitchboardCli.ts"
import { freePort, startSwitchboard, type SwitchboardProcess, waitForProvider, writeRemoteConfig } from "../support/SwitchboardProcess.ts"
import { tempDir } from "../support/TempDir.ts"

const configPath = (home: string) => join(home, "providers", "remote.json")
const virtualModelsOf = (home: string): Array<Record<string, unknown>> => JSON.parse(readFileSync(configPath(home), "utf8")).virtualModels
/** Colour codes out, and the blanks at line ends a table may leave. */
const plain = (text: string) => text.replace(/\u001b\[\d+m/g, "")

const cliIn = (env: Record<string, string>) => async (...args: ReadonlyArray<string>) => {
  const result = await runCli(["models", "virtual", ...args], { env })
  assert.strictEqual(result.status, 0, `${args.join(" ")}: ${result.stderr}`)
  return result
}

/** Runs a command that must be refused: exit 1, one line on stderr, remote.json untouched. */
const refusedIn = (env: Record<string, string>, home: string) => async (...args: ReadonlyArray<string>) => {
  const before = readFileSync(configPath(home), "utf8")
  const result = await runCli(["models", "virtual", ...args], { env })
  assert.strictEqual(result.status, 1, `${args.join(" ")} should fail: ${result.stdout}`)
  assert.strictEqual(readFileSync(configPath(home), "utf8"), before, `${args.join(" ")} changed remote.json`)
  return result.stderr
}

let noServerPort: number
beforeAll(async () => {
  noServerPort = await freePort()
})

describe("models virtual on remote.json (no server running)", () => {
  const setUp = () => {
    const home = tempDir("switchboard-cli-virtual-")
    writeRemoteConfig(home, { version: 1, providers: [] })
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(noServerPort) }
    return { home, env, cli: cliIn(env), refused: refusedIn(env, home) }
  }

  // Many CLI runs, each a process start: generous timeouts, never assertions on time.
  it("add writes a fallback chain and a balanced pair as the issue shows them; list tabulates them", { timeout: 60_000 }, async () => {
    const { home, cli } = setUp()
    const empty = await cli("list")
    assert.strictEqual(empty.stdout.trim(), "no virtual models configured in remote.json (Switchboard is not running): add one with `switchboard models virtual add <name> --target <model>`")

    const added = await cli("add", "smart", "--target", "openai/gpt-4.1", "--target", "anthropic/claude-sonnet-4-5", "--target", "local/qwen3-8b",
      "--system", "Be brief.", "--default", "temperature=0.2", "--default", "max_tokens=800", "--description", "best first")
    assert.strictEqual(added.stdout.trim(), "added virtual model smart")
    assert.strictEqual(added.stderr, "")
    await cli("add", "spread", "--strategy", "balance", "--target", "a/m=3", "--target", "b/m=1")

    assert.deepStrictEqual(virtualModelsOf(home), [
      {
        name: "smart",
        targets: ["openai/gpt-4.1", "anthropic/claude-sonnet-4-5", "local/qwen3-8b"],
        system: "Be brief.",
        description: "best first",
        defaults: { temperature: 0.2, max_tokens: 800 }
      },
      { name: "spread", strategy: "balance", targets: [{ model: "a/m", weight: 3 }, { model: "b/m", weight: 1 }] }
    ])

    const list = await cli("list")
    assert.strictEqual(list.stdout, [
      "NAME    STRATEGY  PRESETS                                  TARGET                       WEIGHT",
      "smart   fallback  system, temperature=0.2, max_tokens=800  openai/gpt-4.1",
      "                                                           anthropic/claude-sonnet-4-5",
      "                                                           local/qwen3-8b",
      "spread  balance                                            a/m                          3",
      "                                                           b/m                          1",
      `Switchboard is not running (no server at http://127.0.0.1:${noServerPort}): targets from remote.json, no live state`,
      ""
    ].join("\n"))
  })

  it("edit changes only the fields given: targets added, removed or replaced, presets removed with an empty value, rules from a file", { timeout: 120_000 }, async () => {
    const { home, cli } = setUp()
    await cli("add", "smart", "--target", "a/one", "--target", "b/two", "--system", "Be brief.", "--default", "temperature=0.2", "--default", "top_p=0.9")

    await cli("edit", "smart", "--add-target", "c/three", "--remove-target", "a/one", "--default", "temperature=", "--system", "")
    assert.deepStrictEqual(virtualModelsOf(home), [{ name: "smart", targets: ["b/two", "c/three"], defaults: { top_p: 0.9 } }])

    const rules = join(tempDir("switchboard-cli-rules-"), "rules.json")
    writeFileSync(rules, JSON.stringify([
      { name: "think", when: { thinking: true }, targets: ["anthropic/claude-opus-4"] },
      { when: { format: "anthropic", minInputTokens: 60000 }, targets: ["google/gemini-2.5-pro"] }
    ]))
    const edited = await cli("edit", "smart", "--rules-file", rules, "--strategy", "balance", "--target", "x/m=2", "--target", "y/m")
    assert.strictEqual(edited.stdout.trim(), "updated virtual model smart")
    assert.deepStrictEqual(virtualModelsOf(home), [{
      name: "smart",
      targets: [{ model: "x/m", weight: 2 }, "y/m"],
      defaults: { top_p: 0.9 },
      strategy: "balance",
      rules: [
        { name: "think", when: { thinking: true }, targets: ["anthropic/claude-opus-4"] },
        { when: { format: "anthropic", minInputTokens: 60000 }, targets: ["google/gemini-2.5-pro"] }
      ]
    }])

    const list = await cli("list")
    assert.include(list.stdout, "NAME   STRATEGY  PRESETS    RULE                                    TARGET                   WEIGHT\n")
    assert.include(list.stdout, "smart  balance   top_p=0.9                                          x/m                      2\n")
    assert.include(list.stdout, "                           think: thinking                         anthropic/claude-opus-4  1\n")
    assert.include(list.stdout, "                           rule 2: format=anthropic, tokens>60000  google/gemini-2.5-pro    1\n")

    writeFileSync(rules, "[]")
    await cli("edit", "smart", "--rules-file", rules, "--default", "top_p=")
    assert.deepStrictEqual(virtualModelsOf(home), [{ name: "smart", targets: [{ model: "x/m", weight: 2 }, "y/m"], strategy: "balance" }])

    const weights = await cli("edit", "smart", "--strategy", "fallback")
    assert.strictEqual(weights.stderr.trim(), "note: smart falls back in order: weights count only with --strategy balance")

    const removed = await cli("remove", "smart")
    assert.strictEqual(removed.stdout.trim(), "removed virtual model smart")
    assert.deepStrictEqual(virtualModelsOf(home), [])
  })

  it("refuses invalid entries with one line naming the field (and the flag), leaving remote.json untouched", { timeout: 180_000 }, async () => {
    const { home, cli, refused } = setUp()
    await cli("add", "loop", "--target", "smart2")

    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [["add", "bad", "--strategy", "roundrobin", "--target", "a/m"], `Invalid value for flag --strategy: "roundrobin". Expected: "fallback" | "balance"`],
      [["add", "bad"], `switchboard: virtual model "bad": targets: expected at least one target (--target)\n`],
      [["edit", "loop", "--remove-target", "smart2"], `switchboard: virtual model "loop": targets: expected at least one target (--target)\n`],
      [["add", "smart2", "--target", "loop"], `switchboard: virtual model "smart2": targets: "smart2" leads back to itself (smart2 → loop → smart2)\n`],
      [["add", "bad", "--target", "a/m=0"], `switchboard: virtual model "bad": targets.0.weight: Expected a value greater than 0 (--target)\n`],
      [["add", "bad", "--target", "a/m=heavy"], `switchboard: --target "a/m=heavy": the weight after = must be a number, e.g. a/m=3\n`],
      [["add", "bad", "--target", "a/m", "--default", "temperature=7"], `switchboard: virtual model "bad": defaults.temperature: Expected a value between 0 and 2 (--default temperature=…)\n`],
      [["add", "bad", "--target", "a/m", "--default", "seed=1"], `switchboard: --default "seed=1": expected NAME=VALUE with NAME one of temperature, top_p, max_tokens\n`],
      [["add", "a/b", "--target", "a/m"], `switchboard: virtual model "a/b": name: expected a name without slashes or spaces (letters, digits and . _ : @ -, starting with a letter or digit)\n`],
      [["add", "loop", "--target", "a/m"], "switchboard: a virtual model called loop exists: change it with `switchboard models virtual edit loop`\n"],
      [["edit", "nope", "--target", "a/m"], "switchboard: no virtual model is called nope: add it with `switchboard models virtual add nope`\n"],
      [["edit", "loop", "--remove-target", "z/z"], "switchboard: --remove-target z/z: not a target of loop (its targets: smart2)\n"],
      [["edit", "loop", "--add-target", "smart2"], "switchboard: --add-target smart2: already a target of loop\n"],
      [["edit", "loop", "--target", "a/m", "--add-target", "b/m"], "switchboard: --target replaces the whole list; --add-target and --remove-target change it: give one or the other\n"],
      [["remove", "nope"], "switchboard: no virtual model is called nope\n"]
    ]
    for (const [args, message] of cases) {
      const stderr = await refused(...args)
      if (message.startsWith("switchboard: ")) assert.strictEqual(stderr, message, args.join(" "))
      else assert.include(stderr, message, args.join(" "))
    }

    const rules = join(tempDir("switchboard-cli-rules-"), "rules.json")
    writeFileSync(rules, JSON.stringify([{ when: { format: "grpc" }, targets: ["a/m"] }]))
    assert.strictEqual(
      await refused("edit", "loop", "--rules-file", rules),
      `switchboard: virtual model "loop": rules.0.when.format: Expected "openai" | "anthropic" | "responses" (--rules-file)\n`
    )
    assert.deepStrictEqual(virtualModelsOf(home), [{ name: "loop", targets: ["smart2"] }])
  })

  it("list shows the entries that work and names the ones left out, with the field at fault; edit can fix one", { timeout: 60_000 }, async () => {
    const { home, env, cli } = setUp()
    writeRemoteConfig(home, {
      version: 1,
      providers: [],
      virtualModels: [{ name: "ok", targets: ["a/m"] }, { name: "broken", strategy: "rr", targets: ["a/m"] }]
    })
    const list = await runCli(["models", "virtual", "list"], { env })
    assert.strictEqual(list.status, 0)
    assert.match(list.stdout, /^NAME  STRATEGY  TARGET\nok    fallback  a\/m\n/)
    assert.strictEqual(list.stderr, `problem: virtualModels[1] ("broken"): strategy: Expected "fallback" | "balance": left out\n`)

    await cli("edit", "broken", "--strategy", "balance")
    assert.deepStrictEqual(virtualModelsOf(home)[1], { name: "broken", strategy: "balance", targets: ["a/m"] })
    const fixed = await cli("list")
    assert.strictEqual(fixed.stderr, "")
  })
})

describe("models virtual with a server running", () => {
  let upstream: FakeOpenAiUpstream
  let server: SwitchboardProcess
  let env: Record<string, string>
  let cliHome: string

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: { good: reply("hello"), bad: failWith(500) } })
    server = await startSwitchboard({ config: { version: 1, providers: [providerEntry(upstream, "fake")] } })
    await waitForProvider(server.url, "fake", "connected")
  })
  afterAll(async () => {
    await server?.stop()
    await upstream?.close()
  })

  const setUp = () => {
    cliHome = tempDir("switchboard-cli-virtual-home-")
    env = { SWITCHBOARD_HOME: cliHome, SWITCHBOARD_SECRETS: "env", SWITCHBOARD_PORT: String(server.port) }
    return { cli: cliIn(env), refused: refusedIn(env, server.home) }
  }

  const chat = (model: string) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] })
    })

  it("add goes through the server, which serves the chain at once; list shows each target's state and breaker", { timeout: 60_000 }, async () => {
    const { cli } = setUp()
    const added = await cli("add", "smart", "--target", "fake/bad", "--target", "fake/good", "--target", "other/model")
    assert.strictEqual(added.stdout.trim(), "added virtual model smart")
    assert.strictEqual(added.stderr.trim(), "note: no provider serves other/model now: requests skip it until one does")
    assert.isFalse(existsSync(configPath(cliHome)), "the CLI went through the server, not its own files")
    assert.deepStrictEqual(virtualModelsOf(server.home), [{ name: "smart", targets: ["fake/bad", "fake/good", "other/model"] }])

    const fresh = await cli("list")
    assert.strictEqual(plain(fresh.stdout), [
      "NAME   STRATEGY  TARGET       STATE",
      "smart  fallback  fake/bad     available",
      "                 fake/good    available",
      "                 other/model  no provider other",
      ""
    ].join("\n"))

    // Enough failures in a row to open fake/bad's breaker; each request still answers, from fake/good.
    for (let i = 0; i < 3; i++) {
      const response = await chat("smart")
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("x-switchboard-model"), "fake/good")
      await response.arrayBuffer()
    }
    const tripped = await runCli(["models", "virtual", "list"], { env: { ...env, FORCE_COLOR: "1" } })
    assert.strictEqual(tripped.status, 0)
    // Open, or already half-open on a slow machine: the cool-down is the server's own clock.
    assert.match(tripped.stdout, /fake\/bad {5}\u001b\[3[14]mbreaker (open, retry in \d+ s|half-open: next request probes): 500: [^\n]+\u001b\[39m\n/)
    assert.include(tripped.stdout, "fake/good    \u001b[32mavailable\u001b[39m\n")
    assert.include(tripped.stdout, "other/model  \u001b[31mno provider other\u001b[39m\n")
  })

  it("edit and remove go through the server and apply at once; the entry the edit starts from is the one in remote.json", { timeout: 60_000 }, async () => {
    const { cli } = setUp()
    await cli("add", "spread", "--strategy", "balance", "--target", "fake/good=3", "--description", "three to one")
    const entry = await fetch(`${server.url}/admin/virtual-models/spread/entry`)
    assert.deepStrictEqual(await entry.json(), { name: "spread", strategy: "balance", targets: [{ model: "fake/good", weight: 3 }], description: "three to one" })

    await cli("edit", "spread", "--add-target", "fake/bad=1", "--description", "")
    assert.deepStrictEqual(virtualModelsOf(server.home).find((one) => one.name === "spread"), {
      name: "spread",
      strategy: "balance",
      targets: [{ model: "fake/good", weight: 3 }, { model: "fake/bad", weight: 1 }]
    })
    const live = await (await fetch(`${server.url}/v1/virtual-models`)).json() as { data: Array<{ id: string; targets: Array<{ model: string; weight: number }> }> }
    assert.deepStrictEqual(live.data.find((one) => one.id === "spread")?.targets.map((target) => [target.model, target.weight]), [["fake/good", 3], ["fake/bad", 1]])

    const list = await cli("list")
    assert.match(plain(list.stdout), /\nspread +balance +fake\/good +3 +available\n +fake\/bad +1 +/)

    await cli("remove", "spread")
    const after = await (await fetch(`${server.url}/v1/virtual-models`)).json() as { data: Array<{ id: string }> }
    assert.notInclude(after.data.map((one) => one.id), "spread")
    const gone = await chat("spread")
    assert.strictEqual(gone.status, 404)
    await gone.arrayBuffer()
  })

  it("refuses what the server refuses, with the field named and the server's remote.json untouched", { timeout: 60_000 }, async () => {
    const { cli, refused } = setUp()
    await cli("add", "loop", "--target", "second")
    assert.strictEqual(
      await refused("add", "second", "--target", "loop"),
      `switchboard: virtual model "second": targets: "second" leads back to itself (second → loop → second)\n`
    )
    assert.strictEqual(
      await refused("edit", "loop", "--default", "max_tokens=0"),
      `switchboard: virtual model "loop": defaults.max_tokens: Expected a value greater than 0 (--default max_tokens=…)\n`
    )
    assert.strictEqual(await refused("remove", "nope"), "switchboard: no virtual model is called nope\n")
    assert.strictEqual(await refused("edit", "nope", "--target", "a/m"), "switchboard: no virtual model is called nope: add it with `switchboard models virtual add nope`\n")
    assert.isFalse(existsSync(configPath(cliHome)))
  })
})
