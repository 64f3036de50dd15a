/**
 * `GET /v1/responses/{id}/input_items`: a stored response's input items as the Responses API's
 * list (`{object: "list", data, first_id, last_id, has_more}`), a page of at most `limit` items
 * (1–100, default 20) in `order` (`desc`, the default, newest first; or `asc`), after the item
 * `after` in that order.
 *
 * Input items a client sent without an `id` are given one here, from the response's id and the
 * item's place (`<response id>_in_<n>`): stable, so `after` pages through them, and never stored
 * into the conversation sent on.
 */
import { Schema } from "effect"
import type { Json } from "./ResponseStore.ts"

export const InputItemsQuery = Schema.Struct({
  limit: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 100 }))),
  order: Schema.optionalKey(Schema.Literals(["asc", "desc"])),
  after: Schema.optionalKey(Schema.String)
})
export type InputItemsQuery = typeof InputItemsQuery.Type

interface InputItemsList {
  readonly object: "list"
  readonly data: ReadonlyArray<Json>
  readonly first_id: string | null
  readonly last_id: string | null
  readonly has_more: boolean
}

/** The items with ids: their own, or one from the response's id and their place. */
const withIds = (responseId: string, items: ReadonlyArray<Json>): ReadonlyArray<Json> =>
  items.map((item, index) => typeof item["id"] === "string" ? item : { id: `${responseId}_in_${index}`, ...item })

/** One page of the list (an `after` that is no item's id starts at the beginning, as an unknown cursor finds nothing before it). */
export const page = (responseId: string, items: ReadonlyArray<Json>, query: InputItemsQuery): InputItemsList => {
  const ordered = withIds(responseId, items)
  const sorted = query.order === "asc" ? ordered : [...ordered].reverse()
  const start = query.after === undefined ? 0 : sorted.findIndex((item) => item["id"] === query.after) + 1
  const limit = query.limit ?? 20
  const data = sorted.slice(start, start + limit)
  const idOf = (item: Json | undefined) => item === undefined ? null : item["id"] as string
  return { object: "list", data, first_id: idOf(data[0]), last_id: idOf(data.at(-1)), has_more: start + limit < sorted.length }
}
