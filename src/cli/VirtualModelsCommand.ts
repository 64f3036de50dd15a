/**
 * `switchboard models virtual list|add|edit|remove`: virtual models (remote.json's
 * `virtualModels`) from the command line, through the running server when one answers and on
 * remote.json directly when none does (`VirtualModelBackend.choose`), as for providers.
 *
 * `add` and `edit` share their flags: `--target MODEL[=WEIGHT]` (repeatable; on `edit` it replaces
 * the list), `--strategy`, `--system`, `--description`, `--default NAME=VALUE` and `--rules-file`;
 * `edit` adds `--add-target` / `--remove-target`, and an empty value removes a field (`--system ""`,
 * `--default temperature=`, a rules file holding `[]`).
 */
import { Console, Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type Condition, Strategy, type Target } from "../config/VirtualModelConfig.ts"
import { CliFailure, operation } from "./Operation.ts"
import { urlFlag } from "./ProviderBackend.ts"
import { type Cell, type Colour, colourEnabled, renderTable } from "./Table.ts"
import {
  applyChanges,
  checkedBody,
  noChanges,
  parseDefault,
  parseTarget,
  type VirtualModelChanges,
  weightsIgnored
} from "./VirtualModelChanges.ts"
import { choose, type RouteRow, type TargetRow, type VirtualModelBackend, type VirtualModelListing } from "./VirtualModelBackend.ts"

const name = Argument.String("name").pipe(
  Argument.withDescription("The virtual model's name, used like any model id (no /: letters, digits and . _ : @ -)")
)

const fromResult = <A>(result: Result.Result<A, string>) => Effect.mapError(Effect.fromResult(result), (message) => new CliFailure({ message }))

// --- list ----------------------------------------------------------------------------------------

/** A rule's condition in a few words: `thinking, tokens>60000, header x-task=background`. */
export const conditionText = (when: Condition): string => {
  const parts: Array<string> = []
  if (when.format !== undefined) parts.push(`format=${when.format}`)
  if (when.tools !== undefined) parts.push(when.tools ? "tools" : "no tools")
  if (when.images !== undefined) parts.push(when.images ? "images" : "no images")
  if (when.thinking !== undefined) parts.push(when.thinking ? "thinking" : "no thinking")
  if (when.minInputTokens !== undefined) parts.push(`tokens>${when.minInputTokens}`)
  if (when.header !== undefined) parts.push(`header ${when.header.name}=${when.header.value}`)
  return parts.length === 0 ? "always" : parts.join(", ")
}

const seconds = (until: string | null, now: number) => {
  const left = until === null ? 0 : Math.max(0, Math.ceil((Date.parse(until) - now) / 1000))
  return `${left} s`
}

/** A failure's first words: the table stays one line a row (the whole text is in `/v1/virtual-models`). */
const FAILURE_CHARS = 60
const shortened = (text: string): string => text.length <= FAILURE_CHARS ? text : `${text.slice(0, FAILURE_CHARS - 1).trimEnd()}…`

/** What the running server says of a target now, in a few words and a colour. */
export const targetState = (target: TargetRow, now: number): Cell => {
  const live = target.live
  if (live === undefined) return { text: "" }
  const lastFailure = live.breaker.last_failure === null ? "" : `: ${shortened(live.breaker.last_failure)}`
  if (live.serves === null) {
    if (live.provider === null) return { text: "no provider serves it", colour: "red" }
    if (live.provider_state === null) return { text: `no provider ${live.provider}`, colour: "red" }
    if (live.provider_state !== "connected") return { text: `provider ${live.provider}: ${live.provider_state}`, colour: live.provider_state === "error" ? "red" : "gray" }
    return { text: `not served by ${live.provider}`, colour: "red" }
  }
  const as = live.serves === target.model ? "" : ` as ${live.serves}`
  switch (live.breaker.state) {
    case "open":
      return { text: `breaker open, retry in ${seconds(live.breaker.open_until, now)}${lastFailure}`, colour: "red" }
    case "half_open":
      return { text: `breaker half-open: next request probes${lastFailure}`, colour: "blue" }
    case "closed":
      return live.breaker.failures === 0
        ? { text: `available${as}`, colour: "green" }
        : { text: `available${as}, ${live.breaker.failures} failed in a row${lastFailure}`, colour: "green" }
  }
}

const presetsText = (row: VirtualModelListing["rows"][number]): string => [
  ...(row.system === null ? [] : ["system"]),
  ...Object.entries(row.defaults ?? {}).map(([key, value]) => `${key}=${value}`)
].join(", ")

