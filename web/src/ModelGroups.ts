/**
 * The chat's model picker groups: models under their provider's name, in the server's order, with
 * Switchboard's local models (provider id `local`) in their own group first.
 */
import type { Model } from "./Wire.ts"

/** The provider id of Switchboard's local models (llama.cpp, MLX). */
const LOCAL_PROVIDER = "local"

export interface ModelGroup {
  /** The provider id (names need not be unique). */
  readonly provider: string
  readonly label: string
  readonly models: ReadonlyArray<Model>
}

/** Models by provider, in the server's order; the local group first. */
export const groupModels = (models: ReadonlyArray<Model>): ReadonlyArray<ModelGroup> => {
  const groups = new Map<string, { provider: string; label: string; models: Array<Model> }>()
  for (const model of models) {
    const group = groups.get(model.provider) ?? { provider: model.provider, label: model.provider === LOCAL_PROVIDER ? "Local models" : model.owned_by, models: [] }
    group.models.push(model)
    groups.set(model.provider, group)
  }
  const local = groups.get(LOCAL_PROVIDER)
  return [...(local === undefined ? [] : [local]), ...Array.from(groups).filter(([id]) => id !== LOCAL_PROVIDER).map(([, g]) => g)]
}
