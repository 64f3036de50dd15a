/**
 * The ledger's per-key index holds only the rows that have a key. Most requests come without one
 * (on loopback no key is needed), and each of them paid an insert into this index for nothing:
 * measured, about a fifth of a row's write. Questions per key (`key_id = …`) still use it: an
 * equality implies `key_id IS NOT NULL`, in SQLite's planner and in Postgres's.
 */
import { Effect } from "effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP INDEX requests_key_started_at`
  yield* sql`CREATE INDEX requests_key_started_at ON requests (key_id, started_at) WHERE key_id IS NOT NULL`
})
