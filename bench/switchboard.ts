/**
 * Switchboard as the user runs it: `node bin/switchboard.js serve`, in its own process, with a temporary
 * SWITCHBOARD_HOME whose remote.json points at the fake upstream, and env secrets (no keychain
 * prompt or D-Bus on a headless box). Two providers on the same upstream: `bench` (OpenAI format,
 * pass-through) and `bench-anthropic` (Anthropic format: OpenAI requests to it are translated), and
 * a virtual model `bench-chain` falling back from the first to the second.
 */
import type { ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { collectOutput, removeOnExit, spawnProcess } from "./children.ts"
import { freePort } from "./ports.ts"
import { ANTHROPIC_PROVIDER_ID, PROVIDER_ID, UPSTREAM_MODEL, VIRTUAL_MODEL } from "./protocol.ts"

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url))

export interface RunningSwitchboard {
  readonly process: ChildProcess
  readonly port: number
  /** The last lines Switchboard printed, for error messages. */
  readonly output: () => string
}

const writeHome = (upstreamPort: number): string => {
  const home = mkdtempSync(join(tmpdir(), "switchboard-bench-"))
  removeOnExit(home)
  mkdirSync(join(home, "providers"))
  const config = {
    version: 1,
    providers: [
      { id: PROVIDER_ID, name: "Bench upstream", protocol: "http", host: "127.0.0.1", port: upstreamPort, auth: "none" },
      // The same upstream as an Anthropic-format provider: OpenAI requests to it are translated.
      { id: ANTHROPIC_PROVIDER_ID, name: "Bench upstream (Anthropic)", protocol: "http", host: "127.0.0.1", port: upstreamPort, auth: "none", format: "anthropic" }
    ],
    // The chain scenario: its first target is the direct scenario's model, so the two differ only by the chain.
    virtualModels: [
      { name: VIRTUAL_MODEL, strategy: "fallback", targets: [`${PROVIDER_ID}/${UPSTREAM_MODEL}`, `${ANTHROPIC_PROVIDER_ID}/${UPSTREAM_MODEL}`] }
    ]
  }
  writeFileSync(join(home, "providers", "remote.json"), JSON.stringify(config, null, 2))
  return home
}

/**
 * `serve`: the CLI as a user runs it. `effect-path`: the same gateway with its pass-through fast
 * lane off (switchboard-effect-path.ts), for comparison. `keys`: `serve` on 0.0.0.0 (not loopback,
 * so every request needs a gateway key: `GATEWAY_KEY`, from `SWITCHBOARD_GATEWAY_KEYS`), reached
 * through 127.0.0.1. `no-ledger`: `serve` with the usage ledger off (`SWITCHBOARD_LEDGER=off`), so
 * that the ledger's cost shows as the difference to `serve`. `ledger-unwritable`: `serve` with the
 * ledger's database a Postgres nothing listens at, so every batch is read, priced and counted but
 * its write fails at once: the difference to `serve` is what the database writes cost.
 */
export type SwitchboardVariant = "serve" | "effect-path" | "keys" | "no-ledger" | "ledger-unwritable"

/** The gateway key of the `keys` variant (a bench-only value: it guards nothing). */
export const GATEWAY_KEY = "sb-bench-gateway-key-0123456789"

export const startSwitchboard = async (
  upstreamPort: number,
  variant: SwitchboardVariant = "serve",
  /** Extra node flags (`--cpu-prof …` for `--profile`). */
  nodeArgs: ReadonlyArray<string> = []
): Promise<RunningSwitchboard> => {
  const port = await freePort()
  const home = writeHome(upstreamPort)
  const args = [...nodeArgs, ...(variant === "effect-path"
    ? ["bench/switchboard-effect-path.ts", String(port)]
    : ["bin/switchboard.js", "serve", "--host", variant === "keys" ? "0.0.0.0" : "127.0.0.1", "--port", String(port)])]
  const child = spawnProcess(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SWITCHBOARD_HOME: home,
      SWITCHBOARD_SECRETS: "env",
      ...(variant === "keys" ? { SWITCHBOARD_GATEWAY_KEYS: GATEWAY_KEY } : {}),
      ...(variant === "no-ledger" ? { SWITCHBOARD_LEDGER: "off" } : {}),
      ...(variant === "ledger-unwritable" ? { SWITCHBOARD_DATABASE_URL: "postgres://bench@127.0.0.1:9/none" } : {})
    },
    // Piped, not inherited: its logs would interleave with the table; kept for failure reports.
    stdio: ["ignore", "pipe", "pipe"]
  })
  return { process: child, port, output: collectOutput(child) }
}
