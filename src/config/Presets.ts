/**
 * Provider presets: where the well-known providers live and how they authenticate, so adding one
 * takes a name and a key. `custom` is the blank form for any other host (Ollama, LM Studio and
 * Venice are custom hosts too, given here for convenience).
 */
import type { ApiFormat, AuthKind, PresetId, Protocol } from "./RemoteConfig.ts"

export interface Preset {
  readonly id: PresetId
  /** Display name, also the default provider name. */
  readonly label: string
  readonly protocol: Protocol
  /** Empty for `custom`: the user must give one. */
  readonly host: string
  readonly port?: number
  readonly basePath: string
  readonly format: ApiFormat
  readonly auth: AuthKind
}

export const presets: ReadonlyArray<Preset> = [
  { id: "openai", label: "OpenAI", protocol: "https", host: "api.openai.com", basePath: "/v1", format: "openai", auth: "apiKey" },
  { id: "anthropic", label: "Anthropic", protocol: "https", host: "api.anthropic.com", basePath: "/v1", format: "anthropic", auth: "apiKey" },
  { id: "xai", label: "xAI", protocol: "https", host: "api.x.ai", basePath: "/v1", format: "openai", auth: "apiKey" },
  { id: "openrouter", label: "OpenRouter", protocol: "https", host: "openrouter.ai", basePath: "/api/v1", format: "openai", auth: "apiKey" },
  { id: "venice", label: "Venice", protocol: "https", host: "api.venice.ai", basePath: "/api/v1", format: "openai", auth: "apiKey" },
  { id: "ollama", label: "Ollama", protocol: "http", host: "localhost", port: 11434, basePath: "/v1", format: "openai", auth: "none" },
  { id: "lmstudio", label: "LM Studio", protocol: "http", host: "localhost", port: 1234, basePath: "/v1", format: "openai", auth: "none" },
  { id: "custom", label: "Custom", protocol: "https", host: "", basePath: "/v1", format: "openai", auth: "none" }
]

const byId = new Map(presets.map((preset) => [preset.id, preset] as const))

export const presetFor = (id: PresetId): Preset => byId.get(id)!
