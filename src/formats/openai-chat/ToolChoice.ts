/**
 * OpenAI `tool_choice` ↔ canonical tool choice.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-tool_choice
 */
import { Result, Schema } from "effect"
import type { ToolChoice } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"

/** A tool named in `allowed_tools`: a function, or (second member) a custom tool. */
const AllowedTool = Schema.Union([
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) }),
  OtherType(["function"])
])

/** The wire `tool_choice`. */
export const OpenAiToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) }),
  Schema.Struct({
    type: Schema.Literal("allowed_tools"),
    allowed_tools: Schema.Struct({ mode: Schema.Literals(["auto", "required"]), tools: Schema.Array(AllowedTool) })
  }),
  OtherType(["function", "allowed_tools"])
])
export type OpenAiToolChoice = typeof OpenAiToolChoice.Type

/** What we write. */
export type OpenAiToolChoiceOut =
  | "none"
  | "auto"
  | "required"
  | { readonly type: "function"; readonly function: { readonly name: string } }
  | {
    readonly type: "allowed_tools"
    readonly allowed_tools: {
      readonly mode: "auto" | "required"
      readonly tools: ReadonlyArray<{ readonly type: "function"; readonly function: { readonly name: string } }>
    }
  }

export const toCanonical = (choice: OpenAiToolChoice): Result.Result<ToolChoice, UnsupportedField> => {
  if (choice === "none") return Result.succeed({ _tag: "None" })
  if (choice === "auto") return Result.succeed({ _tag: "Auto" })
  if (choice === "required") return Result.succeed({ _tag: "Required" })
  if ("function" in choice) return Result.succeed({ _tag: "Named", name: choice.function.name })
  if ("allowed_tools" in choice) {
    const names: Array<string> = []
    for (const [i, tool] of choice.allowed_tools.tools.entries()) {
      if (!("function" in tool)) {
        return Result.fail(
          new UnsupportedField({
            param: `tool_choice.allowed_tools.tools[${i}]`,
            message: `allowed tools of type "${tool.type}" cannot be translated to another API format: only function tools`
          })
        )
      }
      names.push(tool.function.name)
    }
    if (names.length === 0) {
      return Result.fail(new UnsupportedField({ param: "tool_choice.allowed_tools.tools", message: "allowed_tools must name at least one tool" }))
    }
    return Result.succeed({ _tag: "Allowed", mode: choice.allowed_tools.mode, names })
  }
  // `custom` choices have no counterpart in the other formats.
  return Result.fail(
    new UnsupportedField({
      param: "tool_choice",
      message: `tool_choice of type "${choice.type}" cannot be translated to another API format`
    })
  )
}

export const fromCanonical = (choice: ToolChoice): OpenAiToolChoiceOut => {
  switch (choice._tag) {
    case "Auto":
      return "auto"
    case "None":
      return "none"
    case "Required":
      return "required"
    case "Named":
      return { type: "function", function: { name: choice.name } }
    case "Allowed":
      return {
        type: "allowed_tools",
        allowed_tools: { mode: choice.mode, tools: choice.names.map((name) => ({ type: "function", function: { name } })) }
      }
  }
}
