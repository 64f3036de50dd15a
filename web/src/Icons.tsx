/** The page's icons, drawn inline (no icon font: the page loads nothing but its own files). */

const Icon = (props: { readonly d: string }) => (
  <svg class="icon-svg" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
    <path d={props.d} fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
  </svg>
)

export const PencilIcon = () => <Icon d="M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4" />

export const TrashIcon = () => <Icon d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6" />

export const PlusIcon = () => <Icon d="M12 5v14M5 12h14" />
