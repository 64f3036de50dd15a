/**
 * Where the time goes in a V8 CPU profile (`.cpuprofile`, from `npm run bench -- --profile` or
 * `node --cpu-prof`): self time summed per function and per origin (Switchboard's src/, effect,
 * undici, node internals, GC, idle), heaviest first. A text flame graph for a terminal; open the
 * file in Chrome DevTools or speedscope for the real one.
 *
 * Also the inclusive time (self + callees) of Switchboard's own functions: which mapping, decoder
 * or driver a request's time is spent under, wherever the leaf frames are (Schema, JSON, GC); and
 * the time of virtual models' own routing (the chain's code, not the attempts it runs: the bench's
 * chain scenario compares a virtual model with a direct call, and this is the difference).
 *
 * Usage: node bench/profile-summary.ts <file.cpuprofile> [top N, default 25]
 */
import { readFileSync } from "node:fs"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const [file, topText] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: node bench/profile-summary.ts <file.cpuprofile> [top N]")
const top = Number(topText ?? 25)
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile

/** Which part of the process a frame belongs to. */
const originOf = (url: string, name: string): string => {
  if (name === "(garbage collector)") return "GC"
  if (name === "(idle)" || name === "(program)") return name
  if (url === "") return "native / builtins"
  if (url.includes("/node_modules/effect/")) return "effect"
  if (url.includes("/node_modules/@effect/")) return "@effect/platform-node"
  if (url.includes("/node_modules/undici/")) return "undici"
  if (url.startsWith("node:")) return "node internals"
  if (url.includes("/src/")) return "switchboard src/"
  return "other"
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parentOf = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
const keyOf = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame
  const name = functionName === "" ? "(anonymous)" : functionName
  const where = url === "" ? "" : ` ${url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*\/src\//, "src/")}:${lineNumber + 1}`
  return `${name}${where}`
}
/** A virtual model's own code: choosing and recording targets, not the attempt on one (`attemptFast`, the Effect path's `attempt`). */
const CHAIN_CODE = /\/src\/(http\/FastChain|router\/(Chain|TargetHealth|Breaker|Rules|Presets|Failover))\.ts$/
const ATTEMPT = new Set(["attemptFast", "attempt"])
const chainByFunction = new Map<string, number>()
let chainTotal = 0
const inclusiveBySrcFunction = new Map<string, number>()
const selfByFunction = new Map<string, number>()
const selfByOrigin = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const node = byId.get(id)
  const delta = profile.timeDeltas[i] ?? 0
  if (node === undefined) return
  const { functionName, url } = node.callFrame
  const key = keyOf(node)
  // Each src/ function on the sample's stack once, however deep its recursion.
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)
    if (frame === undefined || !frame.callFrame.url.includes("/src/")) continue
    const frameKey = keyOf(frame)
    if (seen.has(frameKey)) continue
    seen.add(frameKey)
    inclusiveBySrcFunction.set(frameKey, (inclusiveBySrcFunction.get(frameKey) ?? 0) + delta)
  }
  // The nearest chain frame below any attempt frame: time the chain itself costs.
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)
    if (frame === undefined || ATTEMPT.has(frame.callFrame.functionName)) break
    if (!CHAIN_CODE.test(frame.callFrame.url)) continue
    chainTotal += delta
    chainByFunction.set(keyOf(frame), (chainByFunction.get(keyOf(frame)) ?? 0) + delta)
    break
  }
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta)
  const origin = originOf(url, functionName)
  selfByOrigin.set(origin, (selfByOrigin.get(origin) ?? 0) + delta)
  total += delta
})

const busy = total - (selfByOrigin.get("(idle)") ?? 0)
const percent = (value: number, of: number) => `${((value / of) * 100).toFixed(1).padStart(5)}%`
const heaviest = (map: Map<string, number>, n: number) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)

console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (not idle)\n`)
console.log("self time by origin (% of busy):")
for (const [origin, time] of heaviest(selfByOrigin, 20)) if (origin !== "(idle)") console.log(`  ${percent(time, busy)}  ${origin}`)
console.log(`\nheaviest functions by self time (% of busy), top ${top}:`)
for (const [name, time] of heaviest(selfByFunction, top + 1)) if (!name.startsWith("(idle)")) console.log(`  ${percent(time, busy)}  ${name}`)
console.log(`\nSwitchboard's own functions by inclusive time (self + callees, % of busy), top ${top}:`)
for (const [name, time] of heaviest(inclusiveBySrcFunction, top)) console.log(`  ${percent(time, busy)}  ${name}`)
if (chainTotal > 0) {
  // Finer than the rest: this is a cost of a few percent, spread thin.
  const fine = (value: number) => `${((value / busy) * 100).toFixed(2).padStart(5)}%`
  console.log(`\nvirtual models' own routing (chain code and its callees, outside the attempts): ${fine(chainTotal).trim()} of busy`)
  for (const [name, time] of heaviest(chainByFunction, 10)) console.log(`  ${fine(time)}  ${name}`)
}
