/**
 * What a running `switchboard serve` holds, read from outside it through Linux `/proc`: its
 * resident memory and its open sockets. The fault suite's proxies for leaks (Switchboard exposes
 * no fiber count): a leaked request fiber holds its client or upstream socket, and leaked buffers
 * show in RSS.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs"

/** The pid of the `switchboard serve --port <port>` process (found by its command line). */
export const serverPid = (port: number): number => {
  const wanted = `serve\0--port\0${port}\0`
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").endsWith(wanted)) return Number(entry)
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  throw new Error(`no process runs switchboard serve --port ${port}`)
}

/** Current resident set size in MiB. */
export const rssMiB = (pid: number): number => {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  if (!match) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1]) / 1024
}

/** How many of the process's file descriptors are sockets (listening, client and upstream connections). */
export const socketCount = (pid: number): number => {
  let count = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) count++
    } catch {
      // closed while we looked
    }
  }
  return count
}
