/**
 * Secrets in memory, for tests and for programs that embed the gateway with their own secrets.
 */
import { Effect, Layer, Option } from "effect"
import { accountFor, SecretStore, setCommand } from "./SecretStore.ts"
import type { Redacted } from "effect"

/** An empty store, or one seeded with `account → value` (accounts as `accountFor` names them). */
export const layer = (initial: Iterable<readonly [string, Redacted.Redacted<string>]> = []) =>
  Layer.sync(SecretStore, () => {
    const values = new Map(initial)
    return SecretStore.of({
      kind: "memory",
      backend: "memory",
      unavailable: null,
      notice: null,
      writable: true,
      howToSet: setCommand,
      get: (providerId, name) => Effect.sync(() => Option.fromNullishOr(values.get(accountFor(providerId, name)))),
      set: (providerId, name, value) => Effect.sync(() => void values.set(accountFor(providerId, name), value)),
      delete: (providerId, name) => Effect.sync(() => void values.delete(accountFor(providerId, name)))
    })
  })
