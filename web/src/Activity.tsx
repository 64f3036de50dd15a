/**
 * Activity: what went through the gateway over a window (1 h, 24 h, 7 d, 30 d) — totals, tokens
 * and cost over time (hour buckets up to two days, day buckets beyond), latency (p50/p95, time to
 * first token) and error rate per model, and the latest requests, searchable, each opening its
 * details. All from the usage ledger through the admin API (`/admin/usage`, `/admin/requests`).
 *
 * Requests are recorded as they end, without an event to the page, so it asks again every few
 * seconds while visible (and at once when shown again), as the virtual models do.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { UsageReport } from "../../src/admin/AdminApi.ts"
import type { RequestRecord } from "../../src/usage/RequestRecord.ts"
import { costText, countText, dollars, durationText } from "../../src/usage/UsageReport.ts"
import { admin } from "./Api.ts"
import { ActivityChart } from "./ActivityChart.tsx"
import { bucketOf, chartSeries, errorRateText, WINDOWS, type WindowChoice } from "./ActivityData.ts"
import { ActivityRequests } from "./ActivityRequests.tsx"

const POLL_MS = 4_000
/** Typing settles before the search goes out. */
const SEARCH_DELAY_MS = 250
const REQUESTS_SHOWN = 50

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

interface Snapshot {
  readonly since: WindowChoice
  readonly overTime: UsageReport
  readonly byModel: UsageReport
  readonly requests: ReadonlyArray<RequestRecord>
  /** The search the requests answer. */
  readonly query: string
}

function Totals(props: { readonly report: UsageReport }) {
  const { totals } = props.report
  const items: ReadonlyArray<readonly [string, string, string?]> = [
    ["Requests", countText(totals.requests)],
    ["Errors", `${countText(totals.errors)} (${errorRateText(totals.errors, totals.requests)})`, totals.errors > 0 ? "bad" : undefined],
    ["Input tokens", countText(totals.tokens.input)],
    ["Output tokens", countText(totals.tokens.output)],
    ["Cached read", countText(totals.tokens.cachedRead)],
    // A lower bound says so on its own line, to keep the figure short.
    ["Cost", totals.unpriced > 0 && totals.unpriced < totals.requests ? `≥ ${dollars(totals.costUsd)}` : costText(totals), totals.unpriced > 0 ? "unknown" : undefined]
  ]
  return (
    <dl class="activity-totals" aria-label="Totals">
      {items.map(([name, value, kind]) => (
        <div key={name} class={kind}>
          <dt>{name}</dt>
          <dd>{value}</dd>
          {name === "Cost" && totals.unpriced > 0 && totals.unpriced < totals.requests && (
            <dd class="note">{totals.unpriced} {totals.unpriced === 1 ? "request" : "requests"} of unknown price</dd>
          )}
        </div>
      ))}
    </dl>
  )
}

