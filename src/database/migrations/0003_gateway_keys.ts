/**
 * The gateway keys, when they live in the database (Postgres: several instances share one set,
 * `GatewayKeys.layerSql`): only hashes, never keys, and each key's limits as JSON text.
 */
import { Effect } from "effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE gateway_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    limits TEXT
  )`
})
