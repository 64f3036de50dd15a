/**
 * A virtual model's presets applied to the caller's body, in the caller's format, before it is
 * passed through or translated: its `system` prompt goes before the caller's own, where the format
 * keeps instructions (a first `system` message for chat completions, the `system` field for
 * Anthropic, `instructions` for Responses); its `defaults` fill the settings the caller left out,
 * under each format's own name for them. The caller's values always win.
 */
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { Defaults } from "../config/VirtualModelConfig.ts"

type Body = Readonly<Record<string, unknown>>

/** Where each format keeps the output limit (chat completions has two names: either counts as set). */
const MAX_TOKENS: Record<ApiFormat, ReadonlyArray<string>> = {
  openai: ["max_completion_tokens", "max_tokens"],
  anthropic: ["max_tokens"],
  responses: ["max_output_tokens"]
}

const withSystem = (format: ApiFormat, body: Body, system: string): Record<string, unknown> => {
  switch (format) {
    case "openai": {
      const messages = Array.isArray(body.messages) ? body.messages : []
      return { ...body, messages: [{ role: "system", content: system }, ...messages] }
    }
    case "anthropic": {
      const own = body.system
      if (own === undefined || own === null || own === "") return { ...body, system }
      if (typeof own === "string") return { ...body, system: `${system}\n\n${own}` }
      if (Array.isArray(own)) return { ...body, system: [{ type: "text", text: system }, ...own] }
      return { ...body }
    }
    case "responses": {
      const own = body.instructions
      return { ...body, instructions: typeof own === "string" && own !== "" ? `${system}\n\n${own}` : system }
    }
  }
}

/** The body with the presets applied (a new object; the caller's is not touched). */
export const applyPresets = (format: ApiFormat, body: Body, presets: { readonly system?: string | undefined; readonly defaults?: Defaults | undefined }): Record<string, unknown> => {
  const out = presets.system !== undefined && presets.system !== "" ? withSystem(format, body, presets.system) : { ...body }
  const defaults = presets.defaults
  if (defaults === undefined) return out
  if (defaults.temperature !== undefined && out.temperature == null) out.temperature = defaults.temperature
  if (defaults.top_p !== undefined && out.top_p == null) out.top_p = defaults.top_p
  const limits = MAX_TOKENS[format]
  if (defaults.max_tokens !== undefined && limits.every((name) => out[name] == null)) out[limits[0]!] = defaults.max_tokens
  return out
}

/** Whether a virtual model has presets to apply (else the caller's body goes on untouched, as text). */
export const hasPresets = (presets: { readonly system?: string | undefined; readonly defaults?: Defaults | undefined }): boolean =>
  (presets.system !== undefined && presets.system !== "") || (presets.defaults !== undefined && Object.keys(presets.defaults).length > 0)
