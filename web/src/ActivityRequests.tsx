/**
 * The latest requests, newest first: when, the route (requested → model via provider), mode,
 * status, time to first token, total time, tokens and cost ("price unknown" when it is). A row
 * opens its details, fetched from `GET /admin/requests/{id}`: every field the ledger keeps.
 */
import { useEffect, useState } from "preact/hooks"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import { countText, durationText, requestCostText, routeText } from "../../src/usage/UsageReport.ts"
import { admin } from "./Api.ts"

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

const timeText = (at: number): string => {
  const date = new Date(at)
  const today = new Date().toDateString() === date.toDateString()
  return today ? date.toLocaleTimeString() : date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" })
}

/** `200`, `429 rate_limit_error`, `client closed`. */
export const statusOf = (row: RequestRecord): { readonly text: string; readonly kind: "ok" | "error" | "closed" } =>
  row.outcome === "client_closed"
    ? { text: "client closed", kind: "closed" }
    : row.outcome === "error"
    ? { text: row.errorClass === null ? String(row.status) : `${row.status} ${row.errorClass}`, kind: "error" }
    : { text: String(row.status), kind: "ok" }

function Details(props: { readonly id: string; readonly columns: number }) {
  const [row, setRow] = useState<RequestRecord | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => {
    admin((api) => api.usage.request({ params: { id: props.id } })).then(setRow, (e: unknown) => setError(messageOf(e)))
  }, [props.id])
  const fields: ReadonlyArray<readonly [string, string]> = row === undefined ? [] : [
    ["Request id", row.id],
    ["Started", new Date(row.startedAt).toLocaleString()],
    ["Requested model", row.requestedModel ?? "–"],
    ["Virtual model", row.virtualModel ?? "–"],
    ["Served by", row.model === null ? "no provider reached" : `${row.model} (${row.upstreamModel ?? "?"} at ${row.provider ?? "?"})`],
    ["API", `${row.inboundFormat} · ${row.path}`],
    ["Mode", `${row.mode ?? "–"}${row.stream ? ", streamed" : ""}`],
    ["Status", statusOf(row).text],
    ["Attempts", String(row.attempts)],
    ["Time to first token", durationText(row.ttftMs)],
    ["Total time", durationText(row.durationMs)],
    ["Input tokens", `${countText(row.tokens.input)} (cached read ${countText(row.tokens.cachedRead)}, cache write ${countText(row.tokens.cacheWrite)})`],
    ["Output tokens", `${countText(row.tokens.output)} (reasoning ${countText(row.tokens.reasoning)})`],
    ["Cost", row.costUsd === null ? "price unknown" : `${requestCostText(row.costUsd)} (price from ${row.priceSource})`],
    ["Gateway key", row.keyId ?? "–"],
    ["Client", row.client ?? "–"]
  ]
  return (
    <tr class="request-details">
      <td colSpan={props.columns}>
        {error !== undefined && <p role="alert" class="bad">Could not load the request: {error}</p>}
        {row === undefined ? error === undefined && <p class="muted">Loading…</p> : (
          <dl aria-label={`Request ${row.id}`}>
            {fields.map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        )}
      </td>
    </tr>
  )
}

const HEADERS = ["Time", "Route", "Mode", "Status", "TTFT", "Total", "Tokens in / out", "Cost"] as const

export function ActivityRequests(props: {
  readonly rows: ReadonlyArray<RequestRecord> | undefined
  /** The search `rows` answer (the box may hold a newer one, not asked yet). */
  readonly searched: string
  readonly search: string
  readonly onSearch: (text: string) => void
}) {
  const [open, setOpen] = useState<string | undefined>()
  const { rows } = props
  return (
    <div class="activity-requests">
      <div class="panel-head">
        <h3 id="recent-requests-title">Recent requests</h3>
        <input
          type="search"
          class="request-search"
          aria-label="Search requests"
          placeholder="Search model, provider, client, error…"
          value={props.search}
          onInput={(event) => props.onSearch(event.currentTarget.value)}
        />
      </div>
      {rows === undefined ? <p class="muted">Loading…</p> : rows.length === 0 ? (
        <p class="muted">{props.searched === "" ? "No requests yet." : `No requests match “${props.searched}”.`}</p>
      ) : (
        <div class="table-scroll">
          <table class="activity-table requests-table" aria-labelledby="recent-requests-title">
            <thead>
              <tr>{HEADERS.map((header) => <th key={header} scope="col">{header}</th>)}</tr>
            </thead>
            <tbody>
              {rows.flatMap((row) => {
                const status = statusOf(row)
                const expanded = open === row.id
                return [
                  <tr key={row.id} class={`request-row${expanded ? " open" : ""}`} data-outcome={row.outcome}>
                    <td class="nowrap">{timeText(row.startedAt)}</td>
                    <td>
                      <button type="button" class="link route" aria-expanded={expanded} onClick={() => setOpen(expanded ? undefined : row.id)}>
                        {routeText(row)}
                      </button>
                    </td>
                    <td class="nowrap">{row.mode ?? "–"}{row.stream && <span class="badge">stream</span>}</td>
                    <td class={`status status-${status.kind}`}>{status.text}</td>
                    <td class="num">{durationText(row.ttftMs)}</td>
                    <td class="num">{durationText(row.durationMs)}</td>
                    <td class="num">{countText(row.tokens.input)} / {countText(row.tokens.output)}</td>
                    <td class={`num cost${row.costUsd === null ? " unknown" : ""}`}>{requestCostText(row.costUsd)}</td>
                  </tr>,
                  ...(expanded ? [<Details key={`${row.id}-details`} id={row.id} columns={HEADERS.length} />] : [])
                ]
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
