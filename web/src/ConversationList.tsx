/**
 * The conversations kept in this browser, latest first: open one, rename it (in place: Enter
 * keeps the name, Escape drops it) or delete it (after a confirmation). The rename and delete
 * buttons show over the title on hover or focus, so titles keep the row's width.
 */
import { useState } from "preact/hooks"
import type { Conversation } from "./Conversations.ts"
import { PencilIcon, PlusIcon, TrashIcon } from "./Icons.tsx"

export interface ConversationListProps {
  readonly conversations: ReadonlyArray<Conversation>
  readonly current: string
  /** Nothing may change while an answer streams in. */
  readonly busy: boolean
  readonly onOpen: (id: string) => void
  readonly onNew: () => void
  readonly onRename: (id: string, title: string) => void
  readonly onDelete: (id: string) => void
}

function Item(props: ConversationListProps & { readonly conversation: Conversation }) {
  const { conversation: c } = props
  const [renaming, setRenaming] = useState<string | undefined>()
  const [confirming, setConfirming] = useState(false)
  const rename = () => {
    if (renaming !== undefined && renaming.trim() !== "") props.onRename(c.id, renaming.trim())
    setRenaming(undefined)
  }
  if (renaming !== undefined) {
    return (
      <li class="conversation-item renaming">
        <input
          aria-label="Conversation name"
          value={renaming}
          ref={(input) => input?.focus()}
          onInput={(e) => setRenaming(e.currentTarget.value)}
          onBlur={rename}
          onKeyDown={(e) => {
            if (e.key === "Enter") rename()
            if (e.key === "Escape") setRenaming(undefined)
          }}
        />
      </li>
    )
  }
  if (confirming) {
    return (
      <li class="conversation-item confirm" role="alertdialog" aria-label={`Delete ${c.title}?`}>
        <p>Delete “{c.title}”?</p>
        <button type="button" class="danger" onClick={() => props.onDelete(c.id)}>Delete</button>
        <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
      </li>
    )
  }
  return (
    <li class={`conversation-item${c.id === props.current ? " current" : ""}`}>
      <button
        type="button"
        class="open"
        aria-current={c.id === props.current ? "true" : undefined}
        disabled={props.busy}
        onClick={() => props.onOpen(c.id)}
        title={c.title}
      >
        {c.title}
      </button>
      <span class="item-actions">
        <button type="button" class="icon" aria-label={`Rename ${c.title}`} title="Rename" disabled={props.busy} onClick={() => setRenaming(c.title)}>
          <PencilIcon />
        </button>
        <button type="button" class="icon" aria-label={`Delete ${c.title}`} title="Delete" disabled={props.busy} onClick={() => setConfirming(true)}>
          <TrashIcon />
        </button>
      </span>
    </li>
  )
}

export function ConversationList(props: ConversationListProps) {
  return (
    <nav class="conversations" aria-label="Conversations">
      <button type="button" class="new-chat" disabled={props.busy} onClick={props.onNew}>
        <PlusIcon /> New chat
      </button>
      <ul>
        {props.conversations.map((c) => <Item key={c.id} {...props} conversation={c} />)}
      </ul>
    </nav>
  )
}
