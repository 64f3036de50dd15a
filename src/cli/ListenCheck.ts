/**
 * Whether `serve` can listen where it was told to, checked before the gateway is built: a port in
 * use, a port out of range or an address this machine does not have is one line naming the
 * problem and the flag or variable that fixes it, before any provider starts connecting (the
 * gateway builds its providers before it opens the port, so the first request finds them).
 */
import { Effect } from "effect"
import { createServer } from "node:net"
import { CliFailure } from "./Operation.ts"

/** Where the two settings come from, named in every message so the user knows what to change. */
const PORT_FIX = "choose another with --port or SWITCHBOARD_PORT"
const HOST_FIX = "choose another with --host or SWITCHBOARD_HOST (127.0.0.1: this machine only, 0.0.0.0: every interface)"

/** A port `serve` can use: 0 (any free port) to 65535. */
export const portProblem = (port: number): string | undefined =>
  Number.isInteger(port) && port >= 0 && port <= 65535 ? undefined : `port ${port} is not a TCP port (0-65535): ${PORT_FIX}`

/**
 * The line for a failed `listen`, from the system error code (`EADDRINUSE`, …); an unknown code
 * keeps the system's own message.
 */
export const listenProblem = (error: { readonly code?: string | undefined; readonly message: string }, host: string, port: number): string => {
  switch (error.code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use (another Switchboard?): stop it, or ${PORT_FIX}`
    case "EACCES":
    case "EPERM":
      return `port ${port} on ${host} needs privileges this user does not have: ${PORT_FIX} (above 1023)`
    case "EADDRNOTAVAIL":
      return `cannot listen on ${host}: this machine has no such address: ${HOST_FIX}`
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot listen on ${host}: no such host name: ${HOST_FIX}`
    default:
      return `cannot listen on ${host}:${port}: ${error.message}`
  }
}

/** Binds `host:port` once and lets go at once; the failure as `listenProblem` words it. */
export const checkListen = (host: string, port: number): Effect.Effect<void, CliFailure> => {
  const range = portProblem(port)
  if (range !== undefined) return Effect.fail(new CliFailure({ message: range }))
  return Effect.callback<void, CliFailure>((resume) => {
    const server = createServer()
    server.once("error", (error: NodeJS.ErrnoException) => resume(Effect.fail(new CliFailure({ message: listenProblem(error, host, port) }))))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resume(Effect.void)))
  })
}
