/**
 * A conversation's settings: its system prompt, max tokens and temperature (empty: the model's
 * default). The number fields keep what is typed while it is not a number yet ("0."), and pass on
 * only numbers in range.
 */
import { useState } from "preact/hooks"
import type { ChatSettings } from "./Conversations.ts"
import { Field } from "./Field.tsx"

/** `""` → `null` (the model's default); a number within [min, max] → it; anything else → undefined (not yet valid). */
export const parseSetting = (text: string, min: number, max: number, integer: boolean): number | null | undefined => {
  if (text.trim() === "") return null
  const value = Number(text)
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) return undefined
  return value
}

const show = (value: number | null): string => value === null ? "" : String(value)

export function ChatSettingsForm(props: { readonly settings: ChatSettings; readonly onChange: (settings: ChatSettings) => void }) {
  const { settings } = props
  const [maxTokens, setMaxTokens] = useState(show(settings.maxTokens))
  const [temperature, setTemperature] = useState(show(settings.temperature))
  const maxTokensValue = parseSetting(maxTokens, 1, 10_000_000, true)
  const temperatureValue = parseSetting(temperature, 0, 2, false)
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
        <Field label="Max tokens">
          {(id) => (
            <input
              id={id}
              inputMode="numeric"
              value={maxTokens}
              placeholder="model default"
              aria-invalid={maxTokensValue === undefined}
              onInput={(e) => {
                const text = e.currentTarget.value
                setMaxTokens(text)
                const value = parseSetting(text, 1, 10_000_000, true)
                if (value !== undefined) props.onChange({ ...settings, maxTokens: value })
              }}
            />
          )}
        </Field>
        <Field label="Temperature">
          {(id) => (
            <input
              id={id}
              inputMode="decimal"
              value={temperature}
              placeholder="model default"
              aria-invalid={temperatureValue === undefined}
              onInput={(e) => {
                const text = e.currentTarget.value
                setTemperature(text)
                const value = parseSetting(text, 0, 2, false)
                if (value !== undefined) props.onChange({ ...settings, temperature: value })
              }}
            />
          )}
        </Field>
      </div>
      {(maxTokensValue === undefined || temperatureValue === undefined) && (
        <p class="bad note" role="alert">
          {maxTokensValue === undefined ? "Max tokens must be a whole number from 1. " : ""}
          {temperatureValue === undefined ? "Temperature must be a number from 0 to 2." : ""}
        </p>
      )}
    </div>
  )
}
