/**
 * Adding, replacing and removing virtual models in remote.json (admin API, CLI): each change is
 * one `ConfigStore.update` (atomic, locked, never over a broken file), and an entry is refused —
 * with the field at fault named — when it does not decode, has keys this version does not know, or
 * makes a loop with the other entries. The entries of the file are kept as written otherwise.
 */
import { Effect, Option, Result, Schema } from "effect"
import { compileVirtualModels, problemOf } from "../router/VirtualModels.ts"
import { ConfigStore } from "./ConfigStore.ts"
import type { RemoteConfig } from "./RemoteConfig.ts"
import { decodeVirtualModel, type VirtualModelConfig } from "./VirtualModelConfig.ts"

export class InvalidVirtualModel extends Schema.TaggedError<InvalidVirtualModel>()("InvalidVirtualModel", {
  message: Schema.String,
  field: Schema.optionalKey(Schema.String)
}) {}

export class UnknownVirtualModel extends Schema.TaggedError<UnknownVirtualModel>()("UnknownVirtualModel", {
  name: Schema.String
}) {
  override get message() {
    return `no virtual model is called ${this.name}`
  }
}

const nameOf = (entry: unknown): string | undefined =>
  typeof entry === "object" && entry !== null && "name" in entry && typeof entry.name === "string" ? entry.name : undefined

/** The entries of `config` with `entry` in place of the one of its name (or appended). */
const withEntry = (config: RemoteConfig, entry: VirtualModelConfig): ReadonlyArray<unknown> => {
  const entries = config.virtualModels ?? []
  const at = entries.findIndex((one) => nameOf(one) === entry.name)
  return at === -1 ? [...entries, entry] : entries.map((one, i) => i === at ? entry : one)
}

/** Creates or replaces the virtual model `name` with `body` (the entry but its name). */
export const putVirtualModel = (name: string, body: unknown) =>
  Effect.gen(function*() {
    const decoded = decodeVirtualModel({ ...(typeof body === "object" && body !== null ? body : {}), name }, { unknownKeys: "refuse" })
    if (Result.isFailure(decoded)) {
      return yield* new InvalidVirtualModel({ message: decoded.failure.message, ...(decoded.failure.field === undefined ? {} : { field: decoded.failure.field }) })
    }
    const entry = decoded.success
    const store = yield* ConfigStore
    return yield* store.update((config) => {
      const entries = withEntry(config, entry)
      const problem = problemOf(name, compileVirtualModels(entries))
      if (problem !== undefined) {
        return Effect.fail(new InvalidVirtualModel({ message: `virtual model "${name}": ${problem.reason}`, ...(problem.field === null ? {} : { field: problem.field }) }))
      }
      return Effect.succeed({ ...config, virtualModels: entries })
    })
  })

const decodeJsonObject = Schema.decodeUnknownOption(Schema.JsonObject)

/**
 * The entry called `name` as remote.json has it, valid or not: what an edit starts from (the
 * listings show targets expanded and leave broken entries out).
 */
export const virtualModelEntry = (name: string) =>
  Effect.gen(function*() {
    const config = yield* (yield* ConfigStore).load
    // Parsed from JSON, so it is JSON; the decode only says so to the type checker.
    const entry = Option.flatMap(
      Option.fromNullishOr((config.virtualModels ?? []).find((one) => nameOf(one) === name)),
      decodeJsonObject
    )
    if (Option.isNone(entry)) return yield* new UnknownVirtualModel({ name })
    return entry.value
  })

export const removeVirtualModel = (name: string) =>
  Effect.gen(function*() {
    const store = yield* ConfigStore
    return yield* store.update((config) => {
      const entries = config.virtualModels ?? []
      if (!entries.some((one) => nameOf(one) === name)) return Effect.fail(new UnknownVirtualModel({ name }))
      return Effect.succeed({ ...config, virtualModels: entries.filter((one) => nameOf(one) !== name) })
    })
  })
