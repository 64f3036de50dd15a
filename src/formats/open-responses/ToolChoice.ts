/**
 * Open Responses `tool_choice` ↔ canonical tool choice. Function tools are named flat
 * (`{type: "function", name}`), unlike Chat Completions' nested `function.name`.
 *
 * @see https://www.openresponses.org/reference (ToolChoiceParam)
 */
import { Result, Schema } from "effect"
import type { ToolChoice } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"

/** The wire `tool_choice`. */
export const ResponsesToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }),
  OtherType(["function"])
])
export type ResponsesToolChoice = typeof ResponsesToolChoice.Type

/** What we write. */
export type ResponsesToolChoiceOut = "none" | "auto" | "required" | { readonly type: "function"; readonly name: string }

export const toCanonical = (choice: ResponsesToolChoice): Result.Result<ToolChoice, UnsupportedField> => {
  if (choice === "none") return Result.succeed({ _tag: "None" })
  if (choice === "auto") return Result.succeed({ _tag: "Auto" })
  if (choice === "required") return Result.succeed({ _tag: "Required" })
  if ("name" in choice) return Result.succeed({ _tag: "Named", name: choice.name })
  // `allowed_tools` and hosted-tool choices (`web_search`, `mcp`, …) have no counterpart elsewhere.
  return Result.fail(
    new UnsupportedField({
      param: "tool_choice",
      message: `tool_choice of type "${choice.type}" cannot be translated to another API format`
    })
  )
}

export const fromCanonical = (choice: ToolChoice): ResponsesToolChoiceOut => {
  switch (choice._tag) {
    case "Auto":
      return "auto"
    case "None":
      return "none"
    case "Required":
      return "required"
    case "Named":
      return { type: "function", name: choice.name }
  }
}
