/**
 * How the command line presents help and mistakes, on top of effect/cli's own formatter:
 *
 * - Help shows the command's own flags, arguments and subcommands first; effect/cli's global
 *   flags (`--help`, `--version`, `--log-level`, …) come last, in full on `switchboard --help`
 *   and as a one-line pointer elsewhere, so a command's help starts with what is particular to it.
 * - A mistake (an unknown subcommand or flag, a missing argument) prints the error first, then a
 *   short usage and where the full help is, all on stderr — not the whole help screen with the
 *   error last, where it scrolls out of sight.
 *
 * Colour follows the same rules as the tables (`colourEnabled`: NO_COLOR, FORCE_COLOR, a terminal).
 */
import { Console, Effect, Layer, Option } from "effect"
import { CliOutput, type HelpDoc } from "effect/cli"
import { colourEnabled, paint } from "./Table.ts"

/** The global flags as a two-column section (the shape of effect/cli's own flag sections). */
const globalFlagsSection = (flags: ReadonlyArray<HelpDoc.FlagDoc>, colour: boolean): string => {
  const rows = flags.map((flag) => [
    [`--${flag.name}`, ...flag.aliases].join(", ") + (flag.type === "boolean" ? "" : ` ${flag.type}`),
    Option.getOrElse(flag.description, () => "")
  ] as const)
  const width = Math.max(...rows.map(([names]) => names.length)) + 4
  return [paint("GLOBAL FLAGS", "bold", colour), ...rows.map(([names, description]) => `  ${names.padEnd(width)}${description}`)].join("\n")
}

/** `--help, -h, --version, -v, …`: the names alone, for the pointer under a command's help. */
const globalFlagNames = (flags: ReadonlyArray<HelpDoc.FlagDoc>) => flags.map((flag) => `--${flag.name}`).join(", ")

/** effect/cli's formatter with the global flags moved after everything the command declares. */
export const formatter = (colour: boolean): CliOutput.Formatter => {
  const base = CliOutput.defaultFormatter({ colors: colour })
  return {
    ...base,
    formatHelpDoc: (doc) => {
      const own = base.formatHelpDoc({ ...doc, globalFlags: [] }).trimEnd()
      const globals = doc.globalFlags ?? []
      if (globals.length === 0) return own
      const root = doc.commandPath === undefined || doc.commandPath.length <= 1
      return root
        ? `${own}\n\n${globalFlagsSection(globals, colour)}`
        : `${own}\n\nGlobal flags (${globalFlagNames(globals)}): see \`${doc.commandPath?.[0] ?? "switchboard"} --help\``
    }
  }
}

/** A mistake on the command line: the error, then the usage line and where the full help is. */
export const invalidInvocation = (formatter: CliOutput.Formatter, event: CliOutput.Presenter.InvalidInvocation): string => {
  const subcommands = (event.helpDoc.subcommands ?? []).flatMap((group) => group.commands.map((command) => command.name))
  return [
    formatter.formatErrors(event.errors).replace(/^\n+/, ""),
    "",
    `usage: ${event.helpDoc.usage}`,
    ...(subcommands.length === 0 ? [] : [`subcommands: ${subcommands.join(", ")}`]),
    `help: ${event.commandPath.join(" ")} --help`
  ].join("\n")
}

const presenter = (formatter: CliOutput.Formatter): CliOutput.Presenter => ({
  present: (event) => {
    switch (event._tag) {
      case "Help":
        return Console.log(formatter.formatHelpDoc(event.helpDoc))
      case "InvalidInvocation":
        return Console.error(invalidInvocation(formatter, event))
      case "Version":
        return Console.log(formatter.formatVersion(event.name, event.version))
    }
  }
})

/** The formatter and presenter above, for `Command.run`. */
export const layer = Layer.unwrap(Effect.map(
  Effect.orElseSucceed(colourEnabled, () => false),
  (colour) => {
    const format = formatter(colour)
    return Layer.merge(CliOutput.layer(format), CliOutput.layerPresenter(presenter(format)))
  }
))
