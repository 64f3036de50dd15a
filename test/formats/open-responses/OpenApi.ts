/**
 * The Open Responses OpenAPI document, and a checker that walks a value along a schema and lists
 * every field the spec requires that the value lacks. Deliberately small: `$ref`, `allOf`,
 * `anyOf`/`oneOf` (a `null` branch, else the branch whose `type` enum names the value's `type`),
 * `properties`/`required` and array `items` — what the response and event schemas use.
 */
import { readFileSync } from "node:fs"

type JsonSchema = {
  readonly $ref?: string
  readonly allOf?: ReadonlyArray<JsonSchema>
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly oneOf?: ReadonlyArray<JsonSchema>
  readonly type?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly properties?: { readonly [key: string]: JsonSchema }
  readonly required?: ReadonlyArray<string>
  readonly items?: JsonSchema
}

// A copy of ../shared/specs/openresponses/openapi.json (Apache-2.0, see SOURCE.txt and LICENSE beside
// it), kept in the repo so the tests run on any clone.
const SPEC_PATH = new URL("../../fixtures/specs/openresponses/openapi.json", import.meta.url)

export const openApi = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as {
  readonly components: { readonly schemas: { readonly [name: string]: JsonSchema } }
}

export const schemas = openApi.components.schemas

const resolve = (schema: JsonSchema): JsonSchema =>
  schema.$ref !== undefined ? resolve(schemas[schema.$ref.replace("#/components/schemas/", "")]!) : schema

const isObject = (value: unknown): value is { readonly [key: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The branch of a union that describes `value`, or undefined when none claims it. */
const branchFor = (branches: ReadonlyArray<JsonSchema>, value: unknown): JsonSchema | undefined => {
  const resolved = branches.map(resolve)
  if (value === null) return resolved.find((branch) => branch.type === "null")
  const candidates = resolved.filter((branch) => branch.type !== "null")
  if (isObject(value) && typeof value.type === "string") {
    const byType = candidates.find((branch) => {
      const typeSchema = branch.properties?.type ?? branch.allOf?.map(resolve).find((part) => part.properties?.type)?.properties?.type
      return typeSchema?.enum?.includes(value.type)
    })
    if (byType !== undefined) return byType
  }
  return candidates.length === 1 ? candidates[0] : candidates.find((branch) => branch.properties !== undefined || branch.allOf !== undefined) ?? candidates[0]
}

/** The paths of required fields `value` lacks, following `schema` down into objects and arrays. */
export const missingRequired = (schema: JsonSchema, value: unknown, path = "$"): ReadonlyArray<string> => {
  const resolved = resolve(schema)
  const out: Array<string> = []
  for (const part of resolved.allOf ?? []) out.push(...missingRequired(part, value, path))
  const union = resolved.anyOf ?? resolved.oneOf
  if (union !== undefined) {
    // A union none of whose branches claims the value constrains nothing here (the spec has one:
    // JsonSchemaResponseFormat.schema lists only `null`); this checker is about required fields.
    const branch = branchFor(union, value)
    if (branch !== undefined) out.push(...missingRequired(branch, value, path))
  }
  if (isObject(value)) {
    for (const key of resolved.required ?? []) if (!(key in value)) out.push(`${path}.${key}`)
    for (const [key, property] of Object.entries(resolved.properties ?? {})) {
      if (key in value) out.push(...missingRequired(property, value[key], `${path}.${key}`))
    }
  }
  if (Array.isArray(value) && resolved.items !== undefined) {
    for (const [i, item] of value.entries()) out.push(...missingRequired(resolved.items, item, `${path}[${i}]`))
  }
  return out
}

/** The streaming event schema whose `type` enum names `type`, if the spec defines one. */
export const eventSchema = (type: string): JsonSchema | undefined =>
  Object.entries(schemas).find(([name, schema]) => name.endsWith("StreamingEvent") && schema.properties?.type?.enum?.includes(type))?.[1]
