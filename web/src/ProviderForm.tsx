/**
 * Add or edit a provider: a preset fills the settings, so the form asks only for a name and, when
 * the preset needs one, a key; the address, format, authentication and headers stay editable under
 * "Advanced" (open from the start for the custom preset, which has no address). Headers can be
 * marked secret (their values go to the keychain and are never shown again). "Test connection"
 * tries the form's settings without saving them; editing, a secret left empty is the stored one.
 * Secrets are write-only: editing shows whether one is stored, and an empty field keeps it.
 */
import { Schema } from "effect"
import { useEffect, useRef, useState } from "preact/hooks"
import {
  type CreateProvider,
  type EditProvider,
  type Preset,
  type Provider as ProviderJson,
  ProviderSettings,
  type Settings,
  type TestOutcome
} from "../../src/admin/AdminApi.ts"
import { admin, ApiError } from "./Api.ts"
import { Field } from "./Field.tsx"
import { TrashIcon } from "./Icons.tsx"

interface HeaderRow {
  readonly key: number
  readonly name: string
  readonly value: string
  readonly secret: boolean
  /** A secret header already stored: an empty value keeps it. */
  readonly stored: boolean
}

interface FormState {
  readonly preset: Preset["id"]
  readonly name: string
  readonly protocol: "http" | "https"
  readonly host: string
  readonly port: string
  readonly basePath: string
  readonly format: ProviderSettings["format"]
  readonly auth: ProviderSettings["auth"]
  readonly apiKey: string
  readonly removeApiKey: boolean
  readonly timeoutSeconds: string
  /** Manual model ids, comma-separated. */
  readonly models: string
  readonly headers: ReadonlyArray<HeaderRow>
}

let rowKeys = 0

const fromPreset = (preset: Preset, name: string): FormState => ({
  preset: preset.id,
  name,
  protocol: preset.protocol,
  host: preset.host,
  port: preset.port === null ? "" : String(preset.port),
  basePath: preset.basePath,
  format: preset.format,
  auth: preset.auth,
  apiKey: "",
  removeApiKey: false,
  timeoutSeconds: "",
  models: "",
  headers: []
})

const fromProvider = (provider: ProviderJson): FormState => ({
  preset: provider.settings.preset,
  name: provider.name,
  protocol: provider.settings.protocol,
  host: provider.settings.host,
  port: provider.settings.port === null ? "" : String(provider.settings.port),
  basePath: provider.settings.basePath,
  format: provider.settings.format,
  auth: provider.settings.auth,
  apiKey: "",
  removeApiKey: false,
  timeoutSeconds: String(provider.settings.timeoutSeconds),
  models: (provider.settings.models ?? []).join(", "),
  headers: [
    ...Object.entries(provider.settings.headers).map(([name, value]) => ({ key: ++rowKeys, name, value, secret: false, stored: false })),
    ...provider.secretHeaders.map((h) => ({ key: ++rowKeys, name: h.name, value: "", secret: true, stored: h.set === true }))
  ]
})

/** `"a, b"` → `["a", "b"]`; nothing → `null` (no manual models). */
const modelList = (text: string): ReadonlyArray<string> | null => {
  const ids = text.split(",").map((id) => id.trim()).filter((id) => id !== "")
  return ids.length === 0 ? null : ids
}

const isFormat = Schema.is(ProviderSettings.fields.format)
const isAuth = Schema.is(ProviderSettings.fields.auth)

/** The settings part of a create, edit or test body. */
const settingsOf = (form: FormState): Settings & { readonly secretHeaders: ReadonlyArray<string> } => {
  const headers = form.headers.filter((h) => h.name.trim() !== "")
  return {
    protocol: form.protocol,
    host: form.host.trim(),
    port: form.port.trim() === "" ? null : Number(form.port),
    basePath: form.basePath.trim(),
    format: form.format,
    auth: form.auth,
    ...(form.timeoutSeconds.trim() === "" ? {} : { timeoutSeconds: Number(form.timeoutSeconds) }),
    models: modelList(form.models),
    headers: Object.fromEntries(headers.filter((h) => !h.secret).map((h) => [h.name.trim(), h.value])),
    secretHeaders: headers.filter((h) => h.secret).map((h) => h.name.trim())
  }
}

