/**
 * Stored responses (`store: true` on `POST /v1/responses`): each response the gateway made, with
 * the input items it answered, kept so that `GET /v1/responses/{id}`, its `input_items`, `DELETE`
 * and a later `previous_response_id` can find it.
 *
 * A response belongs to the gateway key that made it: asked for by another key (or by a request
 * without a key, for one made with a key, and the other way round) it is not found, as if it had
 * never been, so one key cannot learn another's ids exist. Kept as long as the ledger's rows
 * (`SWITCHBOARD_RETENTION_DAYS`): past that it is not found either, even before it is deleted.
 *
 * The live layer is `ResponseStoreSql.layerWith` over the gateway's `Database`; `layerMemory` is
 * for tests.
 */
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import { retentionCutoff } from "../usage/LedgerTotals.ts"

/** A JSON object as it was sent or answered: stored and given back as it is. */
export type Json = { readonly [key: string]: unknown }

export interface StoredResponse {
  /** The response's id (`resp_…`). */
  readonly id: string
  /** The gateway key that made it; null when it was made without one (loopback). */
  readonly keyId: string | null
  /** Unix milliseconds. */
  readonly createdAt: number
  /** The input items it answered: the whole conversation sent on, earlier turns included. */
  readonly input: ReadonlyArray<Json>
  /** The ResponseResource, as the caller got it. */
  readonly response: Json
}

/** The store cannot be used now (its database cannot be opened or reached). */
export class ResponseStoreError extends Schema.TaggedError<ResponseStoreError>()("ResponseStoreError", {
  /** What went wrong, safe to show: never a password. */
  message: Schema.String
}) {}

export class ResponseStore extends Context.Service<ResponseStore, {
  /**
   * Keeps a response: one stored again under its id by the same key replaces it; another key's is
   * never replaced (ids of translated answers come from the upstream, and an upstream repeating one
   * must not let one key overwrite what another stored).
   */
  readonly put: (stored: StoredResponse) => Effect.Effect<void, ResponseStoreError>
  /** The response `id` of `keyId`: none when unknown, another key's, or past retention. */
  readonly get: (id: string, keyId: string | null) => Effect.Effect<Option.Option<StoredResponse>, ResponseStoreError>
  /** Deletes the response `id` of `keyId`; whether there was one (another key's is not touched). */
  readonly delete: (id: string, keyId: string | null) => Effect.Effect<boolean, ResponseStoreError>
}>()("switchboard/ResponseStore") {
  /** For tests: responses in a map, answered as the database answers. */
  static readonly layerMemory = (options: { readonly retentionDays?: number } = {}) =>
    Layer.sync(ResponseStore, () => makeMemory(options.retentionDays ?? 90))
}

/** Whether `stored` is visible to a request of `keyId` at `now`: its own key's, and not past retention. */
export const visible = (
  stored: Pick<StoredResponse, "keyId" | "createdAt">,
  keyId: string | null,
  now: number,
  retentionDays: number
): boolean => {
  const cutoff = retentionCutoff(now, retentionDays)
  return stored.keyId === keyId && (cutoff === undefined || stored.createdAt >= cutoff)
}

const makeMemory = (retentionDays: number): ResponseStore["Service"] => {
  const responses = new Map<string, StoredResponse>()
  const find = (id: string, keyId: string | null) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const stored = responses.get(id)
      return stored !== undefined && visible(stored, keyId, now, retentionDays) ? Option.some(stored) : Option.none()
    })
  return {
    put: (stored) =>
      Effect.sync(() => {
        const before = responses.get(stored.id)
        if (before === undefined || before.keyId === stored.keyId) responses.set(stored.id, stored)
      }),
    get: find,
    delete: (id, keyId) =>
      Effect.map(find(id, keyId), (found) => Option.isSome(found) && responses.delete(id))
  }
}
