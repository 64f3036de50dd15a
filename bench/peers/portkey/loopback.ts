/**
 * Preloaded into Portkey's gateway (`node --import ./loopback.ts`): it has no host option and
 * listens on every interface; the bench must stay on 127.0.0.1. Every `listen` given a port is
 * bound to loopback instead.
 */
import { Server } from "node:net"

// Called with argument lists TypeScript cannot check here: typed loosely on purpose.
const listen = Server.prototype.listen as (this: Server, ...args: Array<unknown>) => Server

Server.prototype.listen = function(this: Server, ...args: Array<unknown>) {
  const [first] = args
  if (typeof first === "object" && first !== null && "port" in first) {
    return listen.call(this, { ...first, host: "127.0.0.1" }, ...args.filter((arg) => typeof arg === "function"))
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    return listen.call(this, Number(first), "127.0.0.1", ...args.filter((arg) => typeof arg === "function"))
  }
  return listen.apply(this, args)
} as Server["listen"]
