import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { ProviderId } from "../../src/config/RemoteConfig.ts"
import { untracked } from "../../src/providers/Upstream.ts"
import { buildRoutingTable, type RoutableProvider, resolveModel } from "../../src/router/RoutingTable.ts"

const provider = (id: string, models: Array<string>): RoutableProvider => ({
  id: id as ProviderId,
  name: id.toUpperCase(),
  upstream: {
    http: { format: "openai", baseUrl: `http://127.0.0.1/${id}`, name: "127.0.0.1", timeoutSeconds: 60, health: untracked, auth: { headers: Redacted.make({}), secrets: Redacted.make([]) } },
    generate: () => Effect.die("not called"),
    info: () => undefined
  },
  models
})

const table = buildRoutingTable([
  provider("openai", ["gpt-4o", "shared"]),
  provider("openrouter", ["openai/gpt-4o", "shared", "llama"]),
  provider("empty", [])
])

describe("resolveModel", () => {
  it.each([
    ["openai/gpt-4o", "Found", "openai/gpt-4o"],
    ["gpt-4o", "Found", "openai/gpt-4o"],
    ["openrouter/openai/gpt-4o", "Found", "openrouter/openai/gpt-4o"],
    ["llama", "Found", "openrouter/llama"],
    ["shared", "Ambiguous", undefined],
    ["openai/shared", "Found", "openai/shared"],
    ["nope", "NotFound", undefined],
    ["empty/x", "NotFound", undefined]
  ] as const)("%s → %s", (model, tag, qualified) => {
    const resolution = resolveModel(table, model)
    expect(resolution._tag).toBe(tag)
    if (resolution._tag === "Found") expect(resolution.route.qualifiedId).toBe(qualified)
    if (resolution._tag === "Ambiguous") expect(resolution.candidates).toEqual(["openai/shared", "openrouter/shared"])
  })

  it("lists routes grouped by provider in configuration order", () => {
    expect(table.routes.map((r) => r.qualifiedId)).toEqual([
      "openai/gpt-4o",
      "openai/shared",
      "openrouter/openai/gpt-4o",
      "openrouter/shared",
      "openrouter/llama"
    ])
    expect(resolveModel(table, "gpt-4o")._tag === "Found" && resolveModel(table, "gpt-4o")).toMatchObject({ route: { upstreamModel: "gpt-4o" } })
  })
})
