/**
 * `Budgets` over each counter store: in memory, SQLite in a temporary folder and a real Postgres
 * (a throw-away cluster). Limits refuse with the right limit and `retry-after`, settling replaces
 * the estimate, local models pass a spent budget, and concurrent admissions that would overspend
 * let exactly the affordable number through — on Postgres also from two clients (two pools, as two
 * gateway processes would have).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { join } from "node:path"
import { Database } from "../../src/database/Database.ts"
import { BudgetStore } from "../../src/gateway-keys/BudgetStore.ts"
import { Budgets } from "../../src/gateway-keys/Budgets.ts"
import { GatewayKeys } from "../../src/gateway-keys/GatewayKeys.ts"
import { describePostgres, usePostgres } from "../support/Postgres.ts"
import { tempDir } from "../support/TempDir.ts"

const KEY = "sb-test-key"
const request = (costUsd: number | null, local = false, tokens = 10) => ({ local, estimatedTokens: tokens, estimatedCostUsd: costUsd })

/** Budgets over `store`, with one key (`test-1`) whose limits are set first. */
const withBudgets = <A, E>(store: () => Layer.Layer<BudgetStore, unknown>, body: (budgets: Budgets["Service"], keys: GatewayKeys["Service"]) => Effect.Effect<A, E>) =>
  Effect.suspend(() =>
    Effect.gen(function*() {
      return yield* body(yield* Budgets, yield* GatewayKeys)
    }).pipe(Effect.provide(Budgets.layer.pipe(Layer.provideMerge(GatewayKeys.layerTest([KEY])), Layer.provide(store()))))
  )

const contract = (store: () => Layer.Layer<BudgetStore, unknown>) => {
  it.effect("identify names the key; hasLimits follows its limits", () =>
    withBudgets(store, (budgets, keys) =>
      Effect.gen(function*() {
        assert.strictEqual(budgets.identify({ authorization: `Bearer ${KEY}` }), "test-1")
        assert.strictEqual(budgets.identify({ "x-api-key": KEY }), "test-1")
        assert.isUndefined(budgets.identify({ authorization: "Bearer sk-something-else" }))
        assert.isFalse(budgets.hasLimits("test-1"))
        yield* keys.setLimits("test-1", { rpm: 2 })
        assert.isTrue(budgets.hasLimits("test-1"))
      })))

  it.effect("rpm: the third request in a minute is refused, with retry-after", () =>
    withBudgets(store, (budgets, keys) =>
      Effect.gen(function*() {
        yield* keys.setLimits("test-1", { rpm: 2 })
        yield* budgets.admit("test-1", request(null))
        yield* budgets.admit("test-1", request(null))
        const refused = yield* Effect.flip(budgets.admit("test-1", request(null)))
        assert.strictEqual(refused.limit, "rpm")
        assert.isTrue(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60)
        assert.include(refused.message, "2 requests per minute")
      })))

  it.effect("a day's budget: estimates reserved, settled with the real cost; local models pass a spent budget", () =>
    withBudgets(store, (budgets, keys) =>
      Effect.gen(function*() {
        yield* keys.setLimits("test-1", { budgetUsdDay: 1 })
        const first = yield* budgets.admit("test-1", request(0.6))
        // 0.6 reserved: another 0.6 does not fit.
        assert.strictEqual((yield* Effect.flip(budgets.admit("test-1", request(0.6)))).limit, "budget_day")
        // It cost 0.2 in the end: now it fits.
        yield* budgets.settle(first, { tokens: 10, costUsd: 0.2 })
        const second = yield* budgets.admit("test-1", request(0.6))
        // An unknown real cost keeps the estimate.
        yield* budgets.settle(second, { tokens: 10, costUsd: null })
        const usage = (yield* budgets.usage).get("test-1")!
        assert.closeTo(usage.day.spentUsd, 0.8, 1e-9)
        assert.closeTo(usage.day.reservedUsd, 0, 1e-9)
        const third = yield* budgets.admit("test-1", request(0.2))
        yield* budgets.settle(third, { tokens: 10, costUsd: 0.2 })
        // Spent: even an unknown price is refused, a local model is not, and adds $0.
        assert.strictEqual((yield* Effect.flip(budgets.admit("test-1", request(null)))).limit, "budget_day")
        const onLocal = yield* budgets.admit("test-1", request(null, true))
        yield* budgets.settle(onLocal, { tokens: 10, costUsd: 5 })
        assert.closeTo((yield* budgets.usage).get("test-1")!.day.spentUsd, 1, 1e-9)
      })))

  it.effect("tpm: estimates counted, replaced by the real tokens", () =>
    withBudgets(store, (budgets, keys) =>
      Effect.gen(function*() {
        yield* keys.setLimits("test-1", { tpm: 100 })
        const first = yield* budgets.admit("test-1", request(null, false, 90))
        assert.strictEqual((yield* Effect.flip(budgets.admit("test-1", request(null, false, 20)))).limit, "tpm")
        yield* budgets.settle(first, { tokens: 30, costUsd: null })
        yield* budgets.admit("test-1", request(null, false, 20))
        assert.strictEqual((yield* budgets.usage).get("test-1")!.minute.tokens, 50)
      })))

  it.effect("concurrent admissions that would overspend: exactly the affordable number pass", () =>
    withBudgets(store, (budgets, keys) =>
      Effect.gen(function*() {
        yield* keys.setLimits("test-1", { budgetUsdDay: 1 })
        const outcomes = yield* Effect.forEach(Array.from({ length: 20 }, () => 0), () => Effect.result(budgets.admit("test-1", request(0.25))), {
          concurrency: "unbounded"
        })
        assert.strictEqual(outcomes.filter((o) => o._tag === "Success").length, 4)
        assert.closeTo((yield* budgets.usage).get("test-1")!.day.reservedUsd, 1, 1e-9)
      })))
}