/**
 * One line per target: the model's name, strategy and presets on its first line, a rule's name and
 * condition on its first target's line. The PRESETS, RULE and WEIGHT columns appear only when some
 * model has them; STATE only with a server (live availability and circuit breaker), last, as its
 * text can be long (the last failure's message).
 */
export const virtualModelsTable = (listing: VirtualModelListing, running: boolean, colour: boolean, now: number): string => {
  const withWeights = listing.rows.some((row) => row.strategy === "balance")
  const withRules = listing.rows.some((row) => row.routes.length > 1)
  const withPresets = listing.rows.some((row) => presetsText(row) !== "")
  const headers = [
    "NAME",
    "STRATEGY",
    ...(withPresets ? ["PRESETS"] : []),
    ...(withRules ? ["RULE"] : []),
    "TARGET",
    ...(withWeights ? ["WEIGHT"] : []),
    ...(running ? ["STATE"] : [])
  ]
  const lines: Array<Array<Cell>> = []
  for (const row of listing.rows) {
    row.routes.forEach((route: RouteRow, r) =>
      route.targets.forEach((target, t) => {
        const first = r === 0 && t === 0
        const ruleText = route.rule === undefined ? "" : `${route.rule.name}: ${conditionText(route.rule.when)}`
        lines.push([
          { text: first ? row.name : "", colour: "bold" },
          { text: first ? row.strategy : "" },
          ...(withPresets ? [{ text: first ? presetsText(row) : "" }] : []),
          ...(withRules ? [{ text: t === 0 ? ruleText : "", colour: "gray" as Colour }] : []),
          { text: target.model },
          ...(withWeights ? [{ text: row.strategy === "balance" ? String(target.weight) : "" }] : []),
          ...(running ? [targetState(target, now)] : [])
        ])
      })
    )
  }
  return renderTable(headers, lines, colour)
}

const list = Command.make("list", { url: urlFlag }, ({ url }) =>
  operation(Effect.gen(function*() {
    const backend = yield* choose(url)
    const listing = yield* backend.list
    if (listing.rows.length === 0) {
      yield* Console.log(
        `no virtual models configured${backend.running ? "" : " in remote.json (Switchboard is not running)"}: ` +
          "add one with `switchboard models virtual add <name> --target <model>`"
      )
    } else {
      yield* Console.log(virtualModelsTable(listing, backend.running, yield* colourEnabled, Date.now()))
      if (!backend.running) yield* Console.log(`Switchboard is not running (no server at ${backend.url}): targets from remote.json, no live state`)
    }
    for (const problem of listing.problems) yield* Console.error(`problem: ${problem}`)
    for (const warning of listing.warnings) yield* Console.error(`warning: ${warning}`)
  }))).pipe(
    Command.withDescription(
      "List virtual models: strategy, rules, targets (with weights for balance) and, with a server running, each target's " +
        "availability and circuit breaker. Entries left out of remote.json are named on stderr with the field at fault"
    )
  )

// --- add / edit ----------------------------------------------------------------------------------

const targetFlag = (onEdit: boolean) =>
  Flag.String("target").pipe(
    Flag.withDescription(
      "A target model as clients name it, e.g. openai/gpt-4.1, or MODEL=WEIGHT for balance (repeatable, in fallback order)" +
        (onEdit ? ": the targets given replace the whole list" : "")
    ),
    Flag.atLeast(0)
  )

/** Flags that set an entry's fields but its targets; shared by `add` and `edit`. */
const entryFlags = {
  strategy: Flag.Literals("strategy", Strategy.literals).pipe(
    Flag.withDescription("fallback: try the targets in order (the default); balance: spread requests by weight, falling over to the others"),
    Flag.optional
  ),
  system: Flag.String("system").pipe(
    Flag.withDescription("A system prompt put before the caller's own (on edit, --system \"\" removes it)"),
    Flag.optional
  ),
  description: Flag.String("description").pipe(Flag.withDescription("A note for people, in the /v1/virtual-models listing (on edit, --description \"\" removes it)"), Flag.optional),
  default: Flag.String("default").pipe(
    Flag.withDescription("A generation setting used when the caller sets none: temperature=0.2, top_p=0.9 or max_tokens=4096 (repeatable; on edit, NAME= removes it)"),
    Flag.atLeast(0)
  ),
  rulesFile: Flag.FileParse("rules-file", { format: "json" }).pipe(
    Flag.withDescription(
      "A JSON file holding the rules: [{\"name\": …, \"when\": {…}, \"targets\": […]}, …] (see README, Virtual models); it replaces " +
        "the rules, and [] removes them"
    ),
    Flag.optional
  ),
  url: urlFlag
}

