/**
 * Anthropic `tool_choice` ↔ canonical tool choice and parallel-call permission
 * (`required` ↔ `any`, named ↔ `tool`, `parallel_tool_calls: false` ↔ `disable_parallel_tool_use`).
 *
 * @see https://docs.anthropic.com/en/api/messages#body-tool-choice
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#parallel-tool-use
 */
import { Schema } from "effect"
import type { ToolChoice } from "../Canonical.ts"

const DisableParallel = Schema.optionalKey(Schema.Boolean)

/** The wire `tool_choice`. */
export const AnthropicToolChoice = Schema.Union([
  Schema.Struct({ type: Schema.Literal("auto"), disable_parallel_tool_use: DisableParallel }),
  Schema.Struct({ type: Schema.Literal("any"), disable_parallel_tool_use: DisableParallel }),
  Schema.Struct({ type: Schema.Literal("tool"), name: Schema.String, disable_parallel_tool_use: DisableParallel }),
  Schema.Struct({ type: Schema.Literal("none") })
])
export type AnthropicToolChoice = typeof AnthropicToolChoice.Type

/** The canonical choice and parallel permission of a wire choice. */
export const toCanonical = (
  choice: AnthropicToolChoice
): { readonly toolChoice: ToolChoice; readonly parallelToolCalls: boolean | undefined } => {
  const parallelToolCalls = "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use !== undefined
    ? !choice.disable_parallel_tool_use
    : undefined
  switch (choice.type) {
    case "auto":
      return { toolChoice: { _tag: "Auto" }, parallelToolCalls }
    case "any":
      return { toolChoice: { _tag: "Required" }, parallelToolCalls }
    case "tool":
      return { toolChoice: { _tag: "Named", name: choice.name }, parallelToolCalls }
    case "none":
      return { toolChoice: { _tag: "None" }, parallelToolCalls: undefined }
  }
}

/**
 * The wire choice for a canonical choice. Forbidding parallel calls without naming a choice
 * still needs a `tool_choice` object to say it on, so it becomes `auto` (the default).
 */
export const fromCanonical = (
  choice: ToolChoice | undefined,
  parallelToolCalls: boolean | undefined
): AnthropicToolChoice | undefined => {
  const disable = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {}
  switch (choice?._tag) {
    case undefined:
      return parallelToolCalls === false ? { type: "auto", ...disable } : undefined
    case "Auto":
      return { type: "auto", ...disable }
    case "Required":
      return { type: "any", ...disable }
    case "Named":
      return { type: "tool", name: choice.name, ...disable }
    case "None":
      return { type: "none" }
  }
}
