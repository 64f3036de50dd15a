/**
 * Which of a virtual model's rules a request matches. Conditions read the caller's JSON body as it
 * came (any of the three formats: the fields looked at are where each format keeps them), so a
 * pass-through request is never decoded for it; the traits are worked out only for a virtual model
 * that has rules, and only those a condition asks about.
 */
import type { ApiFormat } from "../config/RemoteConfig.ts"
import type { Condition } from "../config/VirtualModelConfig.ts"
import type { CompiledRule, TargetList, VirtualModel } from "./VirtualModels.ts"

/** What a rule may look at. */
export interface RuleInput {
  readonly format: ApiFormat
  /** The caller's parsed body. */
  readonly body: Readonly<Record<string, unknown>>
  /** The caller's headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
}

/** Content part types that carry an image, in the three formats. */
const IMAGE_PARTS = new Set(["image_url", "image", "input_image"])

/** Whether any content part anywhere in the conversation is an image. */
export const hasImages = (body: Readonly<Record<string, unknown>>): boolean => {
  const visit = (value: unknown, depth: number): boolean => {
    if (depth > 64 || typeof value !== "object" || value === null) return false
    if (Array.isArray(value)) return value.some((item) => visit(item, depth + 1))
    const type = (value as { type?: unknown }).type
    if (typeof type === "string" && IMAGE_PARTS.has(type)) return true
    for (const key in value) if (visit((value as Record<string, unknown>)[key], depth + 1)) return true
    return false
  }
  return visit(body.messages, 0) || visit(body.input, 0)
}

/** Reasoning asked for: Anthropic `thinking`, OpenAI `reasoning_effort`, Responses `reasoning.effort` (not `none`). */
export const wantsThinking = (body: Readonly<Record<string, unknown>>): boolean => {
  const thinking = body.thinking as { type?: unknown } | undefined
  if (thinking !== undefined && thinking !== null && thinking.type !== "disabled") return true
  const effort = body.reasoning_effort ?? (body.reasoning as { effort?: unknown } | undefined)?.effort
  return typeof effort === "string" && effort !== "none"
}

export const hasTools = (body: Readonly<Record<string, unknown>>): boolean => Array.isArray(body.tools) && body.tools.length > 0

/**
 * The input's size in tokens, estimated as text characters / 4 (the usual rule of thumb for
 * English; no tokenizer is loaded for a routing decision). Counts the strings of the prompt —
 * system, messages or input, tool definitions — and skips base64 data (an image is not thousands
 * of tokens of text).
 */
export const estimatedInputTokens = (body: Readonly<Record<string, unknown>>): number => {
  let chars = 0
  const visit = (value: unknown, key: string, depth: number): void => {
    if (depth > 64) return
    if (typeof value === "string") {
      if (key === "data" || key === "image_url" || key === "url" || value.startsWith("data:")) return
      chars += value.length
      return
    }
    if (typeof value !== "object" || value === null) return
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key, depth + 1)
      return
    }
    for (const name in value) visit((value as Record<string, unknown>)[name], name, depth + 1)
  }
  for (const field of ["system", "instructions", "messages", "input", "tools"]) visit(body[field], field, 0)
  return Math.ceil(chars / 4)
}

const headerValue = (headers: RuleInput["headers"], name: string): string | undefined => {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(", ") : value as string | undefined
}

export const matches = (when: Condition, input: RuleInput): boolean =>
  (when.format === undefined || when.format === input.format) &&
  (when.tools === undefined || when.tools === hasTools(input.body)) &&
  (when.thinking === undefined || when.thinking === wantsThinking(input.body)) &&
  (when.header === undefined || headerValue(input.headers, when.header.name) === when.header.value) &&
  (when.images === undefined || when.images === hasImages(input.body)) &&
  (when.minInputTokens === undefined || estimatedInputTokens(input.body) > when.minInputTokens)

/** The first rule the request matches (its targets), else the model's own targets. */
export const chooseList = (model: VirtualModel, input: RuleInput): { readonly rule: CompiledRule | undefined; readonly list: TargetList } => {
  for (const rule of model.rules) if (matches(rule.when, input)) return { rule, list: rule.list }
  return { rule: undefined, list: model.list }
}
