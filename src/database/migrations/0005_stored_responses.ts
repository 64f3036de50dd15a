/**
 * Stored responses (`store: true`, `ResponseStoreSql`): a response and the input items it answered,
 * each as JSON text (both dialects read TEXT alike; nothing queries inside them), owned by the
 * gateway key that made it (NULL: no key, on loopback). `created_at` in Unix milliseconds, indexed
 * for retention's deletes.
 */
import { Effect } from "effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE stored_responses (
    id TEXT PRIMARY KEY,
    key_id TEXT,
    created_at BIGINT NOT NULL,
    input TEXT NOT NULL,
    response TEXT NOT NULL
  )`
  yield* sql`CREATE INDEX stored_responses_created_at ON stored_responses (created_at)`
})
