/**
 * `switchboard usage [--since 24h] [--until …] [--by model] [--key id] [--json]`: what the requests
 * of a window used and cost, grouped, with totals; `switchboard usage requests` lists the latest
 * requests, `switchboard usage request <id>` shows one. All through a running server's admin API
 * (`GET /admin/usage`, `/admin/requests[/{id}]`): the ledger is the server's, so with none running
 * the command says so. `--json` prints the API's answer as it is.
 *
 * A cost that holds requests of unknown price reads "≥ $x.xx (n unpriced)", and one of unknown
 * price only "price unknown": never $0 (src/usage/UsageReport.ts).
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { RequestList, UsageReport } from "../admin/AdminApi.ts"
import { GroupBy } from "../usage/Ledger.ts"
import type { RequestRecord } from "../usage/RequestRecord.ts"
import { costText, countText, durationText, requestCostText, routeText } from "../usage/UsageReport.ts"
import { DEFAULT_SINCE, MAX_LIMIT } from "../usage/UsageWindow.ts"
import { type AdminClient, findServer } from "./AdminClient.ts"
import { CliFailure, operation } from "./Operation.ts"
import { type Cell, colourEnabled, renderTable } from "./Table.ts"

const urlFlag = Flag.String("url").pipe(
  Flag.withDescription("The Switchboard server to ask (default http://127.0.0.1:$SWITCHBOARD_PORT, port 1337)"),
  Flag.optional
)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print the admin API's JSON answer instead of a table"), Flag.withDefault(false))
const keyFlag = Flag.String("key").pipe(Flag.withDescription("Only the requests made with this gateway key (its id, as `keys list` shows it)"), Flag.optional)

/** The running server's admin client; the ledger lives there, so without one there is nothing to ask. */
const server = (url: Option.Option<string>): Effect.Effect<AdminClient, CliFailure> =>
  Effect.flatMap(findServer(url), ({ client, url }) =>
    Option.match(client, {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.fail(new CliFailure({ message: `Switchboard is not running (no server at ${url}): usage is kept by the server; start it with \`switchboard serve\`` }))
    }))

const optional = <K extends string>(key: K, value: Option.Option<string>) =>
  Option.match(value, { onNone: () => ({}), onSome: (v) => ({ [key]: v }) as { readonly [P in K]: string } })

// --- Formatting (pure) ---------------------------------------------------------------------------

const pad2 = (n: number) => String(n).padStart(2, "0")
/** `2026-12-06 14:30` in the machine's time zone. */
const localMinute = (at: number): string => {
  const d = new Date(at)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`
}
const localSecond = (at: number): string => {
  const d = new Date(at)
  return `${localMinute(at)}:${pad2(d.getSeconds())}`
}

/** A group's name; null is what has none (no gateway key, no provider reached). */
const groupName = (group: string | null, by: GroupBy): string =>
  group !== null ? group : by === "key" ? "(no key)" : by === "provider" || by === "model" ? "(no provider reached)" : "(none)"

/** Numbers right-aligned in their column, as people compare them. */
const alignRight = (rows: ReadonlyArray<ReadonlyArray<Cell>>, headers: ReadonlyArray<string>, columns: ReadonlySet<number>) => {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]?.text.length ?? 0)))
  return rows.map((row) => row.map((cell, i) => columns.has(i) ? { ...cell, text: cell.text.padStart(widths[i]!) } : cell))
}

const BY_HEADER: Readonly<Record<GroupBy, string>> = {
  model: "MODEL",
  provider: "PROVIDER",
  key: "KEY",
  day: "DAY (UTC)",
  hour: "HOUR (UTC)",
  client: "CLIENT",
  inbound_format: "API"
}

/** The window in words: `2026-12-05 14:30 → 2026-12-06 14:30`. */
const windowText = (report: UsageReport): string => `${localMinute(Date.parse(report.since))} → ${localMinute(Date.parse(report.until))}`

/** The usage table: one line per group, then the totals. */
const usageTable = (report: UsageReport, colour: boolean): string => {
  const headers = [BY_HEADER[report.by], "REQUESTS", "ERRORS", "INPUT", "OUTPUT", "CACHED", "REASONING", "P50", "P95", "COST"]
  const line = (name: Cell, figures: UsageReport["totals"]): Array<Cell> => [
    name,
    { text: countText(figures.requests) },
    { text: countText(figures.errors), colour: figures.errors > 0 ? "red" : undefined },
    { text: countText(figures.tokens.input) },
    { text: countText(figures.tokens.output) },
    { text: countText(figures.tokens.cachedRead) },
    { text: countText(figures.tokens.reasoning) },
    { text: durationText(figures.p50Ms) },
    { text: durationText(figures.p95Ms) },
    { text: costText(figures), colour: figures.unpriced > 0 ? "gray" : undefined }
  ]
  const rows = [
    ...report.groups.map((group) => line({ text: groupName(group.group, report.by), colour: group.group === null ? "gray" : undefined }, group)),
    line({ text: "TOTAL", colour: "bold" }, report.totals)
  ]
  return renderTable(headers, alignRight(rows, headers, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9])), colour)
}

/** `200`, `429 rate_limit_error`, `client closed (200)`. */
export const statusText = (row: RequestRecord): Cell =>
  row.outcome === "client_closed"
    ? { text: `client closed (${row.status})`, colour: "gray" }
    : row.outcome === "error"
    ? { text: row.errorClass === null ? String(row.status) : `${row.status} ${row.errorClass}`, colour: "red" }
    : { text: String(row.status), colour: "green" }

const tokensText = (row: RequestRecord) => `${countText(row.tokens.input)} / ${countText(row.tokens.output)}`

const requestsTable = (rows: ReadonlyArray<RequestRecord>, colour: boolean): string => {
  const headers = ["TIME", "ID", "ROUTE", "MODE", "STATUS", "TTFT", "TOTAL", "IN / OUT", "COST"]
  const lines = rows.map((row): Array<Cell> => [
    { text: localSecond(row.startedAt) },
    { text: row.id, colour: "gray" },
    { text: routeText(row) },
    { text: `${row.mode ?? "–"}${row.stream ? ", stream" : ""}` },
    statusText(row),
    { text: durationText(row.ttftMs) },
    { text: durationText(row.durationMs) },
    { text: tokensText(row) },
    { text: requestCostText(row.costUsd), colour: row.costUsd === null ? "gray" : undefined }
  ])
  return renderTable(headers, alignRight(lines, headers, new Set([5, 6, 7, 8])), colour)
}

/** One request, a field a line. */
const requestDetails = (row: RequestRecord): string => {
  const fields: Array<readonly [string, string]> = [
    ["id", row.id],
    ["started", localSecond(row.startedAt)],
    ["route", routeText(row)],
    ["requested model", row.requestedModel ?? "–"],
    ["virtual model", row.virtualModel ?? "–"],
    ["upstream model", row.upstreamModel ?? "–"],
    ["api", `${row.inboundFormat} (${row.path})`],
    ["mode", `${row.mode ?? "–"}${row.stream ? ", streamed" : ""}`],
    ["status", statusText(row).text],
    ["attempts", String(row.attempts)],
    ["time to first token", durationText(row.ttftMs)],
    ["total time", durationText(row.durationMs)],
    ["tokens in", countText(row.tokens.input)],
    ["  cached read", countText(row.tokens.cachedRead)],
    ["  cache write", countText(row.tokens.cacheWrite)],
    ["tokens out", countText(row.tokens.output)],
    ["  reasoning", countText(row.tokens.reasoning)],
    ["cost", row.costUsd === null ? "price unknown" : `${requestCostText(row.costUsd)} (price from ${row.priceSource})`],
    ["gateway key", row.keyId ?? "–"],
    ["client", row.client ?? "–"]
  ]
  const width = Math.max(...fields.map(([name]) => name.length))
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width + 1)} ${value}`).join("\n")
}

