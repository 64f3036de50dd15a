/**
 * Add or edit a virtual model: a name (fixed once saved: callers use it), the strategy, the
 * targets in order — chosen from the models Switchboard serves now, moved up and down, weighted
 * for `balance` — and, folded away unless the model has them, the presets (a system prompt,
 * default temperature, top_p and max_tokens) and the rules as JSON. A mistake is shown under the
 * field it names, in the server's words (see VirtualModelDraft.ts); an entry the server left out
 * opens with what is wrong with it already shown there.
 */
import { Result } from "effect"
import { useEffect, useRef, useState } from "preact/hooks"
import type { VirtualModelEntry, VirtualModelStatus } from "../../src/admin/AdminApi.ts"
import { admin, ApiError, apiJson } from "./Api.ts"
import { Field } from "./Field.tsx"
import { TrashIcon } from "./Icons.tsx"
import { groupModels, modelLabel } from "./ModelGroups.ts"
import {
  bodyOf,
  controlOf,
  type Draft,
  type DraftControl,
  type DraftProblem,
  draftOf,
  emptyDraft,
  moved,
  type TargetRow,
  targetRow
} from "./VirtualModelDraft.ts"
import { type Model, ModelList } from "./Wire.ts"

const KNOWN_STRATEGIES: ReadonlySet<string> = new Set(["fallback", "balance"])

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

export interface VirtualModelFormProps {
  /** The model to edit, with its entry as remote.json holds it; absent to add one. */
  readonly editing?: { readonly name: string; readonly entry: VirtualModelEntry }
  readonly onSaved: (model: VirtualModelStatus) => void
  readonly onCancel: () => void
}

