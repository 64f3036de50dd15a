/**
 * The virtual-model operations of the CLI, whoever carries them out: a running Switchboard through
 * its admin API (the change applies at once; the listing shows each target's live state and
 * circuit breaker), or remote.json directly when no server runs. Both end in `VirtualModelCatalog`,
 * so they refuse the same entries; `choose` picks one per command, as for providers.
 */
import { Effect, Option } from "effect"
import { NotFound, type TargetStatus, type VirtualModelBody, type VirtualModelStatus } from "../admin/AdminApi.ts"
import { ConfigStore } from "../config/ConfigStore.ts"
import { putVirtualModel, removeVirtualModel, virtualModelEntry } from "../config/VirtualModelCatalog.ts"
import type { Condition, Defaults, Strategy } from "../config/VirtualModelConfig.ts"
import { compileVirtualModels, type TargetList, type VirtualModel } from "../router/VirtualModels.ts"
import { type AdminClient, findServer } from "./AdminClient.ts"
import { toFailure } from "./LocalProviders.ts"
import type { CliFailure } from "./Operation.ts"

/** One target as routing uses it (a target naming another virtual model appears expanded). */
export interface TargetRow {
  readonly model: string
  readonly weight: number
  /** What the running server knows of it now; undefined without a server. */
  readonly live: TargetStatus | undefined
}

/** The default target list (`rule` undefined) or a rule's. */
export interface RouteRow {
  readonly rule: { readonly name: string; readonly when: Condition } | undefined
  readonly targets: ReadonlyArray<TargetRow>
}

export interface VirtualModelRow {
  readonly name: string
  readonly strategy: Strategy
  readonly system: string | null
  readonly defaults: Defaults | null
  readonly routes: ReadonlyArray<RouteRow>
}

export interface VirtualModelListing {
  readonly rows: ReadonlyArray<VirtualModelRow>
  /** Entries left out, each with the field at fault. */
  readonly problems: ReadonlyArray<string>
  /** Virtual names that hide a provider's bare model id (only a server knows the models). */
  readonly warnings: ReadonlyArray<string>
}

export interface VirtualModelBackend {
  /** Whether a server answers: target states are live. */
  readonly running: boolean
  /** The server's URL (probed even when none answers, to say where none was found). */
  readonly url: string
  readonly list: Effect.Effect<VirtualModelListing, CliFailure>
  /** The entry as remote.json has it (valid or not), if there is one of that name. */
  readonly entry: (name: string) => Effect.Effect<Option.Option<Readonly<Record<string, unknown>>>, CliFailure>
  /** Creates or replaces the entry; returns notes on targets nothing serves now (server only). */
  readonly put: (name: string, body: VirtualModelBody) => Effect.Effect<ReadonlyArray<string>, CliFailure>
  readonly remove: (name: string) => Effect.Effect<void, CliFailure>
}

const statusRow = (status: VirtualModelStatus): VirtualModelRow => {
  const targets = (list: ReadonlyArray<TargetStatus>) => list.map((live): TargetRow => ({ model: live.model, weight: live.weight, live }))
  return {
    name: status.id,
    strategy: status.strategy,
    system: status.system,
    defaults: status.defaults,
    routes: [
      { rule: undefined, targets: targets(status.targets) },
      ...status.rules.map((rule): RouteRow => ({ rule: { name: rule.name, when: rule.when }, targets: targets(rule.targets) }))
    ]
  }
}

/** Targets of the entry just saved that no provider serves now: most likely a typo, or a provider still connecting. */
const unservedNotes = (status: VirtualModelStatus): ReadonlyArray<string> => {
  const all = [...status.targets, ...status.rules.flatMap((rule) => rule.targets)]
  const unserved = Array.from(new Set(all.filter((target) => target.serves === null).map((target) => target.model)))
  return unserved.map((model) => `note: no provider serves ${model} now: requests skip it until one does`)
}

const remote = (client: AdminClient): VirtualModelBackend => ({
  running: true,
  url: client.url,
  list: client.api((api) =>
    Effect.map(api.virtualModels.list(), (list) => ({ rows: list.data.map(statusRow), problems: list.problems.map((problem) => problem.message), warnings: list.warnings }))
  ),
  entry: (name) =>
    client.api((api) =>
      api.virtualModels.entry({ params: { name } }).pipe(
        Effect.map((entry) => Option.some(entry)),
        // Only the API's own "no such virtual model": any other 404 (an older server) is a failure.
        Effect.catch((error) =>
          error instanceof NotFound && error.error.code === "virtual_model_not_found" ? Effect.succeedNone : Effect.fail(error)
        )
      )
    ),
  put: (name, body) => client.api((api) => Effect.map(api.virtualModels.put({ params: { name }, payload: body }), unservedNotes)),
  remove: (name) => client.api((api) => Effect.asVoid(api.virtualModels.remove({ params: { name } })))
})

const localRow = (model: VirtualModel): VirtualModelRow => {
  const targets = (list: TargetList) => list.targets.map((target): TargetRow => ({ model: target.model, weight: target.weight, live: undefined }))
  return {
    name: model.name,
    strategy: model.list.strategy,
    system: model.system ?? null,
    defaults: model.defaults ?? null,
    routes: [
      { rule: undefined, targets: targets(model.list) },
      ...model.rules.map((rule): RouteRow => ({ rule: { name: rule.name, when: rule.when }, targets: targets(rule.list) }))
    ]
  }
}

const local = (url: string) =>
  Effect.map(ConfigStore, (store): VirtualModelBackend => ({
    running: false,
    url,
    // Compiled as a server would, so the listing shows what it would run and what it would leave out.
    list: Effect.map(store.inspect, (report) => {
      const compiled = compileVirtualModels(report.config.virtualModels)
      return {
        rows: Array.from(compiled.models.values(), localRow),
        problems: [...(report.error === null ? [] : [`${store.path}: ${report.error.message}`]), ...compiled.problems.map((problem) => problem.message)],
        warnings: []
      }
    }),
    entry: (name) =>
      virtualModelEntry(name).pipe(
        Effect.map(Option.some),
        Effect.catchTag("UnknownVirtualModel", () => Effect.succeedNone),
        Effect.mapError(toFailure),
        Effect.provideService(ConfigStore, store)
      ),
    put: (name, body) => putVirtualModel(name, body).pipe(Effect.as([]), Effect.mapError(toFailure), Effect.provideService(ConfigStore, store)),
    remove: (name) => Effect.asVoid(removeVirtualModel(name)).pipe(Effect.mapError(toFailure), Effect.provideService(ConfigStore, store))
  }))

/** The running server (`--url`, or the default one if it answers), else remote.json; see `findServer`. */
export const choose = (url: Option.Option<string>) =>
  Effect.flatMap(findServer(url), (server) => Option.isSome(server.client) ? Effect.succeed(remote(server.client.value)) : local(server.url))
