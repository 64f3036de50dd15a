/**
 * The `keys` group of the admin API: gateway keys with their limits and what they used (this
 * minute, UTC day and month), created (the key in that one answer), limits edited, revoked —
 * through `GatewayKeys` and `Budgets`, as `switchboard keys` does.
 */
import { Effect, Option, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import type { KeyUsage } from "../gateway-keys/BudgetStore.ts"
import { Budgets } from "../gateway-keys/Budgets.ts"
import { GatewayKeys, type KeyInfo } from "../gateway-keys/GatewayKeys.ts"
import type { Counter } from "../gateway-keys/KeyLimits.ts"
import { openAiErrorBody } from "../http/OpenAiError.ts"
import { AdminApi, CreateGatewayKey, NotFound, ServerError } from "./AdminApi.ts"
import { toApiError } from "./AdminErrors.ts"
import { readBody } from "./AdminRequests.ts"
import { emptyCounter, LimitsChange } from "../gateway-keys/KeyLimits.ts"

const serverError = (message: string) => new ServerError(openAiErrorBody(message, "server_error", { code: "gateway_keys_error" }))

/** The keys' store; a gateway built without one (an embedding without keys) says so. */
const keysService = Effect.flatMap(Effect.serviceOption(GatewayKeys), Option.match({
  onNone: () => Effect.fail(serverError("this gateway has no gateway key store")),
  onSome: Effect.succeed
}))

const spend = (counter: Counter) => ({ requests: counter.requests, tokens: counter.tokens, usd: counter.spentUsd + counter.reservedUsd })
const empty = { minute: spend(emptyCounter), day: spend(emptyCounter), month: spend(emptyCounter) }

/** The counters now, or none when they cannot be read (the listing still answers). */
const usageNow = Effect.gen(function*() {
  const budgets = yield* Effect.serviceOption(Budgets)
  if (Option.isNone(budgets)) return Option.none<ReadonlyMap<string, KeyUsage>>()
  return yield* Effect.option(budgets.value.usage)
})

const keyJson = (info: KeyInfo, usage: Option.Option<ReadonlyMap<string, KeyUsage>>) => {
  const counters = Option.map(usage, (map) => map.get(info.id))
  return {
    ...info,
    usage: Option.match(counters, {
      onNone: () => null,
      onSome: (found) => found === undefined ? empty : { minute: spend(found.minute), day: spend(found.day), month: spend(found.month) }
    })
  }
}

const unknownKey = (id: string) => new NotFound(openAiErrorBody(`no gateway key with id ${id}`, "not_found_error", { param: "id", code: "gateway_key_not_found" }))

export const KeysHandlers = HttpApiBuilder.group(AdminApi, "keys", (handlers) =>
  handlers
    .handle("list", () =>
      Effect.gen(function*() {
        const keys = yield* keysService
        const all = yield* Effect.mapError(keys.list, (error) => serverError(error.message))
        const usage = yield* usageNow
        return { object: "list" as const, backend: keys.backend, data: all.map((info) => keyJson(info, usage)) }
      }))
    // `create` and `edit` read their body themselves (`readBody`), so a refusal names the field.
    .handleRaw("create", () =>
      Effect.gen(function*() {
        const payload = yield* Effect.mapError(readBody(CreateGatewayKey), toApiError)
        const keys = yield* keysService
        const created = yield* keys.create(payload.name ?? "", payload.limits).pipe(
          // The store failing (keychain, database) is the server's problem, not the caller's.
          Effect.mapError((error) => serverError(error.message))
        )
        // A key just made has counted nothing: no need to read the counters.
        return { key: Redacted.value(created.key), info: { ...created.info, usage: empty } }
      }))
    .handleRaw("edit", ({ params }) =>
      Effect.gen(function*() {
        const payload = yield* Effect.mapError(readBody(LimitsChange), toApiError)
        const keys = yield* keysService
        const updated = yield* keys.setLimits(params.id, payload).pipe(
          Effect.mapError((error) => error._tag === "UnknownGatewayKey" ? unknownKey(params.id) : serverError(error.message))
        )
        return keyJson(updated, yield* usageNow)
      }))
    .handle("revoke", ({ params }) =>
      Effect.gen(function*() {
        const keys = yield* keysService
        yield* keys.revoke(params.id).pipe(
          Effect.mapError((error) => error._tag === "UnknownGatewayKey" ? unknownKey(params.id) : serverError(error.message))
        )
        return { id: params.id, deleted: true as const }
      })))
