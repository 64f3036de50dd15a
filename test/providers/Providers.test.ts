/**
 * The provider actors' state machine, driven by a fake HttpClient (the upstream is faked, not the
 * code under test) and the TestClock (retry delays and refreshes run in virtual time).
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Option, Redacted, Schema, Stream } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import { TestClock } from "effect/testing"
import { RemoteConfig } from "../../src/config/RemoteConfig.ts"
import { defaultActorOptions } from "../../src/providers/ProviderActor.ts"
import { Providers } from "../../src/providers/Providers.ts"
import { type ProviderState, stateName } from "../../src/providers/ProviderState.ts"
import { accountFor, SecretStore, setCommand } from "../../src/secrets/SecretStore.ts"

type Upstream = (url: URL, headers: Readonly<Record<string, string>>) => Response

/** A fake upstream whose behaviour each test swaps at will. */
const makeUpstream = () => {
  const calls: Array<{ url: URL; headers: Readonly<Record<string, string>> }> = []
  let behaviour: Upstream = () => Response.json({ object: "list", data: [{ id: "m1" }] })
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      calls.push({ url, headers: request.headers })
      return HttpClientResponse.fromWeb(request, behaviour(url, request.headers))
    })
  )
  return { calls, client, set: (b: Upstream) => void (behaviour = b) }
}

const secrets = new Map<string, string>([[accountFor("alpha", { _tag: "ApiKey" }), "sk-alpha-secret"]])
const SecretsTest = Layer.succeed(SecretStore, SecretStore.of({
  kind: "memory",
  backend: "test",
  unavailable: null,
  notice: null,
  writable: true,
  howToSet: setCommand,
  get: (id, name) => Effect.sync(() => Option.map(Option.fromNullishOr(secrets.get(accountFor(id, name))), Redacted.make)),
  set: (id, name, value) => Effect.sync(() => void secrets.set(accountFor(id, name), Redacted.value(value))),
  delete: (id, name) => Effect.sync(() => void secrets.delete(accountFor(id, name)))
}))

const config = (providers: ReadonlyArray<Record<string, unknown>>) =>
  Schema.decodeUnknownSync(RemoteConfig)({
    version: 1,
    providers: providers.map((p) => ({ name: String(p.id), host: "up.example", protocol: "http", ...p }))
  })

const setup = (upstream: ReturnType<typeof makeUpstream>) =>
  Providers.layerWith({ ...defaultActorOptions, refreshInterval: Duration.minutes(10) }).pipe(
    Layer.provide(SecretsTest),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, upstream.client))
  )

/** Waits (in virtual time, yielding to the actors) until a provider reaches a state. */
const awaitState = (id: string, predicate: (s: ProviderState) => boolean) =>
  Effect.gen(function*() {
    const providers = yield* Providers
    for (let i = 0; i < 200; i++) {
      const list = yield* providers.list
      const p = list.find((x) => x.id === id)
      if (p && predicate(p.state)) return p.state
      yield* Effect.yieldNow
    }
    const list = yield* providers.list
    return assert.fail(`provider ${id} never reached the state; now: ${JSON.stringify(list.map((p) => [p.id, p.state]))}`)
  })

const is = (name: string) => (s: ProviderState) => stateName(s) === name

