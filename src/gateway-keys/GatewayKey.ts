/**
 * Gateway keys as values: how a key is made, what is kept of it (a SHA-256 hash, never the key),
 * and how a presented key is checked against the kept hashes. Pure, for table tests; the storage
 * is `GatewayKeys`, the HTTP check `GatewayKeyGuard`.
 */
import { Schema } from "effect"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { KeyLimits } from "./KeyLimits.ts"

/** Every key starts with this, so a leaked one is recognisable (secret scanners, logs, the user). */
export const KEY_PREFIX = "sb-"

/** One key as stored: an id to revoke it by, a name for people, and the key's hash. */
export const StoredKey = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** ISO 8601. */
  created: Schema.String,
  /** Hex SHA-256 of the whole key. A hash alone cannot be presented as a key. */
  sha256: Schema.String.pipe(Schema.check(Schema.isPattern(/^[0-9a-f]{64}$/))),
  /** Rate limits and budgets (`KeyLimits.ts`); absent in entries written before they existed. */
  limits: Schema.optionalKey(KeyLimits)
})
export type StoredKey = typeof StoredKey.Type

/** The one secret-store entry that holds every key, as JSON. */
export const StoredKeys = Schema.fromJsonString(Schema.Array(StoredKey))

/** A new key: 32 random bytes (256 bits) in base64url, after the prefix. */
export const generateKey = (): string => KEY_PREFIX + randomBytes(32).toString("base64url")

/** A short id for `keys list` / `keys revoke`, unique among `taken`. */
export const generateId = (taken: ReadonlySet<string>): string => {
  for (;;) {
    const id = randomBytes(4).toString("hex")
    if (!taken.has(id)) return id
  }
}

export const sha256 = (key: string): Buffer => createHash("sha256").update(key, "utf8").digest()

/**
 * Whether `presented` hashes to one of `hashes`. Every hash is compared, each in constant time,
 * so neither the position of a match nor how much of a hash matched shows in the timing.
 */
export const matchesAny = (hashes: ReadonlyArray<Buffer>, presented: string): boolean => matchIndex(hashes, presented) !== -1

/**
 * The index in `hashes` of the one `presented` hashes to, or -1. Compared as `matchesAny` does:
 * every hash, each in constant time.
 */
export const matchIndex = (hashes: ReadonlyArray<Buffer>, presented: string): number => {
  const digest = sha256(presented)
  let found = -1
  for (let i = 0; i < hashes.length; i++) {
    const hash = hashes[i]!
    if (hash.length === digest.length && timingSafeEqual(hash, digest)) found = i
  }
  return found
}

/**
 * Whether a listening address only accepts connections from this machine: `localhost`, `::1`
 * and all of 127.0.0.0/8. Anything else (`0.0.0.0`, `::`, a LAN address, a name) may be reached
 * from the network, and then every request needs a gateway key.
 */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" || /^127(?:\.\d{1,3}){3}$/.test(h) ||
    /^::ffff:127(?:\.\d{1,3}){3}$/.test(h)
}

/**
 * The keys a request presents: `Authorization: Bearer <key>` (OpenAI SDKs, curl) and
 * `x-api-key: <key>` (the Anthropic SDK, Claude Code). Empty values do not count.
 */
export const presentedKeys = (headers: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const keys: Array<string> = []
  const authorization = headers["authorization"]?.trim()
  const bearer = authorization === undefined ? undefined : /^bearer\s+(\S+)$/i.exec(authorization)?.[1]
  if (bearer !== undefined) keys.push(bearer)
  const apiKey = headers["x-api-key"]?.trim()
  if (apiKey !== undefined && apiKey !== "") keys.push(apiKey)
  return keys
}
