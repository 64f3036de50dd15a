/**
 * A conversation's settings: its system prompt, max tokens and temperature (empty: the model's
 * default). The number fields keep what is typed while it is not a number yet ("0."), and pass on
 * only numbers in range.
 */
import { useState } from "preact/hooks"
import type { ChatSettings } from "./Conversations.ts"
import { MAX_TOKENS, parseSetting, type Range, TEMPERATURE } from "./ChatSettingRanges.ts"
import { Field } from "./Field.tsx"

/** A number field that passes on each valid value (or `null` when emptied) and says what is wrong with the others. */
function NumberSetting(props: { readonly label: string; readonly value: number | null; readonly range: Range; readonly onValue: (value: number | null) => void }) {
  const [text, setText] = useState(props.value === null ? "" : String(props.value))
  const invalid = parseSetting(text, props.range) === undefined
  return (
    <Field label={props.label}>
      {(id) => (
        <>
          <input
            id={id}
            inputMode={props.range.integer ? "numeric" : "decimal"}
            value={text}
            placeholder="model default"
            aria-invalid={invalid}
            onInput={(e) => {
              setText(e.currentTarget.value)
              const value = parseSetting(e.currentTarget.value, props.range)
              if (value !== undefined) props.onValue(value)
            }}
          />
          {invalid && <p class="bad note" role="alert">{props.range.rule}</p>}
        </>
      )}
    </Field>
  )
}

export function ChatSettingsForm(props: { readonly settings: ChatSettings; readonly onChange: (settings: ChatSettings) => void }) {
  const { settings } = props
  return (
    <div class="chat-settings">
      <Field label="System prompt">
        {(id) => (
          <textarea
            id={id}
            rows={2}
            value={settings.systemPrompt}
            placeholder="e.g. You are a concise assistant."
            onInput={(e) => props.onChange({ ...settings, systemPrompt: e.currentTarget.value })}
          />
        )}
      </Field>
      <div class="row">
        <NumberSetting label="Max tokens" value={settings.maxTokens} range={MAX_TOKENS} onValue={(maxTokens) => props.onChange({ ...settings, maxTokens })} />
        <NumberSetting label="Temperature" value={settings.temperature} range={TEMPERATURE} onValue={(temperature) => props.onChange({ ...settings, temperature })} />
      </div>
    </div>
  )
}
