/**
 * OpenAI `tool_choice` ↔ canonical tool choice.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-tool_choice
 */
import { Result, Schema } from "effect"
import type { ToolChoice } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"

/** The wire `tool_choice`. */
export const OpenAiToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) }),
  OtherType(["function"])
])
export type OpenAiToolChoice = typeof OpenAiToolChoice.Type

/** What we write. */
export type OpenAiToolChoiceOut = "none" | "auto" | "required" | { readonly type: "function"; readonly function: { readonly name: string } }

export const toCanonical = (choice: OpenAiToolChoice): Result.Result<ToolChoice, UnsupportedField> => {
  if (choice === "none") return Result.succeed({ _tag: "None" })
  if (choice === "auto") return Result.succeed({ _tag: "Auto" })
  if (choice === "required") return Result.succeed({ _tag: "Required" })
  if ("function" in choice) return Result.succeed({ _tag: "Named", name: choice.function.name })
  // `allowed_tools` and `custom` choices have no counterpart in the other formats.
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
  }
}