/** Secret header values typed in the form (empty: not given). */
const typedSecrets = (form: FormState): Record<string, string> =>
  Object.fromEntries(form.headers.filter((h) => h.secret && h.name.trim() !== "" && h.value !== "").map((h) => [h.name.trim(), h.value]))

const createBody = (form: FormState): CreateProvider => ({
  preset: form.preset,
  name: form.name.trim(),
  settings: settingsOf(form),
  ...(form.auth === "apiKey" && form.apiKey !== "" ? { apiKey: form.apiKey } : {}),
  secretHeaders: typedSecrets(form)
})

const editBody = (form: FormState, before: ProviderJson, confirmKeepSecrets: boolean): EditProvider => {
  const names = new Set(settingsOf(form).secretHeaders)
  const removed = before.secretHeaders.filter((h) => !names.has(h.name)).map((h) => [h.name, null] as const)
  return {
    name: form.name.trim(),
    settings: settingsOf(form),
    ...(form.auth === "apiKey" && form.apiKey !== "" ? { apiKey: form.apiKey } : {}),
    ...((form.removeApiKey || form.auth === "none") && before.apiKeySet && form.apiKey === "" ? { apiKey: null } : {}),
    secretHeaders: { ...Object.fromEntries(removed), ...typedSecrets(form) },
    ...(confirmKeepSecrets ? { confirmKeepSecrets: true } : {})
  }
}

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

const addressOf = (protocol: string, host: string, port: string): string => `${protocol}://${host.trim()}${port.trim() === "" ? "" : `:${port.trim()}`}`

/** The stored secrets an edit keeps (not typed anew nor removed), in words: "the API key", "the X-Token header". */
const keptSecrets = (form: FormState, before: ProviderJson): ReadonlyArray<string> => [
  ...(before.apiKeySet && form.auth === "apiKey" && form.apiKey === "" && !form.removeApiKey ? ["the API key"] : []),
  ...form.headers.filter((h) => h.secret && h.stored && h.value === "" && h.name.trim() !== "").map((h) => `the ${h.name.trim()} header`)
]

