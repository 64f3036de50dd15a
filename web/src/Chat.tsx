/**
 * A chat with any model Switchboard serves. Models are grouped under their provider's name (local
 * models in their own group, first). Conversations are kept in this browser (Conversations.ts)
 * and listed beside the chat; each has its own model, system prompt, max tokens and temperature.
 * Switching models mid-way continues the conversation with the new model.
 *
 * What is sent always goes to the model the picker shows: when the chosen model leaves the list
 * (its provider disabled or gone), the picker shows no choice and nothing can be sent until
 * another is chosen.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import { apiJson } from "./Api.ts"
import { ChatSettingsForm } from "./ChatSettingsForm.tsx"
import { type ChatMessage, streamChat } from "./ChatStream.ts"
import { ConversationList } from "./ConversationList.tsx"
import {
  type Conversation,
  defaultSettings,
  deleteConversation,
  loadConversations,
  newConversation,
  saveConversation,
  titleFrom,
  type Turn
} from "./Conversations.ts"
import { Field } from "./Field.tsx"
import { Markdown } from "./Markdown.tsx"
import { groupModels, modelLabel } from "./ModelGroups.ts"
import { type Model, ModelList } from "./Wire.ts"

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

/** The conversation as the API takes it: the system prompt, then the turns; failed or empty answers are left out. */
const history = (conversation: Conversation, turns: ReadonlyArray<Turn>): Array<ChatMessage> => [
  ...(conversation.settings.systemPrompt.trim() === "" ? [] : [{ role: "system" as const, content: conversation.settings.systemPrompt }]),
  ...turns.filter((t) => t.role === "user" || (t.error === undefined && t.content !== "")).map((t) => ({ role: t.role, content: t.content }))
]

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`

/** "12 tokens (5 in, 7 out) · first token 0.31 s · 1.20 s", from what is known of an answer. */
const answerStats = (turn: Turn): string =>
  [
    turn.usage === undefined ? "" : `${turn.usage.total_tokens} tokens (${turn.usage.prompt_tokens} in, ${turn.usage.completion_tokens} out)`,
    turn.firstTokenMs === undefined ? "" : `first token ${seconds(turn.firstTokenMs)}`,
    turn.totalMs === undefined ? "" : `total ${seconds(turn.totalMs)}`
  ].filter((part) => part !== "").join(" · ")

function TurnView(props: { readonly turn: Turn }) {
  const t = props.turn
  return (
    <li class={`turn ${t.role}`}>
      <div class="who">{t.role === "user" ? "You" : t.answeredBy === undefined ? t.model : `${t.model} → ${t.answeredBy}`}</div>
      {t.reasoning !== "" && (
        <details class="reasoning">
          <summary>Reasoning</summary>
          <div class="reasoning-text">{t.reasoning}</div>
        </details>
      )}
      {t.content !== "" && (t.role === "user" ? <div class="content plain">{t.content}</div> : <Markdown text={t.content} />)}
      {t.streaming === true && t.content === "" && <div class="muted">…</div>}
      {t.stopped === true && <div class="muted note">Stopped.</div>}
      {t.error !== undefined && <div role="alert" class="bad note">{t.error}</div>}
      {t.role === "assistant" && t.streaming !== true && answerStats(t) !== "" && <div class="muted stats">{answerStats(t)}</div>}
    </li>
  )
}

export function Chat(props: { readonly providersRevision: number }) {
  const [models, setModels] = useState<ReadonlyArray<Model> | undefined>()
  const [modelsError, setModelsError] = useState<string | undefined>()
  const [conversations, setConversations] = useState<ReadonlyArray<Conversation>>([])
  const [currentId, setCurrentId] = useState<string | undefined>()
  const [storageError, setStorageError] = useState<string | undefined>()
  const [draft, setDraft] = useState("")
  const [showSettings, setShowSettings] = useState(false)
  const controller = useRef<AbortController | undefined>(undefined)
  const log = useRef<HTMLOListElement>(null)
  // What each conversation was when last stored, so only changed ones are written again.
  const stored = useRef(new Map<string, Conversation>())

  const current = conversations.find((c) => c.id === currentId)
  const streaming = conversations.some((c) => c.turns.some((t) => t.streaming === true))

  const loadModels = () =>
    apiJson(ModelList, "/v1/models").then((list) => {
      setModels(list.data)
      setModelsError(undefined)
    }, (e: unknown) => setModelsError(messageOf(e)))

  useEffect(() => void loadModels(), [props.providersRevision])
  useEffect(() => {
    loadConversations().then((list) => {
      for (const c of list) stored.current.set(c.id, c)
      const first = list[0] ?? newConversation("", defaultSettings)
      setConversations(list.length === 0 ? [first] : list)
      setCurrentId(first.id)
    }, (e: unknown) => {
      setStorageError(messageOf(e))
      const first = newConversation("", defaultSettings)
      setConversations([first])
      setCurrentId(first.id)
    })
    return () => controller.current?.abort()
  }, [])
  // Conversations with turns are stored once they changed and nothing streams into them.
  useEffect(() => {
    for (const c of conversations) {
      if (c.turns.length === 0 || stored.current.get(c.id) === c || c.turns.some((t) => t.streaming === true)) continue
      stored.current.set(c.id, c)
      saveConversation(c).then(() => setStorageError(undefined), (e: unknown) => setStorageError(messageOf(e)))
    }
  }, [conversations])
  // The conversation follows a streaming answer while the user is at its end; scrolled up to read,
  // it stays put. Only the list scrolls, never the page around it.
  const following = useRef(true)
  useEffect(() => {
    if (log.current !== null && following.current) log.current.scrollTop = log.current.scrollHeight
  }, [current?.turns])
  useEffect(() => {
    following.current = true
  }, [currentId])

  const patch = (id: string, change: (c: Conversation) => Conversation) =>
    setConversations((list) => list.map((c) => c.id === id ? change(c) : c))
  const patchTurn = (conversationId: string, turnId: string, change: (turn: Turn) => Partial<Turn>) =>
    patch(conversationId, (c) => ({ ...c, turns: c.turns.map((t) => t.id === turnId ? { ...t, ...change(t) } : t) }))

  const modelName = (id: string): string => {
    const model = models?.find((m) => m.id === id)
    return model === undefined ? id : modelLabel(model)
  }
  // The model a message goes to: the conversation's, only while the picker can show it.
  const selected = current !== undefined && models?.some((m) => m.id === current.model) === true ? current.model : ""
  const missing = current !== undefined && current.model !== "" && models !== undefined && selected === ""

  const send = async () => {
    const text = draft.trim()
    if (current === undefined || text === "" || selected === "" || streaming) return
    const model = selected
    const user: Turn = { id: crypto.randomUUID(), role: "user", content: text, reasoning: "" }
    const answer: Turn = { id: crypto.randomUUID(), role: "assistant", content: "", reasoning: "", model, streaming: true }
    const conversation = current
    const messages = history(conversation, [...conversation.turns, user])
    patch(conversation.id, (c) => ({
      ...c,
      title: c.renamed || c.turns.length > 0 ? c.title : titleFrom(text),
      turns: [...c.turns, user, answer],
      updated: Date.now()
    }))
    setDraft("")
    following.current = true
    const abort = new AbortController()
    controller.current = abort
    const started = performance.now()
    const arrived = (turn: Turn): Partial<Turn> => turn.firstTokenMs === undefined ? { firstTokenMs: performance.now() - started } : {}
    try {
      const usage = await streamChat(model, messages, { maxTokens: conversation.settings.maxTokens, temperature: conversation.settings.temperature }, {
        content: (delta) => patchTurn(conversation.id, answer.id, (t) => ({ ...arrived(t), content: t.content + delta })),
        reasoning: (delta) => patchTurn(conversation.id, answer.id, (t) => ({ ...arrived(t), reasoning: t.reasoning + delta })),
        routedTo: (answeredBy) => patchTurn(conversation.id, answer.id, () => ({ answeredBy }))
      }, abort.signal)
      patchTurn(conversation.id, answer.id, () => ({ streaming: false, totalMs: performance.now() - started, ...(usage === undefined ? {} : { usage }) }))
    } catch (e) {
      patchTurn(conversation.id, answer.id, () => abort.signal.aborted ? { streaming: false, stopped: true } : { streaming: false, error: messageOf(e) })
    }
  }

  const startNew = () => {
    if (current !== undefined && current.turns.length === 0) return
    const fresh = newConversation(current?.model ?? "", current?.settings ?? defaultSettings)
    setConversations((list) => [fresh, ...list.filter((c) => c.turns.length > 0)])
    setCurrentId(fresh.id)
    setDraft("")
  }
  const open = (id: string) => {
    setConversations((list) => list.filter((c) => c.id === id || c.turns.length > 0))
    setCurrentId(id)
  }
  const remove = (id: string) => {
    stored.current.delete(id)
    deleteConversation(id).catch((e: unknown) => setStorageError(messageOf(e)))
    const rest = conversations.filter((c) => c.id !== id)
    if (id !== currentId) return setConversations(rest)
    const next = rest[0] ?? newConversation(current?.model ?? "", current?.settings ?? defaultSettings)
    setConversations(rest.length === 0 ? [next] : rest)
    setCurrentId(next.id)
  }

  const groups = groupModels(models ?? [])

  return (
    <section class="panel chat" aria-labelledby="chat-title">
      <div class="panel-head">
        <h2 id="chat-title">Chat</h2>
        <Field label="Model" class="model-picker">
          {(id) => (
            <select
              id={id}
              value={selected}
              disabled={current === undefined}
              onChange={(e) => current !== undefined && patch(current.id, (c) => ({ ...c, model: e.currentTarget.value }))}
              onFocus={() => void loadModels()}
            >
              <option value="" disabled selected={selected === ""}>{models?.length === 0 ? "No models: connect a provider" : "Choose a model"}</option>
              {groups.map((g) => (
                <optgroup key={g.provider ?? ""} label={g.label}>
                  {g.models.map((m) => <option key={m.id} value={m.id}>{modelLabel(m)}</option>)}
                </optgroup>
              ))}
            </select>
          )}
        </Field>
        <button type="button" aria-expanded={showSettings} aria-controls="chat-settings" onClick={() => setShowSettings((shown) => !shown)}>
          Settings
        </button>
      </div>
      {modelsError !== undefined && <p role="alert" class="bad">Could not list the models: {modelsError}</p>}
      {storageError !== undefined && <p role="alert" class="bad">Conversations cannot be kept in this browser: {storageError}</p>}
      <div class="chat-body">
        <ConversationList
          conversations={conversations}
          current={currentId ?? ""}
          busy={streaming}
          onOpen={open}
          onNew={startNew}
          onRename={(id, title) => patch(id, (c) => ({ ...c, title, renamed: true }))}
          onDelete={remove}
        />
        <div class="chat-main">
          {showSettings && current !== undefined && (
            <div id="chat-settings">
              <ChatSettingsForm key={current.id} settings={current.settings} onChange={(settings) => patch(current.id, (c) => ({ ...c, settings }))} />
            </div>
          )}
          <ol
            class="conversation"
            ref={log}
            aria-label="Conversation"
            aria-live="polite"
            onScroll={(e) => {
              const list = e.currentTarget
              following.current = list.scrollHeight - list.scrollTop - list.clientHeight < 48
            }}
          >
            {current?.turns.length === 0 && <li class="muted empty">Pick a model and say something.</li>}
            {current?.turns.map((t) => <TurnView key={t.id} turn={t} />)}
          </ol>
          {missing && (
            <p role="alert" class="bad note">
              {modelName(current.model)} is not available now (no longer in the model list: its provider is disabled or not connected, or the virtual model was removed): choose another model to go on.
            </p>
          )}
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
                  placeholder={selected === "" ? "Choose a model first" : "Message (Enter sends, Shift+Enter for a new line)"}
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
              : <button type="submit" class="primary" disabled={selected === "" || draft.trim() === ""}>Send</button>}
          </form>
        </div>
      </div>
    </section>
  )
}
