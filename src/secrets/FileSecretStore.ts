/**
 * Secrets in a file of their own, `$SWITCHBOARD_HOME/secrets.json`, for machines without a keychain
 * where a variable per provider is impractical. Chosen only on purpose (`SWITCHBOARD_SECRETS=file`),
 * never as a fallback: the values are plain text, protected only by the file's permissions, and
 * the gateway says so at start.
 *
 * - The file is `{ "version": 1, "secrets": { "<account>": "<value>" } }`, accounts as the keychain
 *   names them (`accountFor`); never remote.json, which people share and paste.
 * - Every write goes to a temporary file created with mode 0600 in the same folder, is flushed, then
 *   renamed over the old one: a reader sees the old file or the new one, never half of one, and the
 *   secrets are never readable by others, not even for a moment.
 * - A file that others may read or write (mode beyond 0600) is refused, as ssh refuses such a
 *   private key: its secrets may already be known, and the user should know it.
 * - It is read on every `get`, so a `switchboard secrets set` from another process counts at the
 *   provider's next (re)connect, as with the keychain. Writes within this process are serialised.
 */
import { Effect, Layer, Option, Redacted, Schema, Semaphore } from "effect"
import { randomBytes } from "node:crypto"
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import * as FileLock from "../config/FileLock.ts"
import * as Settings from "../config/Settings.ts"
import { accountFor, SecretStore, SecretStoreError, setCommand } from "./SecretStore.ts"

const SecretsFile = Schema.Struct({
  version: Schema.Literal(1),
  secrets: Schema.Record(Schema.String, Schema.String)
})
type SecretsFile = typeof SecretsFile.Type

const decodeFile = Schema.decodeUnknownEffect(Schema.fromJsonString(SecretsFile))

/** The file under a configuration folder. */
export const fileIn = (home: string): string => join(home, "secrets.json")

const backendFor = (path: string) => `file ${path} (SWITCHBOARD_SECRETS=file)`

/** The start-up warning: what choosing this store means. */
export const warningFor = (path: string) =>
  `SWITCHBOARD_SECRETS=file: secrets are kept as plain text in ${path}, protected only by its file permissions (0600).`

const errorCode = (cause: unknown) => typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
const describe = (cause: unknown) => cause instanceof Error ? cause.message : String(cause)

/** The store over the file at `path`. */
export const make = (path: string) =>
  Effect.gen(function*() {
    const backend = backendFor(path)
    const fail = (message: string) => new SecretStoreError({ backend, message })
    const lock = yield* Semaphore.make(1)
    // Another process (the CLI beside a running server) may change the file at the same time: each
    // read-modify-write holds the same cross-process lock remote.json uses.
    const fileLock = yield* FileLock.make(`${path}.lock`)

    const load: Effect.Effect<SecretsFile, SecretStoreError> = Effect.gen(function*() {
      const info = yield* Effect.tryPromise({ try: () => stat(path), catch: (cause) => cause }).pipe(
        Effect.map(Option.some),
        Effect.catch((cause) => errorCode(cause) === "ENOENT" ? Effect.succeed(Option.none()) : Effect.fail(fail(`cannot read ${path}: ${describe(cause)}`)))
      )
      if (Option.isNone(info)) return { version: 1, secrets: {} } as const
      if (process.platform !== "win32" && (info.value.mode & 0o077) !== 0) {
        return yield* fail(
          `${path} may be read or written by other users (mode ${(info.value.mode & 0o777).toString(8)}): its secrets may be known; ` +
            `run \`chmod 600 ${path}\` once you have replaced any that were exposed`
        )
      }
      const text = yield* Effect.tryPromise({ try: () => readFile(path, "utf8"), catch: (cause) => fail(`cannot read ${path}: ${describe(cause)}`) })
      // Never the parser's message: it may quote part of the file, which is secrets.
      return yield* Effect.mapError(decodeFile(text), () => fail(`${path} is not a secrets file ({"version": 1, "secrets": {…}}): fix or remove it`))
    })

    const save = (file: SecretsFile) =>
      Effect.tryPromise({
        try: async () => {
          await mkdir(dirname(path), { recursive: true })
          const temporary = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`
          const handle = await open(temporary, "wx", 0o600)
          try {
            await handle.writeFile(JSON.stringify(file, null, 2) + "\n")
            await handle.sync()
          } finally {
            await handle.close()
          }
          try {
            await rename(temporary, path)
          } catch (cause) {
            await rm(temporary, { force: true })
            throw cause
          }
        },
        catch: (cause) => fail(`cannot write ${path}: ${describe(cause)}`)
      })

    const change = (f: (secrets: Record<string, string>) => boolean) =>
      lock.withPermits(1)(fileLock.withLock(Effect.gen(function*() {
        yield* Effect.tryPromise({ try: () => mkdir(dirname(path), { recursive: true }), catch: (cause) => fail(`cannot write ${path}: ${describe(cause)}`) })
        const file = yield* load
        const secrets = { ...file.secrets }
        if (f(secrets)) yield* save({ version: 1, secrets })
      })).pipe(Effect.catchTag("FileLockError", (error) => Effect.fail(fail(error.message)))))

    return SecretStore.of({
      kind: "file",
      backend,
      unavailable: null,
      notice: warningFor(path),
      writable: true,
      howToSet: setCommand,
      get: (providerId, name) =>
        Effect.map(load, (file) => Option.map(Option.fromNullishOr(file.secrets[accountFor(providerId, name)]), Redacted.make)),
      set: (providerId, name, value) =>
        change((secrets) => {
          secrets[accountFor(providerId, name)] = Redacted.value(value)
          return true
        }),
      delete: (providerId, name) =>
        change((secrets) => {
          const account = accountFor(providerId, name)
          if (!(account in secrets)) return false
          delete secrets[account]
          return true
        })
    })
  })

/** The store in `$SWITCHBOARD_HOME/secrets.json`. */
export const layer = Layer.effect(SecretStore, Effect.flatMap(Settings.home.config, (home) => make(fileIn(home)))).pipe(
  Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
)
