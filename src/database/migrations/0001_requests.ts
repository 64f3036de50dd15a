/**
 * The usage ledger's table: one row per request (`RequestRecord`, src/usage/RequestRecord.ts),
 * written by `LedgerSql`. SQL both dialects read the same way: times are Unix milliseconds in a
 * BIGINT (no time zones to disagree on), token counts nullable integers and the cost a nullable
 * double, so "not reported" and "unknown price" stay NULL rather than 0; `stream` is 0/1.
 */
import { Effect } from "effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    key_id TEXT,
    client TEXT,
    inbound_format TEXT NOT NULL,
    path TEXT NOT NULL,
    requested_model TEXT,
    virtual_model TEXT,
    provider TEXT,
    model TEXT,
    upstream_model TEXT,
    mode TEXT,
    stream SMALLINT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error_class TEXT,
    attempts INTEGER NOT NULL,
    ttft_ms DOUBLE PRECISION,
    duration_ms DOUBLE PRECISION NOT NULL,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cached_read_tokens BIGINT,
    cache_write_tokens BIGINT,
    reasoning_tokens BIGINT,
    cost_usd DOUBLE PRECISION,
    price_source TEXT NOT NULL
  )`
  // Every question is over a time window (newest first, retention, totals since …), some per key.
  yield* sql`CREATE INDEX requests_started_at ON requests (started_at)`
  yield* sql`CREATE INDEX requests_key_started_at ON requests (key_id, started_at)`
})
