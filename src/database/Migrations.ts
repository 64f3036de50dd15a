/**
 * The database's migrations, in order: one file per migration in `migrations/`, named
 * `NNNN_name.ts` (the number is its order and its id in the `switchboard_migrations` table), each
 * a default-exported Effect over `SqlClient` in SQL that SQLite and Postgres both accept (or split
 * with `sql.onDialectOrElse` where they differ). A migration, once released, is never edited: a
 * change is a new one. Run by `Database.ready` (src/database/Database.ts).
 */
import * as Migrator from "effect/sql/Migrator"
import requests from "./migrations/0001_requests.ts"
import keyUsage from "./migrations/0002_key_usage.ts"
import gatewayKeys from "./migrations/0003_gateway_keys.ts"
import keyIndexPartial from "./migrations/0004_requests_key_index_partial.ts"
import storedResponses from "./migrations/0005_stored_responses.ts"

/** Where the applied migrations are recorded. */
export const table = "switchboard_migrations"

export const loader: Migrator.Loader = Migrator.fromRecord({
  "0001_requests": requests,
  "0002_key_usage": keyUsage,
  "0003_gateway_keys": gatewayKeys,
  "0004_requests_key_index_partial": keyIndexPartial,
  "0005_stored_responses": storedResponses
})