export function VirtualModelForm({ editing, onSaved, onCancel }: VirtualModelFormProps) {
  const [draft, setDraft] = useState<Draft>(() => editing === undefined ? emptyDraft : draftOf(editing.entry))
  const [models, setModels] = useState<ReadonlyArray<Model>>([])
  const [modelsError, setModelsError] = useState<string | undefined>()
  const [choice, setChoice] = useState("")
  // An entry the server left out says at once what is wrong with it, under the field at fault.
  const [problem, setProblem] = useState<DraftProblem | undefined>(() => {
    if (editing === undefined) return undefined
    const checked = bodyOf(draft)
    return Result.isFailure(checked) ? checked.failure : undefined
  })
  const [saving, setSaving] = useState(false)
  const [presetsOpen, setPresetsOpen] = useState<boolean | undefined>()
  const [rulesOpen, setRulesOpen] = useState<boolean | undefined>()
  const problemRef = useRef<HTMLParagraphElement>(null)

  useEffect(() => {
    apiJson(ModelList, "/v1/models").then((list) => setModels(list.data), (e: unknown) => setModelsError(messageOf(e)))
  }, [])
  // The form can be longer than its panel: bring the problem into view where it shows.
  useEffect(() => {
    if (problem !== undefined) problemRef.current?.scrollIntoView({ block: "center" })
  }, [problem])

  const update = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch })
    setProblem(undefined)
  }
  const setTargets = (targets: ReadonlyArray<TargetRow>) => update({ targets })
  const updateTarget = (key: number, patch: Partial<TargetRow>) => setTargets(draft.targets.map((t) => t.key === key ? { ...t, ...patch } : t))
  const addTarget = () => {
    if (choice === "") return
    setTargets([...draft.targets, targetRow(choice)])
    setChoice("")
  }

  const save = async () => {
    const body = bodyOf(draft)
    if (Result.isFailure(body)) return setProblem(body.failure)
    setSaving(true)
    setProblem(undefined)
    try {
      onSaved(await admin((api) => api.virtualModels.put({ params: { name: draft.name.trim() }, payload: body.success })))
    } catch (e) {
      setProblem({ field: e instanceof ApiError ? e.param : null, message: messageOf(e) })
    } finally {
      setSaving(false)
    }
  }

  const at = problem === undefined ? undefined : controlOf(problem.field) ?? "form"
  /** The problem, shown under the control it names (or at the end of the form). */
  const problemAt = (control: DraftControl | "form") =>
    at === control && problem !== undefined && <p role="alert" class="bad field-problem" ref={problemRef}>{problem.message}</p>
  const invalid = (control: DraftControl) => at === control ? { "aria-invalid": true } : {}

  const self = editing?.name ?? draft.name.trim()
  const chosen = new Set(draft.targets.map((t) => t.model))
  // Any model served now but this one; virtual ones too (their targets are tried in their place).
  const groups = groupModels(models.filter((m) => m.id !== self))
  const balance = draft.strategy === "balance"
  const hasPresets = draft.system !== "" || draft.temperature !== "" || draft.top_p !== "" || draft.max_tokens !== ""
  const presetControls: ReadonlyArray<DraftControl | undefined> = ["system", "temperature", "top_p", "max_tokens"]

  const title = editing === undefined ? "Add virtual model" : `Edit ${editing.name}`
  const extraKeys = Object.keys(draft.extra)
  return (
    <form
      class="provider-form vm-form"
      aria-label={title}
      onSubmit={(event) => {
        event.preventDefault()
        void save()
      }}
    >
      <h3>{title}</h3>
      <div class="row">
        {editing === undefined && (
          <Field label="Name" class="grow">
            {(id) => (
              <input id={id} value={draft.name} required placeholder="e.g. smart" {...invalid("name")} onInput={(e) => update({ name: e.currentTarget.value })} />
            )}
          </Field>
        )}
        <Field label="Strategy" class="wide">
          {(id) => (
            <select id={id} value={draft.strategy} {...invalid("strategy")} onChange={(e) => update({ strategy: e.currentTarget.value })}>
              <option value="fallback">Fallback: in order</option>
              <option value="balance">Balance: by weight</option>
              {!KNOWN_STRATEGIES.has(draft.strategy) && <option value={draft.strategy} disabled>{draft.strategy} (unknown)</option>}
            </select>
          )}
        </Field>
      </div>
      {problemAt("name")}
      {problemAt("strategy")}
      <fieldset class="targets-field" {...(at === "targets" ? { "aria-invalid": true } : {})}>
        <legend>Targets {balance ? "(a failed one falls over to the next)" : "(tried in order)"}</legend>
        {draft.targets.length === 0 && <p class="muted">No targets yet: add one below.</p>}
        {draft.targets.length > 0 && (
          <ol class="target-rows" aria-label="Targets">
            {draft.targets.map((t, i) => (
              <li key={t.key} class="target-row" {...(t.raw === undefined ? {} : { "data-raw": true })}>
                <span class="target-index muted">{i + 1}.</span>
                <code class="target-model">{t.model}</code>
                {balance && t.raw === undefined && <span class="muted weight-label" aria-hidden="true">weight</span>}
                {balance && t.raw === undefined && (
                  <Field label={<span class="visually-hidden">Weight of {t.model}</span>} class="weight">
                    {(id) => (
                      <input
                        id={id}
                        type="number"
                        min="0"
                        step="any"
                        value={t.weight}
                        placeholder="1"
                        title="Weight"
                        onInput={(e) => updateTarget(t.key, { weight: e.currentTarget.value })}
                      />
                    )}
                  </Field>
                )}
                <button type="button" class="icon" aria-label={`Move ${t.model} up`} title="Move up" disabled={i === 0} onClick={() => setTargets(moved(draft.targets, i, -1))}>
                  ↑
                </button>
                <button
                  type="button"
                  class="icon"
                  aria-label={`Move ${t.model} down`}
                  title="Move down"
                  disabled={i === draft.targets.length - 1}
                  onClick={() => setTargets(moved(draft.targets, i, 1))}
                >
                  ↓
                </button>
                <button type="button" class="icon" aria-label={`Remove ${t.model}`} title="Remove" onClick={() => setTargets(draft.targets.filter((x) => x.key !== t.key))}>
                  <TrashIcon />
                </button>
              </li>
            ))}
          </ol>
        )}
        <div class="row add-target">
          <Field label="Add a target" class="grow">
            {(id) => (
              <select id={id} value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
                <option value="" disabled selected={choice === ""}>{models.length === 0 ? "No models: connect a provider" : "Choose a model"}</option>
                {groups.map((g) => (
                  <optgroup key={g.provider ?? ""} label={g.label}>
                    {g.models.map((m) => <option key={m.id} value={m.id} disabled={chosen.has(m.id)}>{modelLabel(m)}</option>)}
                  </optgroup>
                ))}
              </select>
            )}
          </Field>
          <button type="button" disabled={choice === ""} onClick={addTarget}>Add</button>
        </div>
        {modelsError !== undefined && <p class="bad">Could not list the models: {modelsError}</p>}
        {problemAt("targets")}
      </fieldset>
      <Field label="Description (optional)">
        {(id) => (
          <input id={id} value={draft.description} placeholder="What it is for" {...invalid("description")} onInput={(e) => update({ description: e.currentTarget.value })} />
        )}
      </Field>
      {problemAt("description")}
      <details
        class="advanced"
        open={presetsOpen ?? (hasPresets || presetControls.includes(at as DraftControl))}
        onToggle={(e) => setPresetsOpen(e.currentTarget.open)}
      >
        <summary>Presets <span class="muted">a system prompt and default settings</span></summary>
        <Field label="System prompt (put before the caller's own)">
          {(id) => <textarea id={id} rows={3} value={draft.system} {...invalid("system")} onInput={(e) => update({ system: e.currentTarget.value })} />}
        </Field>
        {problemAt("system")}
        <div class="row">
          <Field label="Temperature">
            {(id) => (
              <input id={id} type="number" min="0" max="2" step="any" value={draft.temperature} placeholder="caller's" {...invalid("temperature")} onInput={(e) => update({ temperature: e.currentTarget.value })} />
            )}
          </Field>
          <Field label="top_p">
            {(id) => (
              <input id={id} type="number" min="0" max="1" step="any" value={draft.top_p} placeholder="caller's" {...invalid("top_p")} onInput={(e) => update({ top_p: e.currentTarget.value })} />
            )}
          </Field>
          <Field label="Max tokens">
            {(id) => (
              <input id={id} type="number" min="1" step="1" value={draft.max_tokens} placeholder="caller's" {...invalid("max_tokens")} onInput={(e) => update({ max_tokens: e.currentTarget.value })} />
            )}
          </Field>
        </div>
        {problemAt("temperature")}
        {problemAt("top_p")}
        {problemAt("max_tokens")}
        <p class="muted hint">Applied only when the caller did not set them.</p>
      </details>
      <details
        class="advanced"
        open={rulesOpen ?? (draft.rules.trim() !== "" || at === "rules")}
        onToggle={(e) => setRulesOpen(e.currentTarget.open)}
      >
        <summary>Rules <span class="muted">other targets for some requests (JSON)</span></summary>
        <Field label="Rules (the first that matches picks the targets)">
          {(id) => (
            <textarea
              id={id}
              class="code"
              rows={6}
              spellcheck={false}
              value={draft.rules}
              placeholder={`[{ "name": "long", "when": { "minInputTokens": 30000 }, "targets": ["provider/model"] }]`}
              {...invalid("rules")}
              onInput={(e) => update({ rules: e.currentTarget.value })}
            />
          )}
        </Field>
        {problemAt("rules")}
        <p class="muted hint">
          Conditions: <code>format</code> (openai, anthropic, responses), <code>tools</code>, <code>images</code>, <code>thinking</code>,{" "}
          <code>minInputTokens</code>, <code>header</code> <code>{`{ "name", "value" }`}</code>.
        </p>
      </details>
      {extraKeys.length > 0 && (
        <div class="vm-extra">
          <p>
            Not settings of a virtual model: {extraKeys.map((key, i) => <span key={key}>{i > 0 && ", "}<code>{key}</code></span>)}
          </p>
          <button type="button" onClick={() => update({ extra: {} })}>Drop {extraKeys.length === 1 ? "it" : "them"}</button>
        </div>
      )}
      {problemAt("form")}
      <div class="actions">
        <span class="spacer" />
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : "Save"}</button>
      </div>
    </form>
  )
}

