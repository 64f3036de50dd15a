/**
 * `$SWITCHBOARD_HOME/providers/remote.json` on disk: read, written and watched.
 *
 * - A missing file means no providers.
 * - A file that does not parse or does not match the schema is reported (path and reason: the line
 *   and column of a JSON syntax error, the path of a schema mismatch) and is never overwritten:
 *   every write reads the file first and refuses to replace a broken one, so a hand edit with a
 *   typo is never lost. `inspect` still shows what can be read from it (the providers that decode).
 * - Writes are atomic: a temporary file in the same folder, then a rename, so a crash mid-write
 *   leaves the old file or the new one, never half of one (test/faults/ConfigCrash.test.ts kills
 *   writers at random moments). The temporary file a killed writer leaves is removed at the next start.
 * - Edits are serialised across processes by `remote.json.lock` (a CLI and a server may both
 *   write), so none is lost (test/faults/ConcurrentEdits.test.ts). The lock of a killed writer is
 *   taken over, never that of a live one (`FileLock`).
 * - Unknown fields survive a rewrite (the schema keeps them), and the file never holds a secret
 *   (the schema has no field for one).
 */
import { Context, Duration, Effect, FileSystem, Layer, Path, Result, Schema, Semaphore, Stream } from "effect"
import { parse as parseTolerant, type ParseError, printParseErrorCode } from "jsonc-parser"
import * as FileLock from "./FileLock.ts"
import { configWarnings, emptyConfig, ProviderConfig, RemoteConfig } from "./RemoteConfig.ts"

/** remote.json could not be read, parsed or written. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** What the watcher saw after remote.json changed on disk. */
export type ConfigChange =
  | { readonly _tag: "Loaded"; readonly config: RemoteConfig }
  | { readonly _tag: "Invalid"; readonly error: ConfigError }

/** What remote.json holds for a reader who wants to show it, broken or not (`ConfigStore.inspect`). */
export interface ConfigReport {
  /** The configuration; for a broken file, the providers that decode on their own (none for a syntax error). */
  readonly config: RemoteConfig
  /** Why the file cannot be used, or null. */
  readonly error: ConfigError | null
  /** Keys the schema does not know, e.g. a misspelt `"protocl"`, and broken price overrides (see `configWarnings`). */
  readonly warnings: ReadonlyArray<string>
}

const decode = Schema.decodeUnknownEffect(RemoteConfig)
const decodeProvider = Schema.decodeUnknownResult(ProviderConfig)

/**
 * Where JSON text stops being JSON: `line L, column C: <what was expected>`. \`JSON.parse\` says
 * whether the text is JSON; jsonc-parser (strict mode) says where it is not, as an offset and a
 * code, so no error message is taken apart. Undefined when they disagree.
 */
