/**
 * The gateway keys' counters (`BudgetStore.layerSql`): one row per key and window (`minute`,
 * `day`, `month`, starting at `window_start`, Unix ms UTC), counted by conditional upserts so
 * concurrent requests cannot pass a limit together. `reserved_usd` is held by requests not
 * settled yet.
 */
import { Effect } from "effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE key_usage (
    key_id TEXT NOT NULL,
    window_kind TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    tokens BIGINT NOT NULL,
    spent_usd DOUBLE PRECISION NOT NULL,
    reserved_usd DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (key_id, window_kind, window_start)
  )`
})
