/**
 * Chat conversations, kept in this browser's IndexedDB (through `idb-keyval`), one record per
 * conversation: its turns, its model and its settings, so a user can come back to one after a
 * reload. Nothing is sent to Switchboard but the requests themselves. Records are decoded with
 * their schema when read: a record from an older page, or a hand-edited one, is skipped, not
 * trusted.
 */
import { Schema } from "effect"
import { createStore, del, entries, set } from "idb-keyval"
import { Usage } from "./Wire.ts"

export const Turn = Schema.Struct({
  id: Schema.String,
  role: Schema.Literals(["user", "assistant"]),
  content: Schema.String,
  reasoning: Schema.String,
  /** The model asked (assistant turns). */
  model: Schema.optionalKey(Schema.String),
  /** The model that answered, when Switchboard routed the request to another (a virtual model's target). */
  answeredBy: Schema.optionalKey(Schema.String),
  error: Schema.optionalKey(Schema.String),
  stopped: Schema.optionalKey(Schema.Boolean),
  /** Still arriving; never stored as such (a reload mid-stream stores it stopped). */
  streaming: Schema.optionalKey(Schema.Boolean),
  usage: Schema.optionalKey(Usage),
  /** Milliseconds from sending to the first token, and to the end. */
  firstTokenMs: Schema.optionalKey(Schema.Number),
  totalMs: Schema.optionalKey(Schema.Number)
})
export type Turn = typeof Turn.Type

/** Per-conversation request settings; `null` leaves the model's default. */
export const ChatSettings = Schema.Struct({
  systemPrompt: Schema.String,
  maxTokens: Schema.NullOr(Schema.Int),
  temperature: Schema.NullOr(Schema.Number)
})
export type ChatSettings = typeof ChatSettings.Type

export const Conversation = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  /** Named by the user: the first message no longer names it. */
  renamed: Schema.Boolean,
  model: Schema.String,
  settings: ChatSettings,
  turns: Schema.Array(Turn),
  /** Milliseconds since the epoch; the list shows the latest first. */
  updated: Schema.Number
})
export type Conversation = typeof Conversation.Type

export const defaultSettings: ChatSettings = { systemPrompt: "", maxTokens: null, temperature: null }

export const newConversation = (model: string, settings: ChatSettings): Conversation => ({
  id: crypto.randomUUID(),
  title: "New chat",
  renamed: false,
  model,
  settings,
  turns: [],
  updated: Date.now()
})

/** A title from the first message: its first line, cut at a word near 40 characters. */
export const titleFrom = (text: string): string => {
  const line = text.trim().split("\n")[0]!.trim()
  if (line.length <= 40) return line
  const cut = line.slice(0, 40)
  const space = cut.lastIndexOf(" ")
  return `${space > 20 ? cut.slice(0, space) : cut}…`
}

const store = () => createStore("switchboard-chat", "conversations")
let opened: ReturnType<typeof createStore> | undefined
const db = () => (opened ??= store())

const decode = Schema.decodeUnknownOption(Conversation)

/** Every stored conversation, the latest first. */
export const loadConversations = async (): Promise<ReadonlyArray<Conversation>> => {
  const list: Array<Conversation> = []
  for (const [, value] of await entries(db())) {
    const conversation = decode(value)
    if (conversation._tag === "Some") list.push(conversation.value)
  }
  return list.sort((a, b) => b.updated - a.updated)
}

/** Stores a conversation; a turn still streaming is stored as stopped. */
export const saveConversation = (conversation: Conversation): Promise<void> =>
  set(conversation.id, {
    ...conversation,
    turns: conversation.turns.map(({ streaming, ...turn }) => streaming === true ? { ...turn, stopped: true } : turn)
  }, db())

export const deleteConversation = (id: string): Promise<void> => del(id, db())
