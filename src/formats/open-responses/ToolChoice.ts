/**
 * Open Responses `tool_choice` ↔ canonical tool choice. Function tools are named flat
 * (`{type: "function", name}`), unlike Chat Completions' nested `function.name`; so are the
 * tools of `allowed_tools` (`{type: "allowed_tools", mode, tools: [{type: "function", name}]}`).
 *
 * @see https://www.openresponses.org/reference (ToolChoiceParam, AllowedToolsParam)
 */
import { Result, Schema } from "effect"
import type { ToolChoice } from "../Canonical.ts"
import { UnsupportedField } from "../FormatError.ts"
import { OtherType } from "../WireSchema.ts"

/** A tool named in `allowed_tools`: a function, or (second member) a hosted tool. */
const AllowedTool = Schema.Union([
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }),
  OtherType(["function"])
])

/** The wire `tool_choice`. */
export const ResponsesToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("allowed_tools"),
    mode: Schema.optionalKey(Schema.Literals(["none", "auto", "required"])),
    tools: Schema.Array(AllowedTool)
  }),
  OtherType(["function", "allowed_tools"])
])
export type ResponsesToolChoice = typeof ResponsesToolChoice.Type

/** What we write. */
export type ResponsesToolChoiceOut =
  | "none"
  | "auto"
  | "required"
  | { readonly type: "function"; readonly name: string }
  | {
    readonly type: "allowed_tools"
    readonly mode: "auto" | "required"
    readonly tools: ReadonlyArray<{ readonly type: "function"; readonly name: string }>
  }

export const toCanonical = (choice: ResponsesToolChoice): Result.Result<ToolChoice, UnsupportedField> => {
  if (choice === "none") return Result.succeed({ _tag: "None" })
  if (choice === "auto") return Result.succeed({ _tag: "Auto" })
  if (choice === "required") return Result.succeed({ _tag: "Required" })
  if ("name" in choice) return Result.succeed({ _tag: "Named", name: choice.name })
  if ("tools" in choice) {
    const names: Array<string> = []
    for (const [i, tool] of choice.tools.entries()) {
      if (!("name" in tool)) {
        return Result.fail(
          new UnsupportedField({
            param: `tool_choice.tools[${i}]`,
            message: `the hosted tool "${tool.type}" only runs at its provider: allowed_tools can only name function tools for another API format`
          })
        )
      }
      names.push(tool.name)
    }
    // `none` among allowed tools is no tool at all; the spec's default mode is `auto`.
    if (names.length === 0) {
      return Result.fail(new UnsupportedField({ param: "tool_choice.tools", message: "allowed_tools must name at least one tool" }))
    }
    return Result.succeed(choice.mode === "none" ? { _tag: "None" } : { _tag: "Allowed", mode: choice.mode ?? "auto", names })
  }
  // Hosted-tool choices (`web_search`, `mcp`, …) have no counterpart elsewhere.
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
    case "Allowed":
      return { type: "allowed_tools", mode: choice.mode, tools: choice.names.map((name) => ({ type: "function", name })) }
  }
}
