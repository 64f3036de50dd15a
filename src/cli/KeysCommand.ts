/**
 * `switchboard keys create|list|revoke`: the gateway keys callers present when Switchboard listens
 * on a non-loopback address. They live in the secret store, not remote.json, so these commands
 * work on it directly whether a server runs or not; a running server sees the change within
 * seconds (see `GatewayKeys`).
 */
import { Console, Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { GatewayKeys } from "../gateway-keys/GatewayKeys.ts"
import { operation } from "./Operation.ts"
import { colourEnabled, renderTable } from "./Table.ts"

/** The command's effect with the user's key store at hand (`operation` provides the secret store it sits on). */
const withKeys = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  operation(Effect.provide(effect, GatewayKeys.layer))

const create = Command.make("create", {
  name: Flag.String("name").pipe(Flag.withDescription("A name to tell the key apart in `keys list` (who or what uses it)"), Flag.optional)
}, ({ name }) =>
  withKeys(Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const created = yield* keys.create(Option.getOrElse(name, () => ""))
    // The key alone on stdout, so `KEY=$(switchboard keys create)` works; the rest is for people.
    yield* Console.log(Redacted.value(created.key))
    yield* Console.error(
      `created gateway key ${created.info.id} in ${keys.backend}. This is the only time it is shown: only a hash of it is kept, ` +
        "so it cannot be shown again. Clients send it as `Authorization: Bearer <key>` or `x-api-key: <key>`."
    )
  }))).pipe(Command.withDescription("Create a gateway key and print it, once: it cannot be shown again"))

const list = Command.make("list", {}, () =>
  withKeys(Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const all = yield* keys.list
    if (all.length === 0) return yield* Console.log(`no gateway keys in ${keys.backend}: create one with \`switchboard keys create\``)
    yield* Console.log(renderTable(["ID", "NAME", "CREATED"], all.map((key) => [key.id, key.name || "-", key.created ?? "-"]), yield* colourEnabled))
  }))).pipe(Command.withDescription("List gateway keys: id, name and creation time (never the keys)"))

const revoke = Command.make("revoke", {
  id: Argument.String("id").pipe(Argument.withDescription("The key's id, as `keys list` shows it"))
}, ({ id }) =>
  withKeys(Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const revoked = yield* keys.revoke(id)
    yield* Console.log(`revoked gateway key ${revoked.id}${revoked.name === "" ? "" : ` (${revoked.name})`}: a running server refuses it within seconds`)
  }))).pipe(Command.withDescription("Revoke a gateway key: a running server refuses it within seconds, without a restart"))

export const KeysCommand = Command.make("keys").pipe(
  Command.withDescription(
    "Manage gateway keys: required from every caller when Switchboard listens on a non-loopback address (--host 0.0.0.0)"
  ),
  Command.withSubcommands([create, list, revoke])
)
