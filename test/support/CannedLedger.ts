/**
 * A test double of the usage ledger over canned rows, and a real gateway (`Gateway.layer`, in this
 * process, on a free loopback port) that answers from it: for the admin API's usage endpoints, the
 * CLI's `switchboard usage` and the page's Activity, before the real ledger is wired in.
 *
 * Its grouping is deliberately plain (nearest-rank percentiles, UTC buckets named `2026-12-06`
 * and `2026-12-06T14`): tests compare the answers with sums they make of the same rows.
 */
import { Effect, Exit, Layer, Option, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Gateway from "../../src/Gateway.ts"
import * as LocalEngines from "../../src/local/LocalEngines.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { type GroupBy, Ledger, LedgerError, type UsageGroup } from "../../src/usage/Ledger.ts"
import { noTokens, type RequestRecord } from "../../src/usage/RequestRecord.ts"
import { freePort, writeRemoteConfig } from "./SwitchboardProcess.ts"

/** A ledger row: an ok, priced, non-streamed OpenAI request unless told otherwise. */
export const requestRow = (fields: Partial<RequestRecord> & { readonly id: string; readonly startedAt: number }): RequestRecord => ({
  keyId: null,
  client: "OpenAI/JS 5.0.0",
  inboundFormat: "openai",
  path: "/v1/chat/completions",
  requestedModel: "openai/gpt-4.1-mini",
  virtualModel: null,
  provider: "openai",
  model: "openai/gpt-4.1-mini",
  upstreamModel: "gpt-4.1-mini",
  mode: "pass-through",
  stream: false,
  status: 200,
  outcome: "ok",
  errorClass: null,
  attempts: 1,
  ttftMs: 300,
  durationMs: 800,
  tokens: noTokens,
  costUsd: 0.001,
  priceSource: "table",
  ...fields
})

const percentile = (values: ReadonlyArray<number>, p: number): number | null => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}

const groupOf = (row: RequestRecord, by: GroupBy): string | null => {
  const iso = new Date(row.startedAt).toISOString()
  switch (by) {
    case "model":
      return row.model
    case "provider":
      return row.provider
    case "key":
      return row.keyId
    case "client":
      return row.client
    case "inbound_format":
      return row.inboundFormat
    case "day":
      return iso.slice(0, 10)
    case "hour":
      return iso.slice(0, 13)
  }
}

export const groupRows = (rows: ReadonlyArray<RequestRecord>, by: GroupBy): Array<UsageGroup> => {
  const groups = new Map<string | null, Array<RequestRecord>>()
  for (const row of rows) groups.set(groupOf(row, by), [...(groups.get(groupOf(row, by)) ?? []), row])
  return [...groups].map(([group, members]) => {
    const sum = (f: (row: RequestRecord) => number | null) => members.reduce((total, row) => total + (f(row) ?? 0), 0)
    const ttfts = members.flatMap((row) => row.ttftMs === null ? [] : [row.ttftMs])
    return {
      group,
      requests: members.length,
      errors: members.filter((row) => row.outcome === "error").length,
      tokens: {
        input: sum((row) => row.tokens.input),
        output: sum((row) => row.tokens.output),
        cachedRead: sum((row) => row.tokens.cachedRead),
        cacheWrite: sum((row) => row.tokens.cacheWrite),
        reasoning: sum((row) => row.tokens.reasoning)
      },
      costUsd: sum((row) => row.costUsd),
      unpriced: members.filter((row) => row.costUsd === null).length,
      p50Ms: percentile(members.map((row) => row.durationMs), 0.5),
      p95Ms: percentile(members.map((row) => row.durationMs), 0.95),
      ttftP50Ms: percentile(ttfts, 0.5)
    }
  }).sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests)
}

const matches = (row: RequestRecord, search: string) =>
  [row.id, row.model, row.requestedModel, row.virtualModel, row.provider, row.client, row.errorClass]
    .some((field) => field !== null && field.toLowerCase().includes(search.toLowerCase()))

/**
 * The ledger over `rows` (a function: a test may add rows as it goes). `failing` makes every
 * question fail with that reason, as a broken database would. Every query is kept in `queries`.
 */
export const cannedLedger = (rows: () => ReadonlyArray<RequestRecord>, options: { readonly failing?: string } = {}) => {
  const queries: Array<unknown> = []
  const fail = options.failing === undefined ? undefined : new LedgerError({ message: options.failing })
  const service: Ledger["Service"] = {
    write: () => Effect.void,
    usage: (query) =>
      Effect.suspend(() => {
        queries.push(query)
        if (fail !== undefined) return Effect.fail(fail)
        const until = query.until ?? Date.now()
        const chosen = rows().filter((row) =>
          row.startedAt >= query.since && row.startedAt < until && (query.keyId === undefined || row.keyId === query.keyId)
        )
        return Effect.succeed(groupRows(chosen, query.by))
      }),
    requests: (query) =>
      Effect.suspend(() => {
        queries.push(query)
        if (fail !== undefined) return Effect.fail(fail)
        return Effect.succeed(
          rows()
            .filter((row) =>
              (query.before === undefined || row.startedAt < query.before) &&
              (query.keyId === undefined || row.keyId === query.keyId) &&
              (query.search === undefined || matches(row, query.search))
            )
            .sort((a, b) => b.startedAt - a.startedAt)
            .slice(0, query.limit)
        )
      }),
    request: (id) =>
      Effect.suspend(() => fail !== undefined ? Effect.fail(fail) : Effect.succeed(Option.fromNullishOr(rows().find((row) => row.id === id)))),
    status: Effect.succeed({ backend: "memory", location: "canned rows", ok: fail === undefined, lastError: options.failing ?? null, written: 0, dropped: 0, retentionDays: 90 })
  }
  return { layer: Layer.succeed(Ledger, service), queries }
}

export interface GatewayWithLedger {
  readonly url: string
  readonly port: number
  readonly stop: () => Promise<void>
}

/** The gateway, no providers, on a free loopback port, answering usage questions from `ledger` (none: no ledger at all). */
export const startGatewayWithLedger = async (ledger: Layer.Layer<Ledger> | undefined): Promise<GatewayWithLedger> => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-usage-"))
  writeRemoteConfig(home, { version: 1, providers: [] })
  const port = await freePort()
  const gateway = Gateway.layer({ host: "127.0.0.1", port, home, engines: LocalEngines.layerNone(), ledger: ledger ?? false }).pipe(
    Layer.provide(MemorySecretStore.layer([]))
  )
  const scope = await Effect.runPromise(Scope.make())
  try {
    await Effect.runPromise(Layer.buildWithScope(gateway, scope))
  } catch (error) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    rmSync(home, { recursive: true, force: true })
    throw error
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      rmSync(home, { recursive: true, force: true })
    }
  }
}
