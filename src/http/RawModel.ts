/**
 * Rewriting `model` in a pass-through request body without re-serialising it.
 *
 * On pass-through the only field Switchboard changes is `model` (`provider/id` → `id`). Parsing the
 * body is needed anyway (to read `model`), but `JSON.stringify` of the parsed object would cost as
 * much again, reorder nothing yet still re-encode every string and number, and lose what a caller
 * wrote exactly (number spellings like `1.0`, escapes). So the text is kept and only the value of
 * the top-level `model` key is replaced in it.
 *
 * The scan only tracks strings and nesting depth: it runs on a text `JSON.parse` has already
 * accepted as an object, so it never has to reject anything.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a

const isWhitespace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09

/** The index just past the string literal that opens at `start` (a `"`). */
const endOfString = (text: string, start: number): number => {
  let i = start + 1
  for (;;) {
    const next = text.indexOf("\"", i)
    if (next === -1) return text.length
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0
    for (let j = next - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) backslashes++
    if (backslashes % 2 === 0) return next + 1
    i = next + 1
  }
}

/** Whether the key literal `text[start, end)` names `model` (escapes such as `mod\u0065l` included). */
const isModelKey = (text: string, start: number, end: number): boolean => {
  if (end - start === 7) return text.startsWith("\"model\"", start)
  const escape = text.indexOf("\\", start)
  return escape !== -1 && escape < end && JSON.parse(text.slice(start, end)) === "model"
}

/**
 * The `[start, end)` ranges of the value of every top-level `model` key of a JSON object text, in
 * order. JSON leaves duplicate keys undefined (`JSON.parse` takes the last, other parsers the
 * first), so all of them are reported: the rewrite then leaves no reading that routes elsewhere.
 */
export const modelValueRanges = (json: string): ReadonlyArray<readonly [number, number]> => {
  const ranges: Array<readonly [number, number]> = []
  let depth = 0
  let expectKey = false
  let valueStart = -1
  let i = 0
  const closeValue = (end: number) => {
    let e = end
    while (e > valueStart && isWhitespace(json.charCodeAt(e - 1))) e--
    ranges.push([valueStart, e])
    valueStart = -1
  }
  while (i < json.length) {
    const c = json.charCodeAt(i)
    if (c === QUOTE) {
      const end = endOfString(json, i)
      if (depth === 1 && expectKey) {
        expectKey = false
        if (isModelKey(json, i, end)) {
          let v = end
          while (isWhitespace(json.charCodeAt(v)) || json.charCodeAt(v) === COLON) v++
          valueStart = v
        }
      }
      i = end
      continue
    }
    if (c === 0x7b || c === 0x5b) { // { [
      depth++
      if (depth === 1) expectKey = true
    } else if (c === 0x7d || c === 0x5d) { // } ]
      if (depth === 1 && valueStart !== -1) closeValue(i)
      depth--
    } else if (c === COMMA && depth === 1) {
      if (valueStart !== -1) closeValue(i)
      expectKey = true
    }
    i++
  }
  return ranges
}

/**
 * `json` (a JSON object text) with every top-level `model` value replaced by the string `model`.
 * Returns the very same string when nothing changes, so callers can tell a no-op for free.
 */
export const rewriteModel = (json: string, model: string): string => {
  const ranges = modelValueRanges(json)
  const literal = JSON.stringify(model)
  if (ranges.every(([start, end]) => end - start === literal.length && json.startsWith(literal, start))) return json
  let out = ""
  let from = 0
  for (const [start, end] of ranges) {
    out += json.slice(from, start) + literal
    from = end
  }
  return out + json.slice(from)
}
