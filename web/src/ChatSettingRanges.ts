/**
 * The ranges a chat's number settings accept, and the reading of what is typed into them: empty is
 * the model's default, a number in range is taken, anything else is not (yet) valid.
 */

export interface Range {
  readonly min: number
  readonly max: number
  readonly integer: boolean
  /** What a wrong value is told, e.g. "Temperature must be a number from 0 to 2." */
  readonly rule: string
}

export const MAX_TOKENS: Range = { min: 1, max: 10_000_000, integer: true, rule: "Max tokens must be a whole number from 1." }
export const TEMPERATURE: Range = { min: 0, max: 2, integer: false, rule: "Temperature must be a number from 0 to 2." }

/** `""` → `null` (the model's default); a number within the range → it; anything else → undefined (not valid, yet). */
export const parseSetting = (text: string, range: Range): number | null | undefined => {
  if (text.trim() === "") return null
  const value = Number(text)
  if (!Number.isFinite(value) || value < range.min || value > range.max || (range.integer && !Number.isInteger(value))) return undefined
  return value
}