/**
 * The form for `name`, once its entry is loaded as remote.json holds it (the listing shows targets
 * that are virtual models expanded, and an entry left out not at all): a line while it loads, the
 * error if it cannot be.
 */
export function EditVirtualModel(props: { readonly name: string; readonly onSaved: (model: VirtualModelStatus) => void; readonly onCancel: () => void }) {
  const [entry, setEntry] = useState<VirtualModelEntry | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => {
    let current = true
    admin((api) => api.virtualModels.entry({ params: { name: props.name } })).then(
      (loaded) => current && setEntry(loaded),
      (e: unknown) => current && setError(messageOf(e))
    )
    return () => {
      current = false
    }
  }, [props.name])

  if (entry !== undefined) return <VirtualModelForm editing={{ name: props.name, entry }} onSaved={props.onSaved} onCancel={props.onCancel} />
  return (
    <div role="group" class="provider-form vm-form vm-loading" aria-label={`Edit ${props.name}`} aria-busy={error === undefined}>
      <h3>Edit {props.name}</h3>
      {error === undefined
        ? <p class="muted">Loading {props.name} as remote.json holds it…</p>
        : <p role="alert" class="bad">Could not load {props.name}: {error}</p>}
      <div class="actions">
        <span class="spacer" />
        <button type="button" onClick={props.onCancel}>{error === undefined ? "Cancel" : "Close"}</button>
      </div>
    </div>
  )
}
