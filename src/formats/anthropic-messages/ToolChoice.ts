/**
 * Anthropic `tool_choice` ↔ canonical tool choice and parallel-call permission
 * (`required` ↔ `any`, named ↔ `tool`, `parallel_tool_calls: false` ↔ `disable_parallel_tool_use`).
 * Anthropic has no allowed-tools choice: the request then carries only the allowed tools
 * (`toolsFor`), with `auto` or (mode `required`) `any`.
 *
 * @see https://docs.anthropic.com/en/api/messages#body-tool-choice
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#parallel-tool-use
 */
import { Result, Schema } from "effect"
import type { ToolChoice } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"

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
    case "Allowed":
      return { type: choice.mode === "required" ? "any" : "auto", ...disable }
    case "Named":
      return { type: "tool", name: choice.name, ...disable }
    case "None":
      return { type: "none" }
  }
}

/**
 * The tools to send for a choice: all of them, or for an allowed-tools choice only those it
 * names. An allowed tool the request does not define is refused: Anthropic would otherwise be
 * asked to call a tool from a list it never sees.
 */
export const toolsFor = <T extends { readonly name: string }>(
  tools: ReadonlyArray<T>,
  choice: ToolChoice | undefined
): Result.Result<ReadonlyArray<T>, UnsupportedField> => {
  if (choice?._tag !== "Allowed") return Result.succeed(tools)
  const missing = choice.names.find((name) => !tools.some((tool) => tool.name === name))
  if (missing !== undefined) {
    return Result.fail(
      new UnsupportedField({
        param: "tool_choice",
        message: `the allowed tool "${missing}" is not one of the request's tools`,
        target: "anthropic-messages"
      })
    )
  }
  return Result.succeed(tools.filter((tool) => choice.names.includes(tool.name)))
}
