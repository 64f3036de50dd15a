/**
 * `switchboard keys create|list|edit|revoke`: the gateway keys callers present when Switchboard
 * listens on a non-loopback address, and their rate limits and budgets. They live in the secret
 * store, not remote.json, so these commands work on it directly whether a server runs or not; a
 * running server sees the change within seconds (see `GatewayKeys`).
 */
import { Clock, Console, Effect, Layer, Option, Redacted, Schema } from "effect"
import { existsSync } from "node:fs"
import { Argument, Command, Flag } from "effect/cli"
import * as Settings from "../config/Settings.ts"
import { Database, targetFrom } from "../database/Database.ts"
import { BudgetStore, type KeyUsage } from "../gateway-keys/BudgetStore.ts"
import { GatewayKeys, GatewayKeysError, type KeyInfo } from "../gateway-keys/GatewayKeys.ts"
import { type KeyLimits, LIMIT_NAMES, LimitsChange } from "../gateway-keys/KeyLimits.ts"
import { dollars } from "../usage/UsageReport.ts"
import { operation } from "./Operation.ts"
import { colourEnabled, renderTable } from "./Table.ts"

/** The command's effect with the user's key store at hand (`operation` provides the secret store it sits on). */
const withKeys = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  operation(Effect.provide(effect, GatewayKeys.layer))

/** The flags that set limits, on `create` and `edit`. */
const limitFlags = {
  rpm: Flag.Int("rpm").pipe(Flag.withDescription("Requests per minute"), Flag.optional),
  tpm: Flag.Int("tpm").pipe(Flag.withDescription("Tokens (input + output) per minute"), Flag.optional),
  budgetUsdDay: Flag.Finite("budget-usd-day").pipe(Flag.withDescription("US dollars per UTC day (never applied to local models)"), Flag.optional),
  budgetUsdMonth: Flag.Finite("budget-usd-month").pipe(Flag.withDescription("US dollars per UTC month (never applied to local models)"), Flag.optional)
}

const CLEARABLE = { "rpm": "rpm", "tpm": "tpm", "budget-usd-day": "budgetUsdDay", "budget-usd-month": "budgetUsdMonth" } as const

type LimitFlags = { readonly [K in keyof typeof limitFlags]: Option.Option<number> }

/** The flags as a checked change (limits must be positive); `clear` names limits to remove. */
const changeOf = (flags: LimitFlags, clear: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const change: Record<string, number | null> = {}
    for (const name of LIMIT_NAMES) {
      if (Option.isSome(flags[name])) change[name] = flags[name].value
    }
    for (const name of clear) {
      const field = CLEARABLE[name as keyof typeof CLEARABLE]
      if (field === undefined) {
        return yield* new GatewayKeysError({ message: `--clear: no limit named ${name} (one of ${Object.keys(CLEARABLE).join(", ")})` })
      }
      change[field] = null
    }
    return yield* Schema.decodeUnknownEffect(LimitsChange)(change).pipe(
      Effect.mapError(() => new GatewayKeysError({ message: "--rpm and --tpm take whole numbers above 0, the budgets dollars above 0" }))
    )
  })


/** A key's limits, short: `60 rpm, 10000 tpm, $5/day, $50/month`, or `-`. */
const limitsText = (limits: KeyLimits): string => {
  const parts = [
    limits.rpm === undefined ? undefined : `${limits.rpm} rpm`,
    limits.tpm === undefined ? undefined : `${limits.tpm} tpm`,
    limits.budgetUsdDay === undefined ? undefined : `${dollars(limits.budgetUsdDay)}/day`,
    limits.budgetUsdMonth === undefined ? undefined : `${dollars(limits.budgetUsdMonth)}/month`
  ].filter((part) => part !== undefined)
  return parts.length === 0 ? "-" : parts.join(", ")
}

const describeKey = (info: KeyInfo) => {
  const limits = limitsText(info.limits)
  return `gateway key ${info.id}${info.name === "" ? "" : ` (${info.name})`}, ${limits === "-" ? "no limits" : `limits: ${limits}`}`
}

