/**
 * A labelled form control: `<label for>` pointing at the control by a generated id, so the
 * control's accessible name is exactly the label (a select wrapped in its label would also be
 * named after its options).
 */
import type { ComponentChildren } from "preact"
import { useId } from "preact/hooks"

export function Field(props: { readonly label: ComponentChildren; readonly class?: string; readonly children: (id: string) => ComponentChildren }) {
  const id = useId()
  return (
    <div class={props.class === undefined ? "field" : `field ${props.class}`}>
      <label for={id}>{props.label}</label>
      {props.children(id)}
    </div>
  )
}
