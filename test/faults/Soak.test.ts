/**
 * Soak: mixed traffic from the real SDKs (streaming and not, all three APIs, pass-through and
 * translated) over several providers for a bounded time, while one provider fails and recovers on
 * a schedule — its answers break (503, resets, stalls) and its discovery goes down and comes back.
 *
 * At the end: every request got an answer or a clear error (none hung, none was a stream that
 * just stopped), the healthy providers never failed, the server's sockets are back to their
 * baseline, its memory is roughly flat, and its own counts (`/health` `runtime`) are back at rest:
 * no request left open (a request fiber or fast-lane forward that never finished would be one) and
 * one actor fiber per provider (none left behind by the reconnects).
 *
 * `SWITCHBOARD_SOAK_SECONDS` (default 60) and `SWITCHBOARD_SOAK_SEED` change the length and the
 * random mix; the seed is printed, so a failing mix can be replayed. `SWITCHBOARD_SOAK_NODE_OPTIONS`
 * replaces the server's `NODE_OPTIONS` (default: a 128 MiB old space, see below).
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import { anthropicProviderEntry, type FakeAnthropicUpstream, reply, startFakeAnthropicUpstream } from "../support/FakeAnthropicUpstream.ts"
import { type FakeOpenAiUpstream, providerEntry as openAiEntry, startFakeOpenAiUpstream } from "../support/FakeOpenAiUpstream.ts"
import { getJson, type SwitchboardProcess, waitForProvider, waitUntil } from "../support/SwitchboardProcess.ts"
import { type Api, APIS, ask, type Outcome } from "./support/Clients.ts"
import { type Fault, type MisbehavingUpstream, providerEntry, startMisbehavingUpstream } from "./support/MisbehavingUpstream.ts"
import { rssMiB, serverPid, socketCount } from "./support/ProcessStats.ts"
import { checkNoLeaksAfterAll, secretEnv, startCapturedSwitchboard, TestSecrets, withSecrets } from "./support/TestSecrets.ts"

checkNoLeaksAfterAll()

const SECONDS = Number(process.env.SWITCHBOARD_SOAK_SECONDS ?? 60)
const SEED = Number(process.env.SWITCHBOARD_SOAK_SEED ?? Date.now() % 1_000_000)
const WORKERS = 8
/**
 * A capped old space: V8 grows its heap lazily under load (uncapped, RSS climbed to 400–600 MiB
 * here while staying flat under a cap), so without one "memory flat" would measure V8's
 * collection policy. Capped, a real leak shows as a crash (out of memory) and failed requests.
 */
const NODE_OPTIONS = process.env.SWITCHBOARD_SOAK_NODE_OPTIONS ?? "--max-old-space-size=128"

/** mulberry32: a small seeded generator, so a mix can be replayed from its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Healthy models: every request to them must succeed. */
const HEALTHY = ["one/gpt-4o-mini", "two/gpt-4o-mini", "anth/claude-sonnet-4-5"]
/** The model of the provider that fails and recovers. */
const FLAKY = "flip/m"
/** What the flaky model does, in turn, every few seconds. */
const SCHEDULE: ReadonlyArray<Fault> = ["ok", "error-503", "ok", "reset", "ok", "stall"]

let one: FakeOpenAiUpstream
let two: FakeOpenAiUpstream
let anth: FakeAnthropicUpstream
let flip: MisbehavingUpstream
let switchboard: SwitchboardProcess

beforeAll(async () => {
  ;[one, two, anth, flip] = await Promise.all([
    startFakeOpenAiUpstream(),
    startFakeOpenAiUpstream(),
    startFakeAnthropicUpstream({ apiKey: TestSecrets.upstreamKey, models: { "claude-sonnet-4-5": reply() } }),
    startMisbehavingUpstream({ models: { m: "ok", endless: "endless" } })
  ])
  switchboard = await startCapturedSwitchboard({
    config: {
      version: 1,
      providers: [
        openAiEntry(one, "one"),
        openAiEntry(two, "two"),
        anthropicProviderEntry(anth, "anth", { secretHeaders: withSecrets.secretHeaders }),
        providerEntry(flip, "flip", { ...withSecrets, timeoutSeconds: 1 })
      ]
    },
    env: { ...secretEnv("anth"), ...secretEnv("flip"), NODE_OPTIONS: NODE_OPTIONS }
  })
  await Promise.all(["one", "two", "anth", "flip"].map((id) => waitForProvider(switchboard.url, id, "connected")))
})
afterAll(async () => {
  await switchboard?.stop()
  await Promise.all([one?.close(), two?.close(), anth?.close(), flip?.close()])
})

