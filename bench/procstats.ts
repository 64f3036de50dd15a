/**
 * What a target process costs, read from outside it (Linux /proc), so every target — Switchboard,
 * the bare proxy, Portkey, the upstream itself — is measured the same way without cooperating:
 *
 * - CPU seconds: user + system time of the process (`/proc/<pid>/stat`, fields 14–15, in clock
 *   ticks of 10 ms: sampled around runs of seconds, the rounding stays under a percent).
 * - Peak RSS: `VmHWM` of `/proc/<pid>/status`. Writing `5` to `/proc/<pid>/clear_refs` resets it,
 *   so each scenario reports its own peak rather than the process's lifetime one.
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU seconds the process has used so far; NaN when it cannot be read (not Linux, process gone). */
export const cpuSeconds = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return Number.NaN
  }
}

/** Peak resident set size in MiB since start or since the last `resetPeakRss`; NaN when unreadable. */
export const peakRssMiB = (pid: number): number => {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match ? Number(match[1]) / 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Current resident set size in MiB; NaN when unreadable. */
export const rssMiB = (pid: number): number => {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match ? Number(match[1]) / 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Starts a new peak-RSS window for the process (best effort: the peak then stays the lifetime one). */
export const resetPeakRss = (pid: number): void => {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5")
  } catch {
    // not Linux, or not permitted: VmHWM keeps counting from the start
  }
}