export const syntaxErrorAt = (text: string): string | undefined => {
  const errors: Array<ParseError> = []
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  const first = errors[0]
  if (first === undefined) return undefined
  const before = text.slice(0, first.offset).split("\n")
  const what = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${what}`
}

/** JSON text to a value, or the line and column where it is not JSON. */
const parseJson = (text: string): Result.Result<unknown, string> => {
  try {
    return Result.succeed(JSON.parse(text))
  } catch (error) {
    return Result.fail(`not valid JSON at ${syntaxErrorAt(text) ?? String(error)}`)
  }
}

/** From a file that does not match the schema: the provider entries that do, to show something. */
const salvage = (json: unknown): RemoteConfig => {
  const entries = typeof json === "object" && json !== null && "providers" in json && Array.isArray(json.providers) ? json.providers : []
  return {
    version: 1,
    providers: entries.flatMap((entry: unknown) => Result.match(decodeProvider(entry), { onSuccess: (p) => [p], onFailure: () => [] }))
  }
}

const encode = Schema.encodeEffect(RemoteConfig)

/** `remote.json.<pid>.<time>.tmp`: a write in progress, or the leftover of a writer that was killed. */
const TEMP_FILE = /^remote\.json\.(\d+)\.[0-9a-z]+\.tmp$/

/** Held for each read-modify-write of remote.json (see `FileLock`). */
const LOCK_FILE = "remote.json.lock"

/** Many editors save in several steps (truncate, write, rename): wait for the dust to settle. */
const WATCH_DEBOUNCE = Duration.millis(150)

export class ConfigStore extends Context.Service<ConfigStore, {
  /** Absolute path of remote.json. */
  readonly path: string
  /** The configuration on disk now (empty when the file does not exist). */
  readonly load: Effect.Effect<RemoteConfig, ConfigError>
  /** What can be shown of the file now, with its error and warnings: for listings that must work while it is broken. */
  readonly inspect: Effect.Effect<ConfigReport>
  /**
   * Read-modify-write under a lock (in this process, and a lock file shared with other
   * processes), so concurrent edits never lose each other. Fails, writing nothing, when the file
   * on disk is broken.
   */
  readonly update: <E = never>(
    f: (config: RemoteConfig) => RemoteConfig | Effect.Effect<RemoteConfig, E>
  ) => Effect.Effect<RemoteConfig, ConfigError | E>
  /** Every change of the file on disk from now on, debounced; identical rewrites are skipped. */
  readonly changes: Stream.Stream<ConfigChange>
}>()("switchboard/ConfigStore") {
  static readonly layer = (options: { readonly home: string }) =>
    Layer.effect(ConfigStore, make(options))
}

const make = Effect.fnUntraced(function*(options: { readonly home: string }) {
  const fs = yield* FileSystem.FileSystem
  const path_ = yield* Path.Path
  const dir = path_.resolve(options.home, "providers")
  const file = path_.join(dir, "remote.json")
  const lock = yield* Semaphore.make(1)

  const fail = (message: string) => new ConfigError({ path: file, message })

  const readText = fs.readFileString(file).pipe(
    Effect.map((text): string | undefined => text),
    Effect.catchTag("PlatformError", (error) =>
      error.reason._tag === "NotFound" ? Effect.succeed(undefined) : Effect.fail(fail(`cannot read: ${error.message}`)))
  )

  const parse = (text: string | undefined) => {
    if (text === undefined) return Effect.succeed(emptyConfig)
    const json = parseJson(text)
    if (Result.isFailure(json)) return Effect.fail(fail(json.failure))
    return decode(json.success, { errors: "all" }).pipe(Effect.mapError((error) => fail(`not a valid configuration: ${error.message}`)))
  }

  const load = Effect.flatMap(readText, parse)

  const inspect: Effect.Effect<ConfigReport> = Effect.flatMap(Effect.result(readText), (read) => {
    if (Result.isFailure(read)) return Effect.succeed({ config: emptyConfig, error: read.failure, warnings: [] })
    return parse(read.success).pipe(Effect.match({
      onSuccess: (config): ConfigReport => ({ config, error: null, warnings: configWarnings(config) }),
      onFailure: (error): ConfigReport => {
        const json = read.success === undefined ? undefined : parseJson(read.success)
        return { config: json !== undefined && Result.isSuccess(json) ? salvage(json.success) : emptyConfig, error, warnings: [] }
      }
    }))
  })

  // A process killed between writing its temporary file and the rename leaves that file behind
  // (remote.json itself is whole). Removed at every start, unless its writer (the pid in its
  // name) still runs: a CLI and a server may write at the same time.
  const leftovers = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
  for (const name of leftovers) {
    const writer = TEMP_FILE.exec(name)?.[1]
    if (writer !== undefined && !FileLock.isRunning(Number(writer))) yield* Effect.ignore(fs.remove(path_.join(dir, name)))
  }
  // The same for the lock's own leftovers (its temporary files, claims of killed processes).
  const fileLock = yield* FileLock.make(path_.join(dir, LOCK_FILE))
  yield* fileLock.clearLeftovers

  const write = Effect.fnUntraced(function*(config: RemoteConfig) {
    const encoded = yield* encode(config).pipe(Effect.mapError((error) => fail(`refusing to write an invalid configuration: ${error.message}`)))
    const text = JSON.stringify(encoded, null, 2) + "\n"
    const temp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`
    yield* fs.makeDirectory(dir, { recursive: true })
    yield* fs.writeFileString(temp, text, { mode: 0o600 })
    yield* fs.rename(temp, file).pipe(Effect.tapError(() => Effect.ignore(fs.remove(temp))))
  }, (effect) => Effect.catchTag(effect, "PlatformError", (error) => Effect.fail(fail(`cannot write: ${error.message}`))))

  // The semaphore orders the edits of this process; the lock file those of several processes (a
  // CLI changing the files while a server writes them for admin API callers): without it each
  // reads the file, changes its copy and renames it over the other's change.
  const update = <E>(f: (config: RemoteConfig) => RemoteConfig | Effect.Effect<RemoteConfig, E>) =>
    lock.withPermits(1)(Effect.acquireUseRelease(
      fs.makeDirectory(dir, { recursive: true }).pipe(
        Effect.mapError((error) => fail(`cannot lock: ${error.message}`)),
        Effect.andThen(Effect.mapError(fileLock.acquire, (error) => fail(error.message)))
      ),
      () =>
        Effect.gen(function*() {
          const result = f(yield* load)
          const next = Effect.isEffect(result) ? yield* result : result
          yield* write(next)
          return next
        }),
      fileLock.release
    ))

  // The folder is watched, not the file: an atomic rename (ours or an editor's) replaces the file,
  // and a watch on the old inode would go quiet.
  const changes: Stream.Stream<ConfigChange> = Stream.unwrap(Effect.gen(function*() {
    yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.ignore)
    let last = yield* Effect.orElseSucceed(readText, () => undefined)
    return fs.watch(dir).pipe(
      Stream.filter((event) => path_.basename(event.path) === "remote.json"),
      Stream.debounce(WATCH_DEBOUNCE),
      Stream.mapEffect(() => Effect.result(readText)),
      Stream.filter((read) => read._tag === "Failure" || read.success !== last),
      Stream.mapEffect((read) => {
        if (read._tag === "Failure") return Effect.succeed<ConfigChange>({ _tag: "Invalid", error: read.failure })
        last = read.success
        return parse(read.success).pipe(
          Effect.match({
            onSuccess: (config): ConfigChange => ({ _tag: "Loaded", config }),
            onFailure: (error): ConfigChange => ({ _tag: "Invalid", error })
          })
        )
      }),
      // Without a watcher the gateway still runs; it just needs a restart to see hand edits.
      Stream.catch((error) => Stream.fromEffectDrain(Effect.logWarning(`cannot watch ${dir} for changes: ${error.message}`)))
    )
  }))

  return ConfigStore.of({ path: file, load, inspect, update, changes })
})
