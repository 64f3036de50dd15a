/**
 * The chat's model picker groups: virtual models (remote.json `virtualModels`, no provider) first,
 * then Switchboard's local models (provider id `local`), then models under their provider's name,
 * in the server's order.
 */
import type { Model } from "./Wire.ts"

/** The provider id of Switchboard's local models (llama.cpp, MLX). */
const LOCAL_PROVIDER = "local"

export interface ModelGroup {
  /** The provider id (names need not be unique), or `null` for the virtual models. */
  readonly provider: string | null
  readonly label: string
  readonly models: ReadonlyArray<Model>
}

const labelOf = (model: Model): string =>
  model.provider === null ? "Virtual models" : model.provider === LOCAL_PROVIDER ? "Local models" : model.owned_by

/** Where a group goes: virtual models, then local ones, then the rest in the server's order. */
const rank = (provider: string | null): number => provider === null ? 0 : provider === LOCAL_PROVIDER ? 1 : 2

/** Models by provider, in the server's order; the virtual group first, then the local one. */
export const groupModels = (models: ReadonlyArray<Model>): ReadonlyArray<ModelGroup> => {
  const groups = new Map<string | null, { provider: string | null; label: string; models: Array<Model> }>()
  for (const model of models) {
    const group = groups.get(model.provider) ?? { provider: model.provider, label: labelOf(model), models: [] }
    group.models.push(model)
    groups.set(model.provider, group)
  }
  // A stable sort: groups of the same rank keep the server's order.
  return Array.from(groups.values()).sort((a, b) => rank(a.provider) - rank(b.provider))
}

/** How the picker names a model: its provider's own id under the provider's group, a virtual model by its name. */
export const modelLabel = (model: Model): string => model.upstream_id ?? model.id
