/**
 * A test double of the usage ledger over canned rows, and a real gateway (`Gateway.layer`, in this
 * process, on a free loopback port) that answers from it: for the admin API's usage endpoints, the
 * CLI's `switchboard usage` and the page's Activity, before the real ledger is wired in.
 *
 * Its answers are the in-memory ledger's (`LedgerMemory`, the same arithmetic as the SQL ones), so
 * what the tests see — percentiles, bucket names, order — is what a real ledger says.
 */
import { Effect, Exit, Layer, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Gateway from "../../src/Gateway.ts"
import * as LocalEngines from "../../src/local/LocalEngines.ts"
import * as MemorySecretStore from "../../src/secrets/MemorySecretStore.ts"
import { Ledger, LedgerError } from "../../src/usage/Ledger.ts"
import * as LedgerMemory from "../../src/usage/LedgerMemory.ts"
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

/**
 * The ledger over `rows` (a function: a test may add rows as it goes). `failing` makes every
 * question fail with that reason, as a broken database would. Every query is kept in `queries`.
 */
export const cannedLedger = (rows: () => ReadonlyArray<RequestRecord>, options: { readonly failing?: string } = {}) => {
  const queries: Array<unknown> = []
  const fail = options.failing === undefined ? undefined : new LedgerError({ message: options.failing })
  // The answers are the real in-memory ledger's (`Ledger.layerMemory`), over the rows as they are now.
  const memory = Effect.suspend(() => LedgerMemory.make({ rows: rows(), retentionDays: 0 }))
  const asked = <A>(query: unknown, answer: (ledger: Ledger["Service"]) => Effect.Effect<A, LedgerError>) =>
    Effect.suspend(() => {
      queries.push(query)
      return fail !== undefined ? Effect.fail(fail) : Effect.flatMap(memory, answer)
    })
  const service: Ledger["Service"] = {
    write: () => Effect.void,
    usage: (query) => asked(query, (ledger) => ledger.usage(query)),
    requests: (query) => asked(query, (ledger) => ledger.requests(query)),
    request: (id) => fail !== undefined ? Effect.fail(fail) : Effect.flatMap(memory, (ledger) => ledger.request(id)),
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
