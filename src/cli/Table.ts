/**
 * Plain-text tables and colour for terminal output. Colour is used only when stdout is a terminal
 * and `NO_COLOR` is not set (https://no-color.org); `FORCE_COLOR=1` turns it on for a pipe (tests,
 * `less -R`); `TERM=dumb` turns it off on a terminal. The variables are read in
 * src/config/Settings.ts.
 */
import { Config, Effect, Option } from "effect"
import * as Settings from "../config/Settings.ts"

export type Colour = "green" | "blue" | "gray" | "red" | "bold"

const CODES: Record<Colour, readonly [number, number]> = {
  green: [32, 39],
  blue: [34, 39],
  gray: [90, 39],
  red: [31, 39],
  bold: [1, 22]
}

/** The terminal conventions, as read (unset or empty: `None`). */
export interface ColourSettings {
  readonly noColor: Option.Option<string>
  readonly forceColor: Option.Option<string>
  readonly term: Option.Option<string>
}

/** Whether output to a stream (a terminal or not) may carry ANSI colour codes. */
export const colourAllowed = (isTTY: boolean, settings: ColourSettings): boolean => {
  if (Option.isSome(settings.noColor)) return false
  if (Option.isSome(settings.forceColor) && settings.forceColor.value !== "0") return true
  return isTTY && !Option.exists(settings.term, (term) => term === "dumb")
}

const colourSettings = Config.all({ noColor: Settings.noColor.config, forceColor: Settings.forceColor.config, term: Settings.term.config })

/** Whether stdout may carry colour (`colourAllowed` with the settings at hand). */
export const colourEnabled = Effect.map(colourSettings, (settings) => colourAllowed(process.stdout.isTTY === true, settings))

/** `text` wrapped in the codes of `colour` when `enabled`. */
export const paint = (text: string, colour: Colour | undefined, enabled: boolean): string => {
  if (!enabled || colour === undefined || text === "") return text
  const [open, close] = CODES[colour]
  return `\u001b[${open}m${text}\u001b[${close}m`
}

/** One table cell: its text and, optionally, its colour. */
export interface Cell {
  readonly text: string
  readonly colour?: Colour | undefined
}

/**
 * Columns padded to their widest cell (measured without colour codes), two spaces apart; the last
 * column is not padded, so a long last cell (an error text) does not push trailing blanks.
 */
export const renderTable = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<Cell | string>>,
  colour: boolean
): string => {
  const cells = rows.map((row) => row.map((cell): Cell => typeof cell === "string" ? { text: cell } : cell))
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]?.text.length ?? 0)))
  const line = (row: ReadonlyArray<Cell>) =>
    row
      .map((cell, i) => {
        const padding = i === row.length - 1 ? "" : " ".repeat(widths[i]! - cell.text.length)
        return paint(cell.text, cell.colour, colour) + padding
      })
      .join("  ")
      .trimEnd()
  return [line(headers.map((text): Cell => ({ text, colour: "bold" }))), ...cells.map(line)].join("\n")
}