/** "a", "a and b", "a, b and c". */
const listed = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`

export interface ProviderFormProps {
  /** The provider to edit; absent to add one. */
  readonly editing?: ProviderJson
  readonly onSaved: (provider: ProviderJson) => void
  readonly onCancel: () => void
}

export function ProviderForm({ editing, onSaved, onCancel }: ProviderFormProps) {
  const [presets, setPresets] = useState<ReadonlyArray<Preset>>([])
  const [form, setForm] = useState<FormState | undefined>(editing === undefined ? undefined : fromProvider(editing))
  const [test, setTest] = useState<{ readonly running: boolean; readonly outcome?: TestOutcome; readonly error?: string }>({ running: false })
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<string | undefined>()
  // The server refused to send the stored secrets to a changed address until confirmed (409).
  const [confirmMove, setConfirmMove] = useState(false)
  // Whether "Advanced" is open; undefined: as the preset suggests (open for custom).
  const [advancedOpen, setAdvancedOpen] = useState<boolean | undefined>()
  const moveQuestion = useRef<HTMLDivElement>(null)
  // The question shows below the fold of a long form: bring it, with its buttons, into view.
  useEffect(() => {
    if (confirmMove) moveQuestion.current?.scrollIntoView({ block: "nearest" })
  }, [confirmMove])

  useEffect(() => {
    admin((api) => api.presets.list()).then((list) => {
      setPresets(list.data)
      const custom = list.data.find((p) => p.id === "custom") ?? list.data[0]
      if (editing === undefined && custom !== undefined) setForm((current) => current ?? fromPreset(custom, ""))
    }, (e: unknown) => setError(`Could not load the presets: ${messageOf(e)}`))
  }, [])

  if (form === undefined) return <p class="muted">{error ?? "Loading presets…"}</p>

  const update = (patch: Partial<FormState>) => {
    setForm({ ...form, ...patch })
    setTest({ running: false })
    setConfirmMove(false)
  }
  const updateHeader = (key: number, patch: Partial<HeaderRow>) =>
    update({ headers: form.headers.map((h) => h.key === key ? { ...h, ...patch } : h) })
  const choosePreset = (id: string) => {
    const preset = presets.find((p) => p.id === id)
    if (preset === undefined) return
    const keepName = form.name !== "" && !presets.some((p) => p.label === form.name)
    update({ ...fromPreset(preset, keepName ? form.name : preset.id === "custom" ? "" : preset.label), headers: form.headers })
    setAdvancedOpen(undefined)
  }

  const runTest = async () => {
    setTest({ running: true })
    try {
      const payload = createBody(form)
      const outcome = await admin((api) =>
        editing === undefined ? api.providers.test({ payload }) : api.providers.testStored({ params: { id: editing.id }, payload })
      )
      setTest({ running: false, outcome })
    } catch (e) {
      setTest({ running: false, error: messageOf(e) })
    }
  }

  const save = async (confirmKeepSecrets: boolean) => {
    setSaving(true)
    setError(undefined)
    try {
      const saved = editing === undefined
        ? await admin((api) => api.providers.create({ payload: createBody(form) }))
        : await admin((api) => api.providers.edit({ params: { id: editing.id }, payload: editBody(form, editing, confirmKeepSecrets) }))
      setConfirmMove(false)
      onSaved(saved)
    } catch (e) {
      if (e instanceof ApiError && e.code === "secrets_would_move") setConfirmMove(true)
      else setError(messageOf(e))
    } finally {
      setSaving(false)
    }
  }

  const title = editing === undefined ? "Add provider" : `Edit ${editing.name}`
  return (
    <form
      class="provider-form"
      aria-label={title}
      onSubmit={(event) => {
        event.preventDefault()
        void save(false)
      }}
    >
      <h3>{title}</h3>
      {editing === undefined && (
        <Field label="Preset">
          {(id) => (
            <select id={id} value={form.preset} onChange={(e) => choosePreset(e.currentTarget.value)}>
              {presets.map((p) => <option key={p.id} value={p.id}>{p.label}</option>)}
            </select>
          )}
        </Field>
      )}
      <Field label="Name">
        {(id) => (
          <input id={id} value={form.name} required placeholder="e.g. My server" onInput={(e) => update({ name: e.currentTarget.value })} />
        )}
      </Field>
      {form.auth === "apiKey" && (
        <Field label="API key" class="grow">
          {(id) => (
            <input
              id={id}
              type="password"
              autocomplete="off"
              value={form.apiKey}
              placeholder={editing?.apiKeySet ? "stored — leave empty to keep it" : "sk-…"}
              onInput={(e) => update({ apiKey: e.currentTarget.value })}
            />
          )}
        </Field>
      )}
      {editing?.apiKeySet && form.auth === "apiKey" && (
        <label class="check">
          <input type="checkbox" checked={form.removeApiKey} onChange={(e) => update({ removeApiKey: e.currentTarget.checked })} />
          Remove the stored API key
        </label>
      )}
      <details
        class="advanced"
        open={advancedOpen ?? form.preset === "custom"}
        onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}
      >
        <summary>
          Advanced <span class="muted">{addressOf(form.protocol, form.host, form.port)}{form.basePath}</span>
        </summary>
        <div class="row">
          <Field label="Protocol" class="narrow">
            {(id) => (
              <select id={id} value={form.protocol} onChange={(e) => update({ protocol: e.currentTarget.value === "http" ? "http" : "https" })}>
                <option value="https">https</option>
                <option value="http">http</option>
              </select>
            )}
          </Field>
          <Field label="Host" class="grow">
            {(id) => (
              <input id={id} value={form.host} required placeholder="api.example.com" onInput={(e) => update({ host: e.currentTarget.value })} />
            )}
          </Field>
          <Field label="Port" class="narrow">
            {(id) => (
              <input id={id} value={form.port} inputMode="numeric" placeholder="default" onInput={(e) => update({ port: e.currentTarget.value })} />
            )}
          </Field>
        </div>
        <div class="row">
          <Field label="Base path" class="grow">
            {(id) => (
              <input id={id} value={form.basePath} onInput={(e) => update({ basePath: e.currentTarget.value })} />
            )}
          </Field>
          <Field label="Format" class="wide">
            {(id) => (
              <select id={id} value={form.format} onChange={(e) => isFormat(e.currentTarget.value) && update({ format: e.currentTarget.value })}>
                <option value="openai">OpenAI Chat</option>
                <option value="anthropic">Anthropic Messages</option>
                <option value="responses">OpenAI Responses</option>
              </select>
            )}
          </Field>
        </div>
        <div class="row">
          <Field label="Authentication" class="wide">
            {(id) => (
              <select id={id} value={form.auth} onChange={(e) => isAuth(e.currentTarget.value) && update({ auth: e.currentTarget.value })}>
                <option value="none">None</option>
                <option value="apiKey">API key</option>
              </select>
            )}
          </Field>
          <Field label="Timeout (s)" class="narrow">
            {(id) => (
              <input id={id} value={form.timeoutSeconds} inputMode="numeric" placeholder="default" onInput={(e) => update({ timeoutSeconds: e.currentTarget.value })} />
            )}
          </Field>
        </div>
        <Field label="Extra model ids (comma-separated)">
          {(id) => <input id={id} value={form.models} placeholder="e.g. my-model, other-model" onInput={(e) => update({ models: e.currentTarget.value })} />}
        </Field>
        <fieldset>
          <legend>Headers</legend>
          {form.headers.length === 0 && <p class="muted">No extra headers.</p>}
          {form.headers.map((h, i) => (
            <div class="row header-row" key={h.key}>
              <Field label={`Header ${i + 1} name`} class="grow">
                {(id) => (
                  <input id={id} value={h.name} placeholder="X-Header" onInput={(e) => updateHeader(h.key, { name: e.currentTarget.value })} />
                )}
              </Field>
              <Field label={`Header ${i + 1} value`} class="grow">
                {(id) =>
                  h.secret
                    ? (
                      <input
                        id={id}
                        type="password"
                        autocomplete="off"
                        value={h.value}
                        placeholder={h.stored ? "stored — leave empty to keep it" : ""}
                        onInput={(e) => updateHeader(h.key, { value: e.currentTarget.value })}
                      />
                    )
                    : <input id={id} value={h.value} onInput={(e) => updateHeader(h.key, { value: e.currentTarget.value })} />}
              </Field>
              <label class="check">
                <input type="checkbox" checked={h.secret} disabled={h.stored} onChange={(e) => updateHeader(h.key, { secret: e.currentTarget.checked })} />
                Secret
              </label>
              <button type="button" class="icon" aria-label={`Remove header ${i + 1}`} title="Remove header" onClick={() => update({ headers: form.headers.filter((x) => x.key !== h.key) })}>
                <TrashIcon />
              </button>
            </div>
          ))}
          <button type="button" onClick={() => update({ headers: [...form.headers, { key: ++rowKeys, name: "", value: "", secret: false, stored: false }] })}>
            Add header
          </button>
        </fieldset>
      </details>
      {confirmMove && editing !== undefined && (
        <div role="alert" class="confirm" ref={moveQuestion}>
          <p>
            You changed the address from {addressOf(editing.settings.protocol, editing.settings.host, editing.settings.port === null ? "" : String(editing.settings.port))}{" "}
            to {addressOf(form.protocol, form.host, form.port)}. Saving as it is would send {listed(keptSecrets(form, editing)) || "the stored secrets"}{" "}
            stored for the old address to the new one. Type new values above, or keep the stored ones if the new address is yours too.
          </p>
          <button type="button" class="danger" onClick={() => void save(true)}>Keep the stored secrets and save</button>
          <button type="button" onClick={() => setConfirmMove(false)}>Go back</button>
        </div>
      )}
      <div class="actions">
        <button type="button" onClick={() => void runTest()} disabled={test.running}>
          {test.running ? "Testing…" : "Test connection"}
        </button>
        <span class="spacer" />
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : "Save"}</button>
      </div>
      <div role="status" aria-live="polite" class="test-result">
        {test.outcome?.ok === true && (
          <p class="ok">
            Connection works: {test.outcome.models.length} model{test.outcome.models.length === 1 ? "" : "s"}
            {test.outcome.models.length > 0 && ` (${test.outcome.models.slice(0, 5).join(", ")}${test.outcome.models.length > 5 ? ", …" : ""})`}
          </p>
        )}
        {test.outcome?.ok === false && <p class="bad">Connection failed: {test.outcome.error}</p>}
        {test.error !== undefined && <p class="bad">Could not test: {test.error}</p>}
      </div>
      {error !== undefined && <p role="alert" class="bad">{error}</p>}
    </form>
  )
}
