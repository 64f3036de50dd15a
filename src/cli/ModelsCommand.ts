/**
 * `switchboard models`: every model, grouped under its provider's name, as clients name them
 * (`<providerId>/<model>`); the local models last, in their own "Local" group with their states.
 * Discovered models exist only in a running server; without one, the output says so and lists
 * the models configured by hand in remote.json.
 */
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { localGroupLines } from "../local/LocalModelsView.ts"
import { operation } from "./Operation.ts"
import { choose, type ProviderRow, urlFlag } from "./ProviderBackend.ts"
import { colourEnabled, paint } from "./Table.ts"
import { VirtualModelsCommand } from "./VirtualModelsCommand.ts"

const group = (row: ProviderRow, running: boolean, colour: boolean): string => {
  const heading = `${paint(row.name, "bold", colour)} (${row.id})`
  if (row.models.length > 0) return [heading, ...row.models.map((model) => `  ${row.id}/${model}`)].join("\n")
  const why = !running ? "no manual models" : row.state === "error" ? `error: ${row.error ?? ""}` : row.state
  return `${heading}\n  ${paint(`(no models: ${why})`, row.state === "error" ? "red" : "gray", colour)}`
}

export const ModelsCommand = Command.make("models", { url: urlFlag }, ({ url }) =>
  operation(Effect.gen(function*() {
    const backend = yield* choose(url)
    const rows = yield* backend.list
    const colour = yield* colourEnabled
    const shown = backend.running ? rows : rows.filter((row) => row.models.length > 0)
    if (!backend.running && shown.length === 0) {
      return yield* Console.log(`no models to show: Switchboard is not running (no server at ${backend.url}) and remote.json lists no models by hand`)
    }
    const lines: Array<string> = []
    if (!backend.running) {
      lines.push(`Switchboard is not running (no server at ${backend.url}): showing only models configured by hand in remote.json`)
    }
    if (shown.length === 0) lines.push("no providers configured")
    for (const row of shown) lines.push(group(row, backend.running, colour))
    if (backend.running) lines.push(...(yield* localGroupLines(backend.url, colour)))
    yield* Console.log(lines.join("\n"))
  }))).pipe(
    Command.withDescription("List every model, grouped by provider (live from the running server); `models virtual` manages virtual models"),
    Command.withSubcommands([VirtualModelsCommand])
  )