const json = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

// --- Commands ------------------------------------------------------------------------------------

const totals = Command.make("usage", {
  since: Flag.String("since").pipe(
    Flag.withDescription(`Start of the window: 30m, 24h, 7d, 2w back from now, a date (2026-12-01, UTC) or an ISO time (default ${DEFAULT_SINCE})`),
    Flag.optional
  ),
  until: Flag.String("until").pipe(Flag.withDescription("End of the window, written as --since (default now)"), Flag.optional),
  by: Flag.Literals("by", GroupBy.literals).pipe(Flag.withDescription("What to group by (default model; day and hour are UTC)"), Flag.optional),
  key: keyFlag,
  json: jsonFlag,
  url: urlFlag
}, (flags) =>
  operation(Effect.gen(function*() {
    const client = yield* server(flags.url)
    const report = yield* client.api((api) =>
      api.usage.totals({ query: { ...optional("since", flags.since), ...optional("until", flags.until), ...optional("by", flags.by), ...optional("key", flags.key) } })
    )
    if (flags.json) return yield* json(report)
    const keyText = report.keyId === null ? "" : `, gateway key ${report.keyId}`
    if (report.totals.requests === 0) return yield* Console.log(`no requests from ${windowText(report)}${keyText}`)
    yield* Console.log(`Usage by ${report.by}, ${windowText(report)}${keyText}\n`)
    yield* Console.log(usageTable(report, yield* colourEnabled))
    if (report.groups.length > 1) yield* Console.log(`\nP50/P95: time per request, per group (percentiles do not add up into a total)`)
  })))

const requests = Command.make("requests", {
  limit: Flag.Int("limit").pipe(Flag.withDescription(`How many, newest first (1 to ${MAX_LIMIT}, default 20)`), Flag.withDefault(20)),
  search: Flag.String("search").pipe(
    Flag.withDescription("Only requests whose id, model, requested or virtual model, provider, client or error class holds this text"),
    Flag.optional
  ),
  key: keyFlag,
  json: jsonFlag,
  url: urlFlag
}, (flags) =>
  operation(Effect.gen(function*() {
    const client = yield* server(flags.url)
    const list: RequestList = yield* client.api((api) =>
      api.usage.requests({ query: { limit: String(flags.limit), ...optional("search", flags.search), ...optional("key", flags.key) } })
    )
    if (flags.json) return yield* json(list)
    if (list.data.length === 0) return yield* Console.log(Option.isSome(flags.search) ? `no requests match "${flags.search.value}"` : "no requests yet")
    yield* Console.log(requestsTable(list.data, yield* colourEnabled))
  }))).pipe(Command.withDescription("The latest requests: route, mode, status, time to first token, total time, tokens and cost"))

const request = Command.make("request", {
  id: Argument.String("id").pipe(Argument.withDescription("The request's id (its x-switchboard-request-id header, or the ID column of `usage requests`)")),
  json: jsonFlag,
  url: urlFlag
}, (flags) =>
  operation(Effect.gen(function*() {
    const client = yield* server(flags.url)
    const row = yield* client.api((api) => api.usage.request({ params: { id: flags.id } }))
    yield* flags.json ? json(row) : Console.log(requestDetails(row))
  }))).pipe(Command.withDescription("One request, every field the ledger keeps of it"))

export const UsageCommand = totals.pipe(
  Command.withDescription(
    "What requests used and cost over a window (tokens in/out/cached/reasoning, errors, latency, cost), grouped by model, provider, key, day…, " +
      "from the running server's ledger. Costs with unknown prices are shown as such, never as $0"
  ),
  Command.withSubcommands([requests, request])
)
