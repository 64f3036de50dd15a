/** Request rows for the ledger's tests: a plausible finished request, with what a test cares about changed. */
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"

export const record = (fields: Partial<RequestRecord> & { readonly id: string }): RequestRecord => ({
  startedAt: Date.UTC(2026, 11, 6, 12, 0, 0),
  keyId: null,
  client: "openai-node/6.0",
  inboundFormat: "openai",
  path: "/v1/chat/completions",
  requestedModel: "gpt-4o-mini",
  virtualModel: null,
  provider: "openai",
  model: "openai/gpt-4o-mini",
  upstreamModel: "gpt-4o-mini",
  mode: "pass-through",
  stream: false,
  status: 200,
  outcome: "ok",
  errorClass: null,
  attempts: 1,
  ttftMs: 120,
  durationMs: 450,
  tokens: { input: 100, output: 20, cachedRead: 0, cacheWrite: null, reasoning: null },
  costUsd: 0.25,
  priceSource: "table",
  ...fields
})
