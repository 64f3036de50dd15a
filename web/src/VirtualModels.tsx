/**
 * The virtual models (remote.json `virtualModels`): each with its strategy, its targets in order
 * (weights for `balance`) and what routing knows of each now — whether a connected provider serves
 * it, that provider's state, its circuit breaker and why it last failed — its rules and presets;
 * the entries the server left out and the names that hide a provider's model. Add, edit and
 * delete (with confirmation) through the admin API; an edit starts from the entry as remote.json
 * holds it, so a left-out entry with a name can be fixed from its problem's Edit button.
 *
 * Breakers change without an event, so besides following the providers' changes (`revision`) the
 * list is fetched again every few seconds while the page is visible.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { TargetStatus, VirtualModelList, VirtualModelStatus } from "../../src/admin/AdminApi.ts"
import { admin } from "./Api.ts"
import { PencilIcon, TrashIcon } from "./Icons.tsx"
import { EditVirtualModel, VirtualModelForm } from "./VirtualModelForm.tsx"
import { availability, breakerText, conditionText, defaultsText, servingText } from "./VirtualModelText.ts"

const POLL_MS = 5_000

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

const timeOf = (iso: string): string => new Date(iso).toLocaleTimeString()

/** One target's line: position, model, weight, where it goes now, its breaker and last failure. */
function TargetLine(props: { readonly target: TargetStatus; readonly weighted: boolean }) {
  const { target } = props
  return (
    <li class="vm-target" data-available={target.available} data-breaker={target.breaker.state}>
      <div class="vm-target-head">
        <span class="dot" aria-hidden="true" />
        <code class="model-id">{target.model}</code>
        {props.weighted && <span class="badge">weight {target.weight}</span>}
        <span class="target-state">{target.available ? "available" : "unavailable"}</span>
      </div>
      <div class="vm-target-detail muted">
        <span class="serving">{servingText(target)}</span>
        <span class="breaker" data-state={target.breaker.state}>{breakerText(target.breaker, timeOf)}</span>
      </div>
      {target.breaker.last_failure !== null && <div class="bad last-failure">Last failure: {target.breaker.last_failure}</div>}
    </li>
  )
}

