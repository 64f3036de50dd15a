/**
 * Gateway keys with their rate limits and budgets (admin API `keys` group): each key's limits and
 * what it used this minute, today and this month (UTC); a key created here is shown once (only
 * its hash is kept); limits edited in place (an empty field clears one); revoke. What the CLI's
 * `switchboard keys` does, for people who prefer the page.
 */
import { useEffect, useState } from "preact/hooks"
import type { GatewayKeyJson } from "../../src/admin/AdminApi.ts"
import { dollars } from "../../src/usage/UsageReport.ts"
import { admin } from "./Api.ts"

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

const FIELDS = [
  { name: "rpm", label: "Requests / min", step: "1" },
  { name: "tpm", label: "Tokens / min", step: "1" },
  { name: "budgetUsdDay", label: "$ / day", step: "0.01" },
  { name: "budgetUsdMonth", label: "$ / month", step: "0.01" }
] as const
type LimitName = typeof FIELDS[number]["name"]
type Drafts = Record<LimitName, string>

const draftsOf = (key?: GatewayKeyJson): Drafts => ({
  rpm: key?.limits.rpm?.toString() ?? "",
  tpm: key?.limits.tpm?.toString() ?? "",
  budgetUsdDay: key?.limits.budgetUsdDay?.toString() ?? "",
  budgetUsdMonth: key?.limits.budgetUsdMonth?.toString() ?? ""
})

/** Every field as a change: a number sets it, empty clears it. */
const changeOf = (drafts: Drafts): Record<LimitName, number | null> => ({
  rpm: drafts.rpm.trim() === "" ? null : Number(drafts.rpm),
  tpm: drafts.tpm.trim() === "" ? null : Number(drafts.tpm),
  budgetUsdDay: drafts.budgetUsdDay.trim() === "" ? null : Number(drafts.budgetUsdDay),
  budgetUsdMonth: drafts.budgetUsdMonth.trim() === "" ? null : Number(drafts.budgetUsdMonth)
})


function LimitFields(props: { readonly drafts: Drafts; readonly onInput: (drafts: Drafts) => void; readonly id: string }) {
  return (
    <div class="key-limits">
      {FIELDS.map((field) => (
        <label key={field.name}>
          <span class="muted">{field.label}</span>
          <input
            type="number"
            min="0"
            step={field.step}
            placeholder="none"
            aria-label={`${props.id} ${field.label}`}
            value={props.drafts[field.name]}
            onInput={(e) => props.onInput({ ...props.drafts, [field.name]: (e.target as HTMLInputElement).value })}
          />
        </label>
      ))}
    </div>
  )
}

function KeyCard(props: { readonly gatewayKey: GatewayKeyJson; readonly onChanged: () => void }) {
  const key = props.gatewayKey
  const [drafts, setDrafts] = useState(draftsOf(key))
  const [error, setError] = useState<string | undefined>()
  const save = () =>
    admin((api) => api.keys.edit({ params: { id: key.id }, payload: changeOf(drafts) })).then(() => {
      setError(undefined)
      props.onChanged()
    }, (e: unknown) => setError(messageOf(e)))
  const revoke = () =>
    confirm(`Revoke gateway key ${key.id}? Callers using it are refused within seconds.`) &&
    admin((api) => api.keys.revoke({ params: { id: key.id } })).then(props.onChanged, (e: unknown) => setError(messageOf(e)))
  return (
    <li class="card key-card" aria-label={`Key ${key.id}`}>
      <div class="card-head">
        <code>{key.id}</code>
        <span>{key.name || <span class="muted">no name</span>}</span>
      </div>
      <p class="muted key-usage">
        {key.usage === null
          ? "Usage unknown (the database cannot be read)"
          : `This minute: ${key.usage.minute.requests} requests, ${key.usage.minute.tokens} tokens · today ${dollars(key.usage.day.usd)} · this month ${dollars(key.usage.month.usd)}`}
      </p>
      <LimitFields id={key.id} drafts={drafts} onInput={setDrafts} />
      {error !== undefined && <p role="alert" class="bad">{error}</p>}
      <div class="card-actions">
        <button type="button" class="small" onClick={save}>Save limits</button>
        <span class="spacer" />
        <button type="button" class="small" onClick={revoke}>Revoke</button>
      </div>
    </li>
  )
}

export function GatewayKeys() {
  const [keys, setKeys] = useState<ReadonlyArray<GatewayKeyJson> | undefined>()
  const [loadError, setLoadError] = useState<string | undefined>()
  const [name, setName] = useState("")
  const [drafts, setDrafts] = useState(draftsOf())
  const [created, setCreated] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()

  const refetch = () => {
    admin((api) => api.keys.list()).then((list) => {
      setKeys(list.data)
      setLoadError(undefined)
    }, (e: unknown) => setLoadError(messageOf(e)))
  }
  useEffect(refetch, [])

  const create = (event: Event) => {
    event.preventDefault()
    const change = changeOf(drafts)
    const limits = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== null))
    admin((api) => api.keys.create({ payload: { name, limits } })).then((answer) => {
      setCreated(answer.key)
      setName("")
      setDrafts(draftsOf())
      setError(undefined)
      refetch()
    }, (e: unknown) => setError(messageOf(e)))
  }

  return (
    <section class="panel gateway-keys" aria-labelledby="gateway-keys-title">
      <div class="panel-head">
        <h2 id="gateway-keys-title">Gateway keys</h2>
      </div>
      <p class="muted intro">Keys callers present, each with optional rate limits and budgets (UTC). Budgets never block local models.</p>
      {loadError !== undefined && <p role="alert" class="bad">Could not list the keys: {loadError}</p>}
      <form class="key-create" onSubmit={create} aria-label="New gateway key">
        <label>
          <span class="muted">Name</span>
          <input value={name} placeholder="who or what uses it" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <LimitFields id="new key" drafts={drafts} onInput={setDrafts} />
        <button type="submit" class="primary">Create key</button>
      </form>
      {error !== undefined && <p role="alert" class="bad">{error}</p>}
      {created !== undefined && (
        <p class="key-created" role="status">
          New key, shown only now: <code>{created}</code>{" "}
          <button type="button" class="small" onClick={() => setCreated(undefined)}>Done</button>
        </p>
      )}
      {keys === undefined
        ? loadError === undefined && <p class="muted">Loading…</p>
        : keys.length === 0
        ? <p class="muted">No gateway keys yet.</p>
        : <ul class="cards">{keys.map((key) => <KeyCard key={`${key.id}:${JSON.stringify(key.limits)}`} gatewayKey={key} onChanged={refetch} />)}</ul>}
    </section>
  )
}