const create = Command.make("create", {
  name: Flag.String("name").pipe(Flag.withDescription("A name to tell the key apart in `keys list` (who or what uses it)"), Flag.optional),
  ...limitFlags
}, ({ name, ...flags }) =>
  withKeys(Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const change = yield* changeOf(flags, [])
    const limits = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== null)) as KeyLimits
    const created = yield* keys.create(Option.getOrElse(name, () => ""), limits)
    // The key alone on stdout, so `KEY=$(switchboard keys create)` works; the rest is for people.
    yield* Console.log(Redacted.value(created.key))
    yield* Console.error(
      `created ${describeKey(created.info)} in ${keys.backend}. This is the only time it is shown: only a hash of it is kept, ` +
        "so it cannot be shown again. Clients send it as `Authorization: Bearer <key>` or `x-api-key: <key>`."
    )
  }))).pipe(Command.withDescription("Create a gateway key, with optional limits, and print it, once: it cannot be shown again"))

const edit = Command.make("edit", {
  id: Argument.String("id").pipe(Argument.withDescription("The key's id, as `keys list` shows it")),
  ...limitFlags,
  clear: Flag.String("clear").pipe(
    Flag.withDescription("Remove limits: a comma-separated list of rpm, tpm, budget-usd-day, budget-usd-month"),
    Flag.optional
  )
}, ({ id, clear, ...flags }) =>
  withKeys(Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const names = Option.match(clear, { onNone: () => [], onSome: (list) => list.split(",").map((n) => n.trim()).filter((n) => n !== "") })
    const updated = yield* keys.setLimits(id, yield* changeOf(flags, names))
    yield* Console.log(`${describeKey(updated)}: a running server applies them within seconds`)
  }))).pipe(Command.withDescription("Set or clear a gateway key's rate limits and budgets"))

/**
 * The keys' counters now, when the database can be read; else none (the list still shows). Read
 * from the counter store alone: a listing must not start the budgets' upkeep (which deletes old
 * windows), nor create a SQLite file where none is yet (then nothing was spent).
 */
const spendNow = Effect.gen(function*() {
  const target = yield* targetFrom(yield* Settings.home.config)
  if (target.kind === "sqlite" && !existsSync(target.file)) return new Map<string, KeyUsage>()
  const store = yield* BudgetStore
  return yield* store.usage(yield* Clock.currentTimeMillis)
}).pipe(
  Effect.provide(BudgetStore.layerSql.pipe(Layer.provide(Database.layer))),
  Effect.option
)

const list = Command.make("list", {}, () =>
  withKeys(Effect.gen(function*() {
    const keys = yield* GatewayKeys
    const all = yield* keys.list
    if (all.length === 0) return yield* Console.log(`no gateway keys in ${keys.backend}: create one with \`switchboard keys create\``)
    const usage = yield* spendNow
    const spent = (id: string, kind: "day" | "month") =>
      Option.match(usage, {
        onNone: () => "?",
        onSome: (counters) => {
          const counter = counters.get(id)?.[kind]
          return counter === undefined ? dollars(0) : dollars(counter.spentUsd + counter.reservedUsd)
        }
      })
    yield* Console.log(renderTable(
      ["ID", "NAME", "CREATED", "LIMITS", "TODAY", "THIS MONTH"],
      all.map((key) => [key.id, key.name || "-", key.created ?? "-", limitsText(key.limits), spent(key.id, "day"), spent(key.id, "month")]),
      yield* colourEnabled
    ))
  }))).pipe(Command.withDescription("List gateway keys: id, name, creation time, limits and spend (UTC day and month; never the keys)"))

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
    "Manage gateway keys and their rate limits and budgets: keys are required from every caller when Switchboard listens on a non-loopback address (--host 0.0.0.0)"
  ),
  Command.withSubcommands([create, list, edit, revoke])
)