function ModelTable(props: { readonly report: UsageReport }) {
  return (
    <div class="table-scroll">
      <table class="activity-table models-table" aria-labelledby="per-model-title">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" class="num">Requests</th>
            <th scope="col" class="num">Error rate</th>
            <th scope="col" class="num">p50</th>
            <th scope="col" class="num">p95</th>
            <th scope="col" class="num">TTFT p50</th>
            <th scope="col" class="num">Tokens in / out</th>
            <th scope="col" class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {props.report.groups.map((group) => (
            <tr key={group.group ?? ""} aria-label={group.group ?? "no provider reached"}>
              <td class={group.group === null ? "muted" : "model-id"}>{group.group ?? "(no provider reached)"}</td>
              <td class="num">{countText(group.requests)}</td>
              <td class={`num${group.errors > 0 ? " bad" : ""}`}>{errorRateText(group.errors, group.requests)}</td>
              <td class="num">{durationText(group.p50Ms)}</td>
              <td class="num">{durationText(group.p95Ms)}</td>
              <td class="num">{durationText(group.ttftP50Ms)}</td>
              <td class="num">{countText(group.tokens.input)} / {countText(group.tokens.output)}</td>
              <td class={`num cost${group.unpriced > 0 ? " unknown" : ""}`}>{costText(group)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function Activity() {
  const [since, setSince] = useState<WindowChoice>("24h")
  const [search, setSearch] = useState("")
  const [query, setQuery] = useState("")
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>()
  const [loadError, setLoadError] = useState<string | undefined>()
  const bucket = bucketOf(since, Date.now())
  // Only the newest fetch counts: answers to earlier ones may arrive after it.
  const fetches = useRef(0)
  // Whether the newest fetch is still out: a poll then waits for it (slow answers, a 30-day window
  // on a big ledger, would otherwise each be overtaken by the next poll and never shown).
  const pending = useRef(false)
  const current = useRef({ since, query })
  current.current = { since, query }

  const refetch = () => {
    const fetch = ++fetches.current
    pending.current = true
    const { since, query } = current.current
    const by = bucketOf(since, Date.now())
    Promise.all([
      admin((api) => api.usage.totals({ query: { since, by } })),
      admin((api) => api.usage.totals({ query: { since, by: "model" } })),
      admin((api) => api.usage.requests({ query: { limit: String(REQUESTS_SHOWN), ...(query === "" ? {} : { search: query }) } }))
    ]).then(([overTime, byModel, requests]) => {
      if (fetch !== fetches.current) return
      pending.current = false
      setSnapshot({ since, overTime, byModel, requests: requests.data, query })
      setLoadError(undefined)
    }, (e: unknown) => {
      if (fetch !== fetches.current) return
      pending.current = false
      setLoadError(messageOf(e))
    })
  }

  useEffect(refetch, [since, query])
  useEffect(() => {
    const timer = setTimeout(() => setQuery(search.trim()), SEARCH_DELAY_MS)
    return () => clearTimeout(timer)
  }, [search])
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && !pending.current) refetch()
    }, POLL_MS)
    const shown = () => {
      if (document.visibilityState === "visible") refetch()
    }
    document.addEventListener("visibilitychange", shown)
    return () => {
      clearInterval(timer)
      document.removeEventListener("visibilitychange", shown)
    }
  }, [])

  // The window's figures belong to the window asked for; an answer for another one is not shown under it.
  const shown = snapshot !== undefined && snapshot.since === since ? snapshot : undefined
  const empty = shown !== undefined && shown.overTime.totals.requests === 0

  return (
    <section class="panel activity" aria-labelledby="activity-title">
      <div class="panel-head">
        <h2 id="activity-title">Activity</h2>
        <div class="window-picker" role="group" aria-label="Time window">
          {WINDOWS.map((choice) => (
            <button key={choice.since} type="button" aria-pressed={since === choice.since} onClick={() => setSince(choice.since)}>
              {choice.label}
            </button>
          ))}
        </div>
      </div>
      {loadError !== undefined && <p role="alert" class="bad">Could not read the usage ledger: {loadError}</p>}
      {shown === undefined ? loadError === undefined && <p class="muted">Loading…</p> : empty ? (
        <div class="activity-empty">
          <p><strong>No requests in this window.</strong></p>
          <p class="muted">
            Point a client at <code>{location.origin}/v1</code> (or chat here): every request is recorded with its route, timings, tokens and cost.
          </p>
        </div>
      ) : (
        <>
          <Totals report={shown.overTime} />
          <h3 class="activity-subhead">Tokens and cost per {bucket}</h3>
          <ActivityChart series={chartSeries(shown.overTime, bucket)} bucket={bucket} />
          <h3 class="activity-subhead" id="per-model-title">Per model</h3>
          <ModelTable report={shown.byModel} />
        </>
      )}
      <ActivityRequests rows={snapshot?.requests} searched={snapshot?.query ?? ""} search={search} onSearch={setSearch} />
    </section>
  )
}