describe("Budgets (memory)", () => {
  contract(() => BudgetStore.layerMemory)
})

describe("Budgets (SQLite)", () => {
  contract(() => BudgetStore.layerSql.pipe(Layer.provide(Database.layerSqlite(join(tempDir("switchboard-budgets-"), "switchboard.db")))))
})

describePostgres("Budgets (Postgres)", () => {
  const pg = usePostgres()
  contract(() => BudgetStore.layerSql.pipe(Layer.provide(Database.layerPostgres(Redacted.make(pg.freshDatabase())))))

  it.live("gateway keys in the database: one instance's new key and limits are another's, revoked for both", () =>
    Effect.gen(function*() {
      const url = Redacted.make(pg.freshDatabase())
      const instance = () => GatewayKeys.layerSql.pipe(Layer.provide(Database.layerPostgres(url)))
      // Built in this test's scope: both stay open to the end, as two running gateways would.
      const a = Context.get(yield* Layer.build(instance()), GatewayKeys)
      const b = Context.get(yield* Layer.build(instance()), GatewayKeys)
      const created = yield* a.create("shared", { rpm: 5 })
      const key = Redacted.value(created.key)
      assert.isTrue(yield* b.verify(Redacted.make(key)))
      assert.strictEqual(b.identify(key), created.info.id)
      assert.deepStrictEqual(b.limitsOf(created.info.id), { rpm: 5 })
      yield* b.setLimits(created.info.id, { rpm: null, budgetUsdMonth: 3 })
      assert.deepStrictEqual((yield* a.list).map((info: { limits: unknown }) => info.limits), [{ budgetUsdMonth: 3 }])
      yield* a.revoke(created.info.id)
      assert.deepStrictEqual(yield* b.list, [])
    }).pipe(Effect.scoped), 60_000)

  it.live("two clients on one database (two gateways): together they pass exactly the affordable number", () =>
    Effect.gen(function*() {
      const url = Redacted.make(pg.freshDatabase())
      const admitMany = Effect.gen(function*() {
        const budgets = yield* Budgets
        yield* (yield* GatewayKeys).setLimits("test-1", { budgetUsdDay: 1 })
        return yield* Effect.forEach(Array.from({ length: 10 }, () => 0), () => Effect.result(budgets.admit("test-1", request(0.1))), {
          concurrency: "unbounded"
        })
      })
      const gateway = () => Budgets.layer.pipe(Layer.provideMerge(GatewayKeys.layerTest([KEY])), Layer.provide(BudgetStore.layerSql), Layer.provide(Database.layerPostgres(url)))
      const [a, b] = yield* Effect.all([Effect.provide(admitMany, gateway()), Effect.provide(admitMany, gateway())], { concurrency: 2 })
      assert.strictEqual([...a, ...b].filter((o) => o._tag === "Success").length, 10)
    }), 60_000)
})
