/**
 * The provider cards: live state (from the admin event stream), model count, edit, delete (with
 * confirmation), the enable toggle, and the form to add one. The state is written next to its
 * colored dot, so it does not rest on color alone.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { ModelState, Provider as ProviderJson, ProviderStatus } from "../../src/admin/AdminApi.ts"
import { admin } from "./Api.ts"
import { PencilIcon, TrashIcon } from "./Icons.tsx"
import { ProviderForm } from "./ProviderForm.tsx"
import { watchProviders } from "./ProviderEvents.ts"

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

const upsert = (list: ReadonlyArray<ProviderJson>, provider: ProviderJson): ReadonlyArray<ProviderJson> =>
  list.some((p) => p.id === provider.id) ? list.map((p) => p.id === provider.id ? provider : p) : [...list, provider]

/** A state event carries the status only; the settings and secret flags stay as they were. */
const withStatus = (list: ReadonlyArray<ProviderJson>, status: ProviderStatus): ReadonlyArray<ProviderJson> =>
  list.map((p) => p.id === status.id ? { ...p, ...status } : p)

/** A secret's badge text; `null` is a store that cannot be read (the banner says why). */
const secretState = (set: boolean | null): string => set === null ? "unknown" : set ? "stored" : "missing"

function ProviderCard(props: {
  readonly provider: ProviderJson
  readonly onEdit: () => void
  readonly onChanged: (provider: ProviderJson) => void
  readonly onDeleted: (id: string) => void
}) {
  const { provider } = props
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const params = { id: provider.id }

  const act = async (run: () => Promise<void>) => {
    setBusy(true)
    setError(undefined)
    try {
      await run()
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  // The switch shows the live state (disabled ⇔ not enabled), so a change made elsewhere shows too;
  // while a toggle waits for that state to follow, it shows what the user asked for.
  const [wanted, setWanted] = useState<boolean | undefined>()
  const enabled = provider.state !== "disabled"
  useEffect(() => {
    if (wanted === enabled) setWanted(undefined)
  }, [wanted, enabled])
  const toggle = (enable: boolean) => {
    setWanted(enable)
    return act(async () => {
      try {
        props.onChanged(await admin((api) => (enable ? api.providers.enable : api.providers.disable)({ params })))
      } catch (e) {
        setWanted(undefined)
        throw e
      }
    })
  }
  const reconnect = () => act(async () => props.onChanged(await admin((api) => api.providers.reconnect({ params }))))
  const remove = () =>
    act(async () => {
      await admin((api) => api.providers.remove({ params }))
      props.onDeleted(provider.id)
    })

  return (
    <li class={`card state-${provider.state}`} aria-label={provider.name}>
      <div class="card-head">
        <h3>{provider.name}</h3>
        <span class="state" data-state={provider.state}>
          <span class="dot" aria-hidden="true" />
          <span class="state-text">{provider.state}</span>
        </span>
      </div>
      <p class="muted url">{provider.base_url} · {provider.format}</p>
      {provider.state === "error" && provider.error !== null && <p class="bad error-text">{provider.error}</p>}
      <p class="models">
        {provider.model_count} model{provider.model_count === 1 ? "" : "s"}
        {provider.settings.auth === "apiKey" && <span class="badge">API key {secretState(provider.apiKeySet)}</span>}
        {provider.secretHeaders.map((h) => <span class="badge" key={h.name}>{h.name} {secretState(h.set)}</span>)}
      </p>
      <div class="card-actions">
        <label class="switch">
          <input type="checkbox" role="switch" checked={wanted ?? enabled} disabled={busy} onChange={(e) => void toggle(e.currentTarget.checked)} />
          Enabled
        </label>
        <span class="spacer" />
        {(provider.state === "error" || provider.state === "disconnected") && (
          <button type="button" disabled={busy} onClick={() => void reconnect()}>Reconnect</button>
        )}
        <button type="button" class="icon" aria-label={`Edit ${provider.name}`} title="Edit" onClick={props.onEdit}>
          <PencilIcon />
        </button>
        <button type="button" class="icon" aria-label={`Delete ${provider.name}`} title="Delete" onClick={() => setConfirming(true)}>
          <TrashIcon />
        </button>
      </div>
      {confirming && (
        <div role="alertdialog" aria-label={`Delete ${provider.name}?`} class="confirm">
          <p>Delete {provider.name} and its stored secrets?</p>
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>Delete</button>
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      {error !== undefined && <p role="alert" class="bad">{error}</p>}
    </li>
  )
}

/** How busy a model is, in words: "1 running, 2 waiting", or nothing when idle. */
const queueText = (model: ModelState): string =>
  [model.running > 0 ? `${model.running} running` : "", model.waiting > 0 ? `${model.waiting} waiting` : ""].filter((part) => part !== "").join(", ")

/**
 * A provider that comes with the gateway (the local models): its state and each model's — whether
 * it is in memory, its queue, why it failed to load. Nothing to edit: its settings live in
 * remote.json's `local` block.
 */
function BuiltInCard(props: { readonly status: ProviderStatus }) {
  const { status } = props
  const models = status.model_states ?? []
  return (
    <li class={`card built-in state-${status.state}`} aria-label={status.name}>
      <div class="card-head">
        <h3>{status.name}</h3>
        <span class="state" data-state={status.state}>
          <span class="dot" aria-hidden="true" />
          <span class="state-text">{status.state}</span>
        </span>
      </div>
      <p class="muted url">{status.base_url} · built in</p>
      {status.state === "error" && status.error !== null && <p class="bad error-text">{status.error}</p>}
      <p class="models">{status.model_count} model{status.model_count === 1 ? "" : "s"}</p>
      {models.length > 0 && (
        <ul class="model-states" aria-label={`${status.name} models`}>
          {models.map((model) => (
            <li key={model.id} data-model-state={model.state}>
              <span class="model-id">{model.id}</span>
              <span class="badge model-state">{model.state}</span>
              {queueText(model) !== "" && <span class="muted queue">{queueText(model)}</span>}
              {model.error !== null && <span class="bad model-error">{model.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}

const upsertStatus = (list: ReadonlyArray<ProviderStatus>, status: ProviderStatus): ReadonlyArray<ProviderStatus> =>
  list.some((p) => p.id === status.id) ? list.map((p) => p.id === status.id ? status : p) : [...list, status]

/** `onChange` is told of every change to the list or a provider's state. */
export function Providers(props: { readonly onChange: () => void }) {
  const [providers, setProviders] = useState<ReadonlyArray<ProviderJson> | undefined>()
  const [builtIn, setBuiltIn] = useState<ReadonlyArray<ProviderStatus>>([])
  const [connection, setConnection] = useState<string | null>(null)
  const [form, setForm] = useState<{ readonly editing?: ProviderJson } | undefined>()
  // The event stream is the newest word on every state: an admin API answer (or a list fetched
  // after an event) may have been computed before the last event arrived, so the last status each
  // provider reported since the snapshot is laid over whatever an answer says.
  const live = useRef(new Map<string, ProviderStatus>())
  const withLive = (list: ReadonlyArray<ProviderJson>): ReadonlyArray<ProviderJson> =>
    list.map((p) => {
      const status = live.current.get(p.id)
      // Only what changes without a settings change: a rename, say, publishes no event.
      return status === undefined ? p : { ...p, state: status.state, error: status.error, model_count: status.model_count, models: status.models }
    })
  // The ids on screen, for the event handlers (registered once, so they cannot read `providers`).
  const known = useRef<ReadonlySet<string>>(new Set())
  known.current = new Set(providers?.map((p) => p.id))
  // Only the newest list fetch counts: answers to earlier ones may arrive after it.
  const fetches = useRef(0)
  const refetch = () => {
    const fetch = ++fetches.current
    admin((api) => api.providers.list()).then((fresh) => {
      if (fetch === fetches.current) setProviders(withLive(fresh.data))
    }, () => undefined)
  }

  useEffect(() =>
    watchProviders({
      snapshot: (list, builtIns) => {
        live.current.clear()
        setProviders(list)
        setBuiltIn(builtIns)
        props.onChange()
      },
      state: (status) => {
        // Built-in providers have no settings to fetch: their status is all there is.
        if (status.built_in) {
          setBuiltIn((list) => upsertStatus(list, status))
          return props.onChange()
        }
        live.current.set(status.id, status)
        props.onChange()
        if (known.current.has(status.id)) setProviders((list) => list === undefined ? list : withStatus(list, status))
        // A provider this page has not seen yet (added elsewhere, or its creation not yet answered):
        // fetch it with its settings.
        else refetch()
      },
      removed: (id) => {
        live.current.delete(id)
        props.onChange()
        setProviders((list) => list?.filter((p) => p.id !== id))
        setBuiltIn((list) => list.filter((p) => p.id !== id))
      },
      connection: setConnection
    }), [])

  const changed = (provider: ProviderJson) => setProviders((list) => withLive(upsert(list ?? [], provider)))
  const saved = (provider: ProviderJson) => {
    changed(provider)
    setForm(undefined)
  }

  return (
    <section class="panel providers" aria-labelledby="providers-title">
      <div class="panel-head">
        <h2 id="providers-title">Providers</h2>
        <button type="button" class="primary" onClick={() => setForm({})} disabled={form !== undefined}>Add provider</button>
      </div>
      {connection !== null && <p role="alert" class="bad">Live updates interrupted: {connection}. Retrying…</p>}
      {form !== undefined && (
        <ProviderForm
          key={form.editing?.id ?? "new"}
          {...(form.editing === undefined ? {} : { editing: form.editing })}
          onSaved={saved}
          onCancel={() => setForm(undefined)}
        />
      )}
      {providers === undefined
        ? <p class="muted">Loading…</p>
        : providers.length === 0 && builtIn.length === 0
        ? <p class="muted">No providers yet: add one to start.</p>
        : (
          <ul class="cards">
            {builtIn.map((status) => <BuiltInCard key={status.id} status={status} />)}
            {providers.map((p) => (
              <ProviderCard
                key={p.id}
                provider={p}
                onEdit={() => setForm({ editing: p })}
                onChanged={changed}
                onDeleted={(id) => setProviders((list) => list?.filter((x) => x.id !== id))}
              />
            ))}
          </ul>
        )}
    </section>
  )
}
