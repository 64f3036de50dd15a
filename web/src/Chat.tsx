/**
 * A chat with any model Switchboard serves, to try a provider out. Models are grouped under their
 * provider's name (local models in their own group, first). The conversation lives in this
 * component's state, so switching models mid-way continues it with the new model.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import { apiJson } from "./Api.ts"
import { type ChatMessage, streamChat } from "./ChatStream.ts"
import { Field } from "./Field.tsx"
import { groupModels } from "./ModelGroups.ts"
import { type Model, ModelList } from "./Wire.ts"

interface Turn {
  readonly id: number
  readonly role: "user" | "assistant"
  readonly content: string
  readonly reasoning: string
  /** The model that answered (assistant turns). */
  readonly model?: string
  readonly error?: string
  readonly stopped?: boolean
  readonly streaming?: boolean
}

let turnIds = 0

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

/** The conversation as the API takes it: failed or empty answers are left out. */
const history = (turns: ReadonlyArray<Turn>): Array<ChatMessage> =>
  turns.filter((t) => t.role === "user" || (t.error === undefined && t.content !== "")).map((t) => ({ role: t.role, content: t.content }))

export function Chat(props: { readonly providersRevision: number }) {
  const [models, setModels] = useState<ReadonlyArray<Model>>([])
  const [modelsError, setModelsError] = useState<string | undefined>()
  const [model, setModel] = useState("")
  const [turns, setTurns] = useState<ReadonlyArray<Turn>>([])
  const [draft, setDraft] = useState("")
  const controller = useRef<AbortController | undefined>(undefined)
  const log = useRef<HTMLOListElement>(null)
  const streaming = turns.some((t) => t.streaming === true)

  const loadModels = () =>
    apiJson(ModelList, "/v1/models").then((list) => {
      setModels(list.data)
      setModelsError(undefined)
    }, (e: unknown) => setModelsError(messageOf(e)))

  useEffect(() => void loadModels(), [props.providersRevision])
  useEffect(() => () => controller.current?.abort(), [])
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: "end" })
  }, [turns])

  const patchTurn = (id: number, patch: (turn: Turn) => Partial<Turn>) =>
    setTurns((list) => list.map((t) => t.id === id ? { ...t, ...patch(t) } : t))

  const send = async () => {
    const text = draft.trim()
    if (text === "" || model === "" || streaming) return
    const user: Turn = { id: ++turnIds, role: "user", content: text, reasoning: "" }
    const answer: Turn = { id: ++turnIds, role: "assistant", content: "", reasoning: "", model, streaming: true }
    const messages = history([...turns, user])
    setTurns((list) => [...list, user, answer])
    setDraft("")
    const abort = new AbortController()
    controller.current = abort
    try {
      await streamChat(model, messages, {
        content: (delta) => patchTurn(answer.id, (t) => ({ content: t.content + delta })),
        reasoning: (delta) => patchTurn(answer.id, (t) => ({ reasoning: t.reasoning + delta }))
      }, abort.signal)
      patchTurn(answer.id, () => ({ streaming: false }))
    } catch (e) {
      patchTurn(answer.id, () => abort.signal.aborted ? { streaming: false, stopped: true } : { streaming: false, error: messageOf(e) })
    }
  }

  const groups = groupModels(models)
  const known = models.some((m) => m.id === model)

  return (
    <section class="panel chat" aria-labelledby="chat-title">
      <div class="panel-head">
        <h2 id="chat-title">Chat</h2>
        <Field label="Model" class="model-picker">
          {(id) => (
            <select id={id} value={known ? model : ""} onChange={(e) => setModel(e.currentTarget.value)} onFocus={() => void loadModels()}>
              <option value="" disabled selected={!known}>{models.length === 0 ? "No models: connect a provider" : "Choose a model"}</option>
              {groups.map((g) => (
                <optgroup key={g.provider} label={g.label}>
                  {g.models.map((m) => <option key={m.id} value={m.id}>{m.upstream_id}</option>)}
                </optgroup>
              ))}
            </select>
          )}
        </Field>
        <button type="button" onClick={() => setTurns([])} disabled={turns.length === 0 || streaming}>Clear</button>
      </div>
      {modelsError !== undefined && <p role="alert" class="bad">Could not list the models: {modelsError}</p>}
      <ol class="conversation" ref={log} aria-label="Conversation" aria-live="polite">
        {turns.length === 0 && <li class="muted empty">Pick a model and say something.</li>}
        {turns.map((t) => (
          <li key={t.id} class={`turn ${t.role}`}>
            <div class="who">{t.role === "user" ? "You" : t.model}</div>
            {t.reasoning !== "" && (
              <details class="reasoning">
                <summary>Reasoning</summary>
                <div class="reasoning-text">{t.reasoning}</div>
              </details>
            )}
            {t.content !== "" && <div class="content">{t.content}</div>}
            {t.streaming === true && t.content === "" && <div class="muted">…</div>}
            {t.stopped === true && <div class="muted note">Stopped.</div>}
            {t.error !== undefined && <div role="alert" class="bad note">{t.error}</div>}
          </li>
        ))}
      </ol>
      <form
        class="composer"
        onSubmit={(event) => {
          event.preventDefault()
          void send()
        }}
      >
        <Field label={<span class="visually-hidden">Message</span>} class="grow">
          {(id) => (
            <textarea
              id={id}
              value={draft}
              rows={3}
              placeholder={model === "" ? "Choose a model first" : "Message (Enter sends, Shift+Enter for a new line)"}
              onInput={(e) => setDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && !e.shiftKey) {
                  e.preventDefault()
                  void send()
                }
              }}
            />
          )}
        </Field>
        {streaming
          ? <button type="button" class="danger" onClick={() => controller.current?.abort()}>Stop</button>
          : <button type="submit" class="primary" disabled={model === "" || draft.trim() === ""}>Send</button>}
      </form>
    </section>
  )
}