describe("provider actors", () => {
  it.effect("connect: discovers models, sends the API key, merges manual models", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "alpha", auth: "apiKey", models: ["manual", "m1"] }]))
      const state = yield* awaitState("alpha", is("connected"))
      assert.deepStrictEqual(state._tag === "Connected" ? state.models : [], ["m1", "manual"])
      assert.strictEqual(upstream.calls[0]!.url.toString(), "http://up.example/v1/models")
      assert.strictEqual(upstream.calls[0]!.headers["authorization"], "Bearer sk-alpha-secret")
      const table = yield* providers.routingTable
      assert.deepStrictEqual(table.routes.map((r) => r.qualifiedId), ["alpha/m1", "alpha/manual"])
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("error → retry on a backoff schedule → recovery", () => {
    const upstream = makeUpstream()
    upstream.set(() => new Response("upstream down", { status: 503 }))
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "beta" }]))
      const error = yield* awaitState("beta", is("error"))
      assert.include(error._tag === "Error" ? error.reason : "", "503 Service Unavailable from up.example")
      assert.isTrue(error._tag === "Error" && error.retrying)
      const before = upstream.calls.length
      // The first retry comes after about a second (jittered), not before.
      yield* TestClock.adjust(Duration.millis(500))
      yield* Effect.yieldNow
      assert.strictEqual(upstream.calls.length, before)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* awaitState("beta", (s) => s._tag === "Error" && s.attempt === 2)
      // Delays grow: the third attempt needs ~2 s more.
      upstream.set(() => Response.json({ data: [{ id: "back" }] }))
      yield* TestClock.adjust(Duration.seconds(3))
      const state = yield* awaitState("beta", is("connected"))
      assert.deepStrictEqual(state._tag === "Connected" ? state.models : [], ["back"])
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("a 401 is not retried blindly: it waits for an explicit reconnect", () => {
    const upstream = makeUpstream()
    upstream.set(() => Response.json({ error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } }, { status: 401 }))
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "alpha", auth: "apiKey" }]))
      const error = yield* awaitState("alpha", is("error"))
      assert.strictEqual(error._tag === "Error" && error.reason, "401 Unauthorized from up.example: Incorrect API key provided")
      assert.isFalse(error._tag === "Error" && error.retrying)
      const calls = upstream.calls.length
      yield* TestClock.adjust(Duration.minutes(5))
      assert.strictEqual(upstream.calls.length, calls)
      upstream.set(() => Response.json({ data: [{ id: "m1" }] }))
      yield* providers.reconnect("alpha")
      yield* awaitState("alpha", is("connected"))
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("a missing API key is an error naming the fix, with no upstream call, until the key is stored", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "nokey", auth: "apiKey" }]))
      const error = yield* awaitState("nokey", is("error"))
      assert.include(error._tag === "Error" ? error.reason : "", "switchboard secrets set nokey")
      assert.strictEqual(upstream.calls.length, 0)
      secrets.set(accountFor("nokey", { _tag: "ApiKey" }), "sk-late")
      yield* TestClock.adjust(Duration.minutes(2))
      yield* awaitState("nokey", is("connected"))
      assert.strictEqual(upstream.calls[0]!.headers["authorization"], "Bearer sk-late")
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("after a 401, a changed API key is picked up without a restart", () => {
    const upstream = makeUpstream()
    secrets.set(accountFor("rotate", { _tag: "ApiKey" }), "sk-old")
    upstream.set((_, headers) =>
      headers["authorization"] === "Bearer sk-new"
        ? Response.json({ data: [{ id: "m1" }] })
        : Response.json({ error: { message: "Incorrect API key provided" } }, { status: 401 })
    )
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "rotate", auth: "apiKey" }]))
      yield* awaitState("rotate", (s) => s._tag === "Error" && !s.retrying)
      yield* TestClock.adjust(Duration.minutes(2))
      // Same key: no new upstream call.
      assert.strictEqual(upstream.calls.length, 1)
      secrets.set(accountFor("rotate", { _tag: "ApiKey" }), "sk-new")
      yield* TestClock.adjust(Duration.seconds(31))
      yield* awaitState("rotate", is("connected"))
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("disabled and autoConnect:false providers make no calls until asked", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "off", enabled: false }, { id: "lazy", autoConnect: false }]))
      yield* awaitState("off", is("disabled"))
      yield* awaitState("lazy", is("disconnected"))
      assert.strictEqual(upstream.calls.length, 0)
      yield* providers.reconnect("lazy")
      yield* awaitState("lazy", is("connected"))
      yield* providers.disconnect("lazy")
      yield* awaitState("lazy", is("disconnected"))
      assert.deepStrictEqual((yield* providers.routingTable).routes, [])
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("one provider's failure never disturbs another", () => {
    const upstream = makeUpstream()
    upstream.set((url) => url.host === "bad.example" ? new Response("no", { status: 500 }) : Response.json({ data: [{ id: "ok" }] }))
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "good" }, { id: "bad", host: "bad.example" }]))
      yield* awaitState("good", is("connected"))
      yield* awaitState("bad", is("error"))
      yield* TestClock.adjust(Duration.minutes(3))
      yield* awaitState("good", is("connected"))
      assert.deepStrictEqual((yield* providers.routingTable).routes.map((r) => r.qualifiedId), ["good/ok"])
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("anthropic discovery pages through has_more/after_id with x-api-key and anthropic-version", () => {
    const upstream = makeUpstream()
    secrets.set(accountFor("claude", { _tag: "ApiKey" }), "sk-ant-test")
    upstream.set((url) =>
      url.searchParams.get("after_id") === "b"
        ? Response.json({ data: [{ id: "c", type: "model" }], has_more: false, first_id: "c", last_id: "c" })
        : Response.json({ data: [{ id: "a", type: "model" }, { id: "b", type: "model" }], has_more: true, first_id: "a", last_id: "b" })
    )
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "claude", format: "anthropic", auth: "apiKey" }]))
      const state = yield* awaitState("claude", is("connected"))
      assert.deepStrictEqual(state._tag === "Connected" ? state.models : [], ["a", "b", "c"])
      assert.strictEqual(upstream.calls.length, 2)
      assert.strictEqual(upstream.calls[0]!.headers["x-api-key"], "sk-ant-test")
      assert.strictEqual(upstream.calls[0]!.headers["anthropic-version"], "2023-06-01")
      assert.isUndefined(upstream.calls[0]!.headers["authorization"])
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("config changes restart only the providers that changed; removed ones stop", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      const events = yield* providers.changes.pipe(Stream.take(50), Stream.runCollect, Effect.forkChild)
      yield* providers.apply(config([{ id: "one" }, { id: "two" }, { id: "three" }]))
      yield* awaitState("one", is("connected"))
      yield* awaitState("two", is("connected"))
      yield* awaitState("three", is("connected"))
      const calls = upstream.calls.length
      yield* providers.apply(config([{ id: "one" }, { id: "two", timeoutSeconds: 5 }]))
      yield* awaitState("two", is("connected"))
      // Only "two" rediscovered; "one" was left alone.
      assert.deepStrictEqual(upstream.calls.slice(calls).map((c) => c.url.host), ["up.example"])
      assert.deepStrictEqual((yield* providers.list).map((p) => p.id), ["one", "two"])
      // The removed actor is gone and the restarted one replaced, not added to.
      assert.strictEqual(yield* providers.actorFibers, 2)
      yield* Fiber.interrupt(events)
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("models are refreshed periodically", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "fresh" }]))
      yield* awaitState("fresh", is("connected"))
      upstream.set(() => Response.json({ data: [{ id: "m1" }, { id: "m2" }] }))
      yield* TestClock.adjust(Duration.minutes(10))
      yield* awaitState("fresh", (s) => s._tag === "Connected" && s.models.length === 2)
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("changesAfter subscribes before the snapshot: a change made while it is read is delivered, not lost", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "stays", autoConnect: false }, { id: "goes", autoConnect: false }]))
      // The snapshot itself removes a provider once it has read the list: the change lands exactly
      // between the snapshot and the first live event, where the old stream (snapshot, then
      // subscribe) lost it.
      const snapshot = Effect.tap(providers.list, () => providers.apply(config([{ id: "stays", autoConnect: false }])))
      const events = yield* providers.changesAfter(snapshot).pipe(
        Stream.takeUntil((event) => event._tag === "Removed"),
        Stream.runCollect
      )
      const first = events[0]
      assert.strictEqual(first?._tag, "Snapshot")
      assert.deepStrictEqual(first?._tag === "Snapshot" ? first.value.map((p) => p.id) : [], ["stays", "goes"])
      assert.deepStrictEqual(events[events.length - 1], { _tag: "Removed", id: "goes" as never })
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("manual models: merged into the discovered ones; alone when the upstream has no models endpoint", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      upstream.set((url) =>
        url.host === "bare.example" ? new Response("Not Found", { status: 404 }) : Response.json({ data: [{ id: "m1" }] })
      )
      yield* providers.apply(config([
        { id: "listed", models: ["extra"] },
        { id: "bare", host: "bare.example", models: ["hand-1", "hand-2"] },
        { id: "nothing", host: "bare.example" }
      ]))
      const listed = yield* awaitState("listed", is("connected"))
      assert.deepStrictEqual(listed._tag === "Connected" ? listed.models : [], ["m1", "extra"])
      const bare = yield* awaitState("bare", is("connected"))
      assert.deepStrictEqual(bare._tag === "Connected" ? bare.models : [], ["hand-1", "hand-2"])
      // Without manual models a 404 stays what it is: an error.
      const nothing = yield* awaitState("nothing", is("error"))
      assert.include(nothing._tag === "Error" ? nothing.reason : "", "404")
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("what a model list says of a model's context window is kept on the route", () => {
    const upstream = makeUpstream()
    upstream.set(() =>
      Response.json({
        object: "list",
        data: [{ id: "openrouter-style", context_length: 131072 }, { id: "lmstudio-style", max_context_length: 8192 }, { id: "plain" }]
      })
    )
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "alpha" }]))
      yield* awaitState("alpha", is("connected"))
      const table = yield* providers.routingTable
      const info = (id: string) => table.byQualifiedId.get(`alpha/${id}`)?.upstream.info(id)
      assert.deepStrictEqual(info("openrouter-style"), { id: "openrouter-style", contextLength: 131072 })
      assert.deepStrictEqual(info("lmstudio-style"), { id: "lmstudio-style", contextLength: 8192 })
      assert.deepStrictEqual(info("plain"), { id: "plain" })
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("requests that cannot reach a connected provider have it checked at once: in error while unreachable, back on its own", () => {
    const upstream = makeUpstream()
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "alpha" }]))
      yield* awaitState("alpha", is("connected"))
      const health = (yield* providers.routingTable).byQualifiedId.get("alpha/m1")!.upstream.http!.health
      const changes: Array<string> = []
      const fiber = yield* providers.changes.pipe(
        Stream.runForEach((event) => Effect.sync(() => event._tag === "StateChanged" && changes.push(stateName(event.status.state)))),
        Effect.forkChild
      )
      yield* Effect.yieldNow
      // Reachable after all (discovery answers): checked, and it stays connected.
      for (let i = 0; i < 3; i++) health.unreachable()
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.deepStrictEqual(changes, ["connected"])
      assert.strictEqual(upstream.calls.length, 2)
      // Two failures, then an answer: the count starts again, nothing is checked.
      const health2 = (yield* providers.routingTable).byQualifiedId.get("alpha/m1")!.upstream.http!.health
      health2.unreachable()
      health2.unreachable()
      health2.reached()
      health2.unreachable()
      health2.unreachable()
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.strictEqual(upstream.calls.length, 2)
      // The host is gone: the third failure in a row has discovery find that out, at once.
      upstream.set(() => new Response("down", { status: 503 }))
      health2.unreachable()
      yield* awaitState("alpha", is("error"))
      assert.deepStrictEqual((yield* providers.routingTable).routes, [])
      // It comes back on the retry schedule once the host does.
      upstream.set(() => Response.json({ object: "list", data: [{ id: "m1" }] }))
      yield* TestClock.adjust("2 seconds")
      yield* awaitState("alpha", is("connected"))
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("an actor that dies of a defect is logged, restarted on its schedule, and its provider comes back; the neighbour is untouched", () => {
    const upstream = makeUpstream()
    let defects = 2
    upstream.set((url) => {
      // A bug, not a provider failure: the actor's fiber dies of it.
      if (url.hostname === "alpha.example" && defects-- > 0) throw new Error("a bug in discovery")
      return Response.json({ object: "list", data: [{ id: `m-${url.hostname}` }] })
    })
    return Effect.gen(function*() {
      const providers = yield* Providers
      yield* providers.apply(config([{ id: "alpha", host: "alpha.example" }, { id: "beta", host: "beta.example" }]))
      yield* awaitState("beta", is("connected"))
      const changes: Array<string> = []
      const fiber = yield* providers.changes.pipe(
        Stream.runForEach((event) => Effect.sync(() => event._tag === "StateChanged" && changes.push(`${event.status.id}:${stateName(event.status.state)}`))),
        Effect.forkChild
      )
      // Two restarts on the capped schedule (virtual time), then discovery works.
      for (let i = 0; i < 4; i++) {
        yield* TestClock.adjust("1 second")
        for (let j = 0; j < 20; j++) yield* Effect.yieldNow
      }
      const state = yield* awaitState("alpha", is("connected"))
      assert.deepStrictEqual(state._tag === "Connected" ? state.models : [], ["m-alpha.example"])
      assert.strictEqual(defects, -1)
      // One fiber per provider: the restarts replaced the dead ones, they did not pile up.
      assert.strictEqual(yield* providers.actorFibers, 2)
      const table = yield* providers.routingTable
      assert.deepStrictEqual(table.routes.map((r) => r.qualifiedId), ["alpha/m-alpha.example", "beta/m-beta.example"])
      assert.isFalse(changes.some((change) => change.startsWith("beta:")), `beta changed: ${changes.join(", ")}`)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(setup(upstream)))
  })

  it.effect("hot reload loses no state change: one landing while a configuration is being applied is kept", () =>
    Effect.gen(function*() {
      // alpha's discovery is held until beta's old actor is being stopped by the new configuration,
      // and that stop waits for alpha's answer: alpha reports `connected` in the middle of `apply`
      // (where the old supervisor had cleared its map, and dropped such a report).
      const alphaMayAnswer = yield* Deferred.make<void>()
      const alphaAnswered = yield* Deferred.make<void>()
      const client = HttpClient.make((request, url) => {
        const models = Effect.succeed(HttpClientResponse.fromWeb(request, Response.json({ object: "list", data: [{ id: `m-${url.hostname}` }] })))
        if (url.hostname === "beta.example" && url.pathname.startsWith("/old")) {
          return Effect.never.pipe(
            Effect.onInterrupt(() =>
              Deferred.succeed(alphaMayAnswer, undefined).pipe(
                Effect.andThen(Deferred.await(alphaAnswered)),
                Effect.andThen(Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow))
              )
            )
          )
        }
        if (url.hostname === "alpha.example") {
          return Deferred.await(alphaMayAnswer).pipe(Effect.andThen(Deferred.succeed(alphaAnswered, undefined)), Effect.andThen(models))
        }
        return models
      })
      const layer = Providers.layerWith(defaultActorOptions).pipe(
        Layer.provide(SecretsTest),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
      )
      yield* Effect.gen(function*() {
        const providers = yield* Providers
        yield* providers.apply(config([{ id: "beta", host: "beta.example", basePath: "/old" }, { id: "alpha", host: "alpha.example" }]))
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow
        assert.strictEqual(stateName((yield* providers.get("alpha")).state), "connecting")
        // beta changes, alpha does not: alpha's actor keeps running through the reload.
        yield* providers.apply(config([{ id: "beta", host: "beta.example", basePath: "/new" }, { id: "alpha", host: "alpha.example" }]))
        assert.isTrue(yield* Deferred.isDone(alphaAnswered))
        // No refresh, no reconnect: the report made during `apply` is what shows.
        const state = yield* awaitState("alpha", is("connected"))
        assert.deepStrictEqual(state._tag === "Connected" ? state.models : [], ["m-alpha.example"])
        const table = yield* providers.routingTable
        assert.isTrue(table.byQualifiedId.has("alpha/m-alpha.example"))
      }).pipe(Effect.provide(layer), Effect.scoped)
    }))
})