type EntryFlags =
  & { readonly target: ReadonlyArray<string> }
  & { readonly [K in keyof typeof entryFlags]: (typeof entryFlags)[K] extends Flag.Flag<infer A> ? A : never }

const targetsOf = (flag: string, texts: ReadonlyArray<string>) =>
  Effect.forEach(texts, (text) => fromResult<Target>(parseTarget(flag, text)))

/** What the shared flags ask for. */
const changesOf = (flags: EntryFlags) =>
  Effect.gen(function*() {
    const targets = yield* targetsOf("--target", flags.target)
    return {
      ...noChanges,
      targets: targets.length === 0 ? undefined : targets,
      strategy: Option.getOrUndefined(flags.strategy),
      system: Option.getOrUndefined(flags.system),
      description: Option.getOrUndefined(flags.description),
      defaults: yield* Effect.forEach(flags.default, (text) => fromResult(parseDefault(text))),
      rules: Option.getOrUndefined(flags.rulesFile)
    } satisfies VirtualModelChanges
  })

/** Checks the entry as the server would, saves it, and says what is worth knowing about it. */
const save = (backend: VirtualModelBackend, name: string, entry: Readonly<Record<string, unknown>>, done: string) =>
  Effect.gen(function*() {
    const body = yield* fromResult(checkedBody(name, entry))
    const notes = yield* backend.put(name, body)
    yield* Console.log(done)
    if (weightsIgnored(body)) yield* Console.error(`note: ${name} falls back in order: weights count only with --strategy balance`)
    for (const note of notes) yield* Console.error(note)
  })

const add = Command.make("add", { name, target: targetFlag(false), ...entryFlags }, (flags) =>
  operation(Effect.gen(function*() {
    const changes = yield* changesOf(flags)
    const backend = yield* choose(flags.url)
    if (Option.isSome(yield* backend.entry(flags.name))) {
      return yield* new CliFailure({ message: `a virtual model called ${flags.name} exists: change it with \`switchboard models virtual edit ${flags.name}\`` })
    }
    // No --target: an empty list, which the check refuses as such ("at least one target").
    const entry = yield* fromResult(applyChanges(flags.name, { targets: [] }, changes))
    yield* save(backend, flags.name, entry, `added virtual model ${flags.name}`)
  }))).pipe(
    Command.withDescription(
      "Add a virtual model: a name clients use like a model id, answered by its targets. " +
        "E.g. add smart --target openai/gpt-4.1 --target anthropic/claude-sonnet-4-5 --target local/qwen3-8b; " +
        "add spread --strategy balance --target a/m=3 --target b/m=1"
    )
  )

const edit = Command.make("edit", {
  name,
  target: targetFlag(true),
  addTarget: Flag.String("add-target").pipe(
    Flag.withDescription("Append a target, MODEL or MODEL=WEIGHT (repeatable)"),
    Flag.atLeast(0)
  ),
  removeTarget: Flag.String("remove-target").pipe(
    Flag.withDescription("Remove the target with this model id (repeatable)"),
    Flag.atLeast(0)
  ),
  ...entryFlags
}, (flags) =>
  operation(Effect.gen(function*() {
    const changes: VirtualModelChanges = {
      ...(yield* changesOf(flags)),
      addTargets: yield* targetsOf("--add-target", flags.addTarget),
      removeTargets: flags.removeTarget.map((model) => model.trim())
    }
    const backend = yield* choose(flags.url)
    const current = yield* backend.entry(flags.name)
    if (Option.isNone(current)) {
      return yield* new CliFailure({ message: `no virtual model is called ${flags.name}: add it with \`switchboard models virtual add ${flags.name}\`` })
    }
    const entry = yield* fromResult(applyChanges(flags.name, current.value, changes))
    yield* save(backend, flags.name, entry, `updated virtual model ${flags.name}`)
  }))).pipe(
    Command.withDescription(
      "Change the fields given and keep the others: --target replaces the target list, --add-target / --remove-target change it; " +
        "--system \"\", --description \"\" and --default NAME= remove what they set"
    )
  )

const remove = Command.make("remove", { name, url: urlFlag }, ({ name, url }) =>
  operation(Effect.gen(function*() {
    const backend = yield* choose(url)
    yield* backend.remove(name)
    yield* Console.log(`removed virtual model ${name}`)
  }))).pipe(Command.withDescription("Remove a virtual model from remote.json"))

export const VirtualModelsCommand = Command.make("virtual").pipe(
  Command.withDescription(
    "Manage virtual models (fallback chains, load balancing, rules): through the running server when one answers, else in remote.json directly"
  ),
  Command.withSubcommands([list, add, edit, remove])
)
