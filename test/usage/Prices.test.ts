/**
 * `priceOf`: the layers (upstream-reported cost, the provider's override, the genai-prices table,
 * local models, unknown), cached and reasoning tokens priced apart, unknown kept unknown; and the
 * `"prices"` override in remote.json: decoded entry by entry, its problems reported, kept through
 * every write.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { calcPrice } from "@pydantic/genai-prices"
import { Effect, Layer, Redacted, Schema } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ConfigStore } from "../../src/config/ConfigStore.ts"
import { ProviderCatalog } from "../../src/config/ProviderCatalog.ts"
import { configWarnings, type ModelPrice, modelPrices, priceProblems, RemoteConfig } from "../../src/config/RemoteConfig.ts"
import { putVirtualModel } from "../../src/config/VirtualModelCatalog.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { type Price, type PriceInput, priceOf, tableCostExact } from "../../src/usage/Prices.ts"
import { noTokens, type Tokens } from "../../src/usage/RequestRecord.ts"
import { tempDir } from "../support/TempDir.ts"

const at = new Date("2026-01-15T12:00:00Z")

const tokens = (input: number | null, output: number | null, more: Partial<Tokens> = {}): Tokens => ({
  input,
  output,
  cachedRead: null,
  cacheWrite: null,
  reasoning: null,
  ...more
})

const input = (fields: Partial<PriceInput>): PriceInput => ({
  providerId: "p",
  preset: "custom",
  upstreamModel: "some-model",
  tokens: tokens(1_000_000, 1_000_000),
  reportedCostUsd: null,
  override: undefined,
  at,
  ...fields
})

const close = (actual: Price, expected: Price) => {
  assert.strictEqual(actual.source, expected.source)
  if (expected.costUsd === null) assert.isNull(actual.costUsd)
  else {
    assert.isNotNull(actual.costUsd)
    assert.closeTo(actual.costUsd!, expected.costUsd, 1e-12)
  }
}

const override: ModelPrice = { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 }

describe("priceOf: the layers, most specific first", () => {
  it.each([
    ["a reported cost wins over an override", input({ reportedCostUsd: 0.0123, override }), { costUsd: 0.0123, source: "upstream" }],
    ["a reported cost wins over the table", input({ preset: "openrouter", upstreamModel: "openai/gpt-4o-mini", reportedCostUsd: 0.5 }), { costUsd: 0.5, source: "upstream" }],
    ["a reported cost of 0 is a cost (a free model)", input({ preset: "openrouter", reportedCostUsd: 0 }), { costUsd: 0, source: "upstream" }],
    ["a reported cost wins without tokens", input({ tokens: noTokens, reportedCostUsd: 0.2 }), { costUsd: 0.2, source: "upstream" }],
    ["a negative reported cost is not one", input({ reportedCostUsd: -1, override }), { costUsd: 10, source: "override" }],
    ["a reported NaN is not one", input({ reportedCostUsd: Number.NaN }), { costUsd: null, source: "unknown" }],
    ["an override wins over the table", input({ preset: "openai", upstreamModel: "gpt-4o-mini", override }), { costUsd: 10, source: "override" }],
    ["an override wins over local", input({ preset: "ollama", override }), { costUsd: 10, source: "override" }],
    ["local models cost nothing", input({ preset: "local", upstreamModel: "qwen3-8b-q4" }), { costUsd: 0, source: "local" }],
    ["Ollama runs on this machine", input({ preset: "ollama", upstreamModel: "llama3.2" }), { costUsd: 0, source: "local" }],
    ["LM Studio runs on this machine", input({ preset: "lmstudio", upstreamModel: "gpt-4o-mini" }), { costUsd: 0, source: "local" }],
    ["local without tokens: still nothing", input({ preset: "local", tokens: noTokens }), { costUsd: 0, source: "local" }],
    ["a custom host: unknown, even for a model the table knows", input({ preset: "custom", upstreamModel: "gpt-4o-mini" }), { costUsd: null, source: "unknown" }],
    ["Venice: not in the table", input({ preset: "venice", upstreamModel: "llama-3.3-70b" }), { costUsd: null, source: "unknown" }],
    ["a model the table does not know", input({ preset: "openai", upstreamModel: "switchboard-test-model" }), { costUsd: null, source: "unknown" }],
    ["no preset", input({ preset: undefined }), { costUsd: null, source: "unknown" }],
    ["an override without tokens: unknown, never 0", input({ override, tokens: noTokens }), { costUsd: null, source: "unknown" }],
    [
      "the table without tokens: unknown, never 0",
      input({ preset: "openai", upstreamModel: "gpt-4o-mini", tokens: tokens(null, null, { cachedRead: 10 }) }),
      { costUsd: null, source: "unknown" }
    ]
  ] as const)("%s", (_name, priceInput, expected) => close(priceOf(priceInput), expected))
})

describe("priceOf: an override", () => {
  const M = 1_000_000
  it.each([
    ["input and output", override, tokens(M, M), 2 + 8],
    ["cached reads at their price", override, tokens(M, M, { cachedRead: M / 2 }), 0.5 * 2 + 0.5 * 0.5 + 8],
    ["cached reads at the input price when the entry has none", { inputPerMTok: 2, outputPerMTok: 8 }, tokens(M, 0, { cachedRead: M / 2 }), 2],
    ["cache writes at the input price when the entry has none", override, tokens(M, 0, { cacheWrite: M / 4 }), 2],
    ["cache writes at their price", { ...override, cacheWritePerMTok: 2.5 }, tokens(M, 0, { cachedRead: M / 2, cacheWrite: M / 4 }), 0.25 * 2 + 0.5 * 0.5 + 0.25 * 2.5],
    ["reasoning at the output price when the entry has none", override, tokens(0, M, { reasoning: M / 2 }), 8],
    ["reasoning at its price", { ...override, reasoningPerMTok: 4 }, tokens(0, M, { reasoning: M / 2 }), 0.5 * 8 + 0.5 * 4],
    ["an output not reported (a stream cut before its usage) counts 0", override, tokens(M, null), 2],
    ["an input not reported counts 0", override, tokens(null, M), 8],
    ["cache counts larger than the input are clamped to it", override, tokens(1000, 0, { cachedRead: 5000, cacheWrite: 5000 }), 1000 * 0.5 / M],
    ["reasoning larger than the output is clamped to it", { ...override, reasoningPerMTok: 4 }, tokens(0, 1000, { reasoning: 9000 }), 1000 * 4 / M],
    ["garbage counts are not counts", override, tokens(-5, Number.POSITIVE_INFINITY, { cachedRead: Number.NaN }), null],
    ["a free model", { inputPerMTok: 0, outputPerMTok: 0 }, tokens(M, M), 0]
  ] as const)("%s", (_name, price, used, expected) =>
    close(priceOf(input({ override: price, tokens: used })), expected === null ? { costUsd: null, source: "unknown" } : { costUsd: expected, source: "override" }))
})

describe("priceOf: the genai-prices table (values read from the package now, never copied)", () => {
  const table = (providerId: string, model: string, usage: Record<string, number>, timestamp = at) => {
    const price = calcPrice(usage, model, { providerId, timestamp })
    assert.isNotNull(price, `the table prices ${providerId} ${model}`)
    return price!.total_price
  }

  it.each([
    ["openai", "openai", "gpt-4o-mini", tokens(1200, 300), { input_tokens: 1200, output_tokens: 300 }],
    [
      "openai, cached reads at the cache price",
      "openai",
      "gpt-4o-mini",
      tokens(1200, 300, { cachedRead: 1000 }),
      { input_tokens: 1200, cache_read_tokens: 1000, output_tokens: 300 }
    ],
    [
      "anthropic, cache reads and writes (input includes both)",
      "anthropic",
      "claude-sonnet-4-5",
      tokens(1250, 71, { cachedRead: 1000, cacheWrite: 200 }),
      { input_tokens: 1250, cache_read_tokens: 1000, cache_write_tokens: 200, output_tokens: 71 }
    ],
    ["xai", "xai", "grok-4", tokens(1000, 100, { reasoning: 60 }), { input_tokens: 1000, output_tokens: 100 }],
    ["openrouter", "openrouter", "anthropic/claude-sonnet-4.5", tokens(1000, 100), { input_tokens: 1000, output_tokens: 100 }],
    [
      "openrouter, a model with its own reasoning price",
      "openrouter",
      "perplexity/sonar-deep-research",
      tokens(1000, 1000, { reasoning: 600 }),
      { input_tokens: 1000, output_tokens: 1000, output_reasoning_tokens: 600 }
    ]
  ] as const)("%s", (_name, preset, model, used, usage) => {
    const provider = preset === "xai" ? "x-ai" : preset
    close(priceOf(input({ preset, upstreamModel: model, tokens: used })), { costUsd: table(provider, model, usage), source: "table" })
  })

  it("cached reads cost less than uncached input, cache writes more (Anthropic)", () => {
    const cost = (more: Partial<Tokens>) => priceOf(input({ preset: "anthropic", upstreamModel: "claude-sonnet-4-5", tokens: tokens(10_000, 0, more) })).costUsd!
    assert.isBelow(cost({ cachedRead: 9000 }), cost({}))
    assert.isAbove(cost({ cacheWrite: 9000 }), cost({}))
  })

  it("reasoning is priced at its own rate where the model has one", () => {
    const cost = (reasoning: number) =>
      priceOf(input({ preset: "openrouter", upstreamModel: "perplexity/sonar-deep-research", tokens: tokens(0, 1000, { reasoning }) })).costUsd!
    assert.notStrictEqual(cost(1000), cost(0))
  })

  it("prices as they were when the request was made", () => {
    // o3's price changed on 2025-06-10 (the table's conditional prices).
    const before = new Date("2025-05-01T00:00:00Z")
    const after = new Date("2025-07-01T00:00:00Z")
    const used = tokens(1_000_000, 1_000_000)
    const cost = (when: Date) => priceOf(input({ preset: "openai", upstreamModel: "o3", tokens: used, at: when })).costUsd
    assert.closeTo(cost(before)!, table("openai", "o3", { input_tokens: 1_000_000, output_tokens: 1_000_000 }, before), 1e-12)
    assert.closeTo(cost(after)!, table("openai", "o3", { input_tokens: 1_000_000, output_tokens: 1_000_000 }, after), 1e-12)
    assert.notStrictEqual(cost(before), cost(after))
  })

  it("the same model asked again is priced the same (the match is remembered)", () => {
    const first = priceOf(input({ preset: "openrouter", upstreamModel: "openai/gpt-4o-mini", tokens: tokens(10, 20) }))
    for (let i = 0; i < 3; i++) assert.deepStrictEqual(priceOf(input({ preset: "openrouter", upstreamModel: "openai/gpt-4o-mini", tokens: tokens(10, 20) })), first)
    assert.strictEqual(first.source, "table")
  })
})

// --- The override in remote.json -----------------------------------------------------------------

const configFile = (prices: unknown) => ({
  version: 1,
  providers: [
    { id: "corp", name: "Corp", preset: "custom", host: "llm.corp.example", prices },
    { id: "other", name: "Other", preset: "custom", host: "other.example" }
  ]
})

const decodeConfig = Schema.decodeUnknownSync(RemoteConfig)

describe("the prices override in remote.json", () => {
  const prices = {
    "corp-large": { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 },
    "corp-small": { inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMtok: 0.075 },
    "corp-broken": { inputPerMTok: "cheap", outputPerMTok: 1 },
    "corp-negative": { inputPerMTok: -1, outputPerMTok: 1 },
    "corp-half": { inputPerMTok: 1 }
  }

  it("each entry is decoded on its own: the good ones are used, the broken ones reported, the file loads", () => {
    const config = decodeConfig(configFile(prices))
    const corp = modelPrices(config.providers[0]!)
    assert.deepStrictEqual([...corp.keys()].sort(), ["corp-large", "corp-small"])
    assert.deepStrictEqual(corp.get("corp-large"), { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 })
    assert.strictEqual(modelPrices(config.providers[1]!).size, 0)
    assert.strictEqual(modelPrices(config.providers[0]!), corp, "decoded once per configuration")

    const problems = priceProblems(config)
    assert.strictEqual(problems.length, 4)
    assert.match(problems.find((p) => p.includes("corp-broken"))!, /^the price of "corp-broken" in provider corp is left out \(the model is priced as if it had none\): .*inputPerMTok/)
    assert.match(problems.find((p) => p.includes("corp-negative"))!, /left out .*: .*inputPerMTok/)
    assert.match(problems.find((p) => p.includes("corp-half"))!, /left out .*: .*outputPerMTok/)
    assert.include(problems.find((p) => p.includes("corp-small"))!, `unknown key "cachedInputPerMtok"`)
    assert.include(problems.find((p) => p.includes("corp-small"))!, `did you mean "cachedInputPerMTok"`)
    // Part of the configuration's warnings (the CLI, /health and the log show them); `prices` itself is a known key.
    assert.includeMembers([...configWarnings(config)], [...problems])
    assert.isFalse(configWarnings(config).some((warning) => warning.includes(`unknown key "prices"`)))
  })

  it("a misspelt key prices cached reads at the input price, and says so", () => {
    const config = decodeConfig(configFile(prices))
    const small = modelPrices(config.providers[0]!).get("corp-small")
    close(priceOf(input({ override: small, tokens: tokens(1_000_000, 0, { cachedRead: 1_000_000 }) })), { costUsd: 0.15, source: "override" })
  })

  const setup = (home: string) =>
    ProviderCatalog.layer.pipe(
      Layer.provideMerge(ConfigStore.layer({ home })),
      Layer.provideMerge(MemorySecretStore.layer()),
      Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
    )

  it.effect("survives every write: provider edits, enabling, adding, removing others, virtual models", () => {
    const home = tempDir("switchboard-prices-")
    mkdirSync(join(home, "providers"), { recursive: true })
    const file = join(home, "providers", "remote.json")
    writeFileSync(file, JSON.stringify(configFile(prices), null, 2))
    const pricesOnDisk = () => (JSON.parse(readFileSync(file, "utf8")) as { providers: Array<{ id: string; prices?: unknown }> }).providers.find((p) => p.id === "corp")?.prices
    return Effect.gen(function*() {
      const catalog = yield* ProviderCatalog
      const store = yield* ConfigStore
      const report = yield* store.inspect
      assert.isNull(report.error)
      assert.isTrue(report.warnings.some((warning) => warning.includes("corp-broken")))

      yield* catalog.edit("corp", { name: "Corp AI", settings: { timeoutSeconds: 30, port: 8443, models: ["corp-large"] }, headerChanges: { "X-Team": "ml" } })
      assert.deepStrictEqual(pricesOnDisk(), prices)
      yield* catalog.edit("corp", { apiKey: Redacted.make("sk-corp-secret"), settings: { port: null, models: null } })
      assert.deepStrictEqual(pricesOnDisk(), prices)
      yield* catalog.disable("corp")
      yield* catalog.enable("corp")
      assert.deepStrictEqual(pricesOnDisk(), prices)
      yield* catalog.add({ preset: "openai", apiKey: Redacted.make("sk-openai") })
      yield* catalog.remove("other")
      assert.deepStrictEqual(pricesOnDisk(), prices)
      yield* putVirtualModel("fast", { strategy: "fallback", targets: ["corp/corp-large"] })
      assert.deepStrictEqual(pricesOnDisk(), prices)
      // The broken entries are kept as written too: a hand edit is never lost.
      const loaded = yield* store.load
      assert.strictEqual(modelPrices(loaded.providers.find((p) => p.id === "corp")!).size, 2)
    }).pipe(Effect.provide(setup(home)))
  })
})

describe("the table's rates per token kind agree with the table's own calculation", () => {
  const at = new Date("2026-12-01T12:00:00Z")
  const models: ReadonlyArray<readonly [string, string]> = [
    ["openai", "gpt-4o-mini"], ["openai", "gpt-4.1"], ["openai", "o3"], ["anthropic", "claude-sonnet-4-5"],
    ["anthropic", "claude-3-5-haiku-latest"], ["xai", "grok-3"], ["openrouter", "openai/gpt-4o-mini"]
  ]
  const usages: ReadonlyArray<Tokens> = [
    { input: 1234, output: 567, cachedRead: 200, cacheWrite: 100, reasoning: 50 },
    { input: 10, output: 0, cachedRead: null, cacheWrite: null, reasoning: null },
    { input: 99_999, output: 4321, cachedRead: 99_000, cacheWrite: 0, reasoning: 4000 },
    { input: 1, output: 1, cachedRead: 0, cacheWrite: 1, reasoning: 1 }
  ]
  for (const [preset, model] of models) {
    it(`${preset}/${model}`, () => {
      let compared = 0
      for (const tokens of usages) {
        const exact = tableCostExact(preset, model, tokens, at)
        const rated = priceOf({ providerId: "p", preset, upstreamModel: model, tokens, reportedCostUsd: null, override: undefined, at })
        if (exact === null) continue
        compared++
        assert.strictEqual(rated.source, "table")
        assert.closeTo(rated.costUsd!, exact, 1e-12)
      }
      // The table prices this model at all: otherwise nothing above was compared.
      assert.isAbove(compared, 0)
    })
  }
})