function VirtualModelCard(props: {
  readonly model: VirtualModelStatus
  readonly onEdit: () => void
  readonly onDeleted: (name: string) => void
}) {
  const { model } = props
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const health = availability(model.targets)
  const defaults = defaultsText(model.defaults)
  const weighted = model.strategy === "balance"

  const remove = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await admin((api) => api.virtualModels.remove({ params: { name: model.id } }))
      props.onDeleted(model.id)
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <li class={`card vm-card health-${health.level}`} aria-label={model.id}>
      <div class="card-head">
        <h3>{model.id}</h3>
        <span class="badge strategy">{model.strategy}</span>
        <span class="state" data-health={health.level}>
          <span class="dot" aria-hidden="true" />
          <span class="state-text">{health.text}</span>
        </span>
      </div>
      {model.description !== null && <p class="muted vm-description">{model.description}</p>}
      <ol class="vm-targets" aria-label={`${model.id} targets`}>
        {model.targets.map((target, i) => <TargetLine key={`${i}-${target.model}`} target={target} weighted={weighted} />)}
      </ol>
      {model.rules.length > 0 && (
        <div class="vm-section">
          <h4>Rules</h4>
          <ol class="vm-rules" aria-label={`${model.id} rules`}>
            {model.rules.map((rule, i) => (
              <li key={i}>
                <strong>{rule.name}</strong>: {conditionText(rule.when)} →{" "}
                {rule.targets.map((target, j) => (
                  <span key={j} class="rule-target" data-available={target.available}>
                    <span class="dot" aria-hidden="true" />
                    <code>{target.model}</code>
                  </span>
                ))}
              </li>
            ))}
          </ol>
        </div>
      )}
      {(model.system !== null || defaults !== "") && (
        <div class="vm-section vm-presets">
          <h4>Presets</h4>
          {model.system !== null && <p class="system-prompt" title={model.system}><span class="muted">System prompt:</span> {model.system}</p>}
          {defaults !== "" && <p><span class="muted">Defaults:</span> {defaults}</p>}
        </div>
      )}
      <div class="card-actions">
        <span class="spacer" />
        <button type="button" class="icon" aria-label={`Edit ${model.id}`} title="Edit" onClick={props.onEdit}>
          <PencilIcon />
        </button>
        <button type="button" class="icon" aria-label={`Delete ${model.id}`} title="Delete" onClick={() => setConfirming(true)}>
          <TrashIcon />
        </button>
      </div>
      {confirming && (
        <div role="alertdialog" aria-label={`Delete ${model.id}?`} class="confirm">
          <p>Delete {model.id}? Requests for it will be refused as an unknown model.</p>
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>Delete</button>
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      {error !== undefined && <p role="alert" class="bad">{error}</p>}
    </li>
  )
}

/** `revision` changes with every provider change; `onChange` is told when a virtual model was saved or deleted. */
export function VirtualModels(props: { readonly revision: number; readonly onChange: () => void }) {
  const [list, setList] = useState<VirtualModelList | undefined>()
  const [loadError, setLoadError] = useState<string | undefined>()
  // The name being edited (its entry is loaded when the form opens); none to add one.
  const [form, setForm] = useState<{ readonly editing?: string } | undefined>()
  // Only the newest fetch counts: answers to earlier ones may arrive after it.
  const fetches = useRef(0)
  const refetch = () => {
    const fetch = ++fetches.current
    admin((api) => api.virtualModels.list()).then((fresh) => {
      if (fetch !== fetches.current) return
      setList(fresh)
      setLoadError(undefined)
    }, (e: unknown) => {
      if (fetch === fetches.current) setLoadError(messageOf(e))
    })
  }

  useEffect(refetch, [props.revision])
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") refetch()
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

  const changed = () => {
    refetch()
    props.onChange()
  }
  const saved = (model: VirtualModelStatus) => {
    setList((current) =>
      current === undefined
        ? current
        : {
          ...current,
          data: current.data.some((m) => m.id === model.id) ? current.data.map((m) => m.id === model.id ? model : m) : [...current.data, model],
          // A left-out entry saved is in effect now: its problem is gone.
          problems: current.problems.filter((problem) => problem.name !== model.id)
        }
    )
    setForm(undefined)
    changed()
  }
  const deleted = (name: string) => {
    setList((current) => current === undefined ? current : { ...current, data: current.data.filter((m) => m.id !== name) })
    changed()
  }

  return (
    <section class="panel virtual-models" aria-labelledby="virtual-models-title">
      <div class="panel-head">
        <h2 id="virtual-models-title">Virtual models</h2>
        <button type="button" class="primary" onClick={() => setForm({})} disabled={form !== undefined}>Add virtual model</button>
      </div>
      <p class="muted intro">One name for several models: tried in order (fallback) or spread by weight (balance).</p>
      {loadError !== undefined && <p role="alert" class="bad">Could not list the virtual models: {loadError}</p>}
      {list !== undefined && list.problems.length > 0 && (
        <div class="vm-problems" role="alert" aria-label="Virtual models left out">
          <p>Left out of remote.json:</p>
          <ul>
            {list.problems.map((problem) => {
              const name = problem.name
              // A name also listed is a duplicate: editing it would open the listed one.
              const editable = name !== null && !list.data.some((m) => m.id === name)
              return (
                <li key={problem.index}>
                  <span class="problem-text">{problem.message}</span>
                  {editable && (
                    <button type="button" class="small" aria-label={`Edit ${name}`} title={`Fix ${name} in the form`} onClick={() => setForm({ editing: name })}>
                      <PencilIcon /> Edit
                    </button>
                  )}
                </li>
              )
            })}
          </ul>
        </div>
      )}
      {list !== undefined && list.warnings.length > 0 && (
        <ul class="vm-warnings" aria-label="Virtual model warnings">
          {list.warnings.map((warning) => <li key={warning}>{warning}</li>)}
        </ul>
      )}
      {form !== undefined && (form.editing === undefined
        ? <VirtualModelForm key="new" onSaved={saved} onCancel={() => setForm(undefined)} />
        : <EditVirtualModel key={form.editing} name={form.editing} onSaved={saved} onCancel={() => setForm(undefined)} />)}
      {list === undefined
        ? loadError === undefined && <p class="muted">Loading…</p>
        : list.data.length === 0
        ? <p class="muted">No virtual models yet.</p>
        : (
          <ul class="cards">
            {list.data.map((model) => (
              <VirtualModelCard key={model.id} model={model} onEdit={() => setForm({ editing: model.id })} onDeleted={deleted} />
            ))}
          </ul>
        )}
    </section>
  )
}