it(`mixed traffic for ${SECONDS} s with a provider failing and recovering: every request answered, no leaks`, async () => {
  console.info(`soak: ${SECONDS} s, ${WORKERS} workers, seed ${SEED} (SWITCHBOARD_SOAK_SEED to replay), server NODE_OPTIONS ${NODE_OPTIONS}`)
  const pid = serverPid(switchboard.port)
  const baselineSockets = socketCount(pid)
  const next = random(SEED)
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
  const started = Date.now()
  const deadline = started + SECONDS * 1000
  const outcomes: Array<{ readonly model: string; readonly api: Api; readonly stream: boolean; readonly outcome: Outcome | "aborted" }> = []
  let warmRss: number | undefined

  // The flaky provider's schedule: its answers change every few seconds, and twice its discovery
  // goes down while it is asked to reconnect (state `error`, retrying), then comes back.
  const flipper = (async () => {
    let step = 0
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 4_000))
      step++
      flip.setFault("m", SCHEDULE[step % SCHEDULE.length]!)
      if (step % 5 === 2) {
        flip.setDiscovery("error-503")
        await fetch(`${switchboard.url}/admin/providers/flip/reconnect`, { method: "POST" })
        await waitForProvider(switchboard.url, "flip", "error")
      }
      if (step % 5 === 4) flip.setDiscovery("ok")
    }
    flip.setFault("m", "ok")
    flip.setDiscovery("ok")
  })()

  const worker = async () => {
    while (Date.now() < deadline) {
      if (warmRss === undefined && Date.now() - started > Math.min(30_000, SECONDS * 400)) warmRss = rssMiB(pid)
      const api = pick(APIS)
      const stream = next() < 0.5
      // Now and then a caller that gives up on an endless stream.
      if (next() < 0.05) {
        const abort = new AbortController()
        setTimeout(() => abort.abort(), 100 + next() * 400)
        await ask(switchboard.url, api, "flip/endless", { stream: true, signal: abort.signal })
        outcomes.push({ model: "flip/endless", api, stream: true, outcome: "aborted" })
        continue
      }
      const model = next() < 0.3 ? FLAKY : pick(HEALTHY)
      outcomes.push({ model, api, stream, outcome: await ask(switchboard.url, api, model, { stream }) })
    }
  }
  // RSS every 5 s, printed at the end: the curve says more than two points when a bound is hit.
  const rssSamples: Array<string> = []
  const sampler = setInterval(() => rssSamples.push(`${Math.round(rssMiB(pid))} (${outcomes.length})`), 5_000)
  await Promise.all([flipper, ...Array.from({ length: WORKERS }, worker)])
  clearInterval(sampler)

  const counts = new Map<string, number>()
  for (const { model, outcome } of outcomes) {
    const key = `${model} ${outcome === "aborted" ? "aborted" : outcome._tag}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  console.info(`soak: ${outcomes.length} requests: ${JSON.stringify(Object.fromEntries(counts))}`)
  expect(outcomes.length).toBeGreaterThan(SECONDS)

  // Healthy providers never failed, whatever their neighbour did.
  const healthyFailures = outcomes.filter(({ model, outcome }) => HEALTHY.includes(model) && (outcome === "aborted" || outcome._tag !== "Answer"))
  expect(healthyFailures).toEqual([])
  // The flaky one answered or failed clearly: never a stream that just stopped, never a blank error.
  for (const { model, api, stream, outcome } of outcomes) {
    if (outcome === "aborted") continue
    expect(outcome._tag, `${model} ${api} stream=${stream}: ${JSON.stringify(outcome)}`).not.toBe("Truncated")
    if (outcome._tag === "Failed") expect(outcome.message.length).toBeGreaterThan(0)
  }

  // The flaky provider recovered on its own.
  await waitForProvider(switchboard.url, "flip", "connected", 60_000)
  // Every socket of the traffic closed (idle keep-alive connections time out within seconds).
  await waitUntil("the server's sockets back to their baseline", async () => socketCount(pid) <= baselineSockets ? true : undefined, 60_000)
  // Nothing left running: only the /health request itself is open, one actor fiber per provider.
  await waitUntil("no request left open", async () => {
    const health = await getJson<{ runtime: { open_requests: number; provider_fibers: number } }>(switchboard.url, "/health")
    return health.runtime.open_requests === 1 && health.runtime.provider_fibers === 4 ? true : undefined
  }, 30_000)
  // Memory roughly flat: after warm-up vs the end, with a generous margin (no GC is forced).
  const endRss = rssMiB(pid)
  console.info(`soak: sockets ${socketCount(pid)} (baseline ${baselineSockets}), RSS ${warmRss?.toFixed(1)} MiB after warm-up, ${endRss.toFixed(1)} MiB at the end; every 5 s (requests so far): ${rssSamples.join(", ")}`)
  expect(endRss).toBeLessThan((warmRss ?? endRss) * 1.5 + 64)
}, (SECONDS + 180) * 1000)
