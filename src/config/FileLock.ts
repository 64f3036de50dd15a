/**
 * A lock file shared by processes (a CLI and a server editing remote.json), that is never taken
 * from a live holder and is not left blocked by a dead one.
 *
 * - The lock is a file holding its holder's token, `<pid>-<random>`: never the same twice. It is
 *   written to a temporary file first and hard-linked into place, and a link fails when the path
 *   exists, so taking it is one atomic step and the lock is never seen half-written.
 * - Its holder removes it when done, after checking it still holds its own token.
 * - A lock whose process is gone (killed before it could remove it) is stale. Removing a stale lock
 *   is the dangerous step: two processes that both find it stale must not both remove "it", since
 *   the second would remove the lock the first has just taken (the bug of the usual
 *   check-then-delete, and of proper-lockfile and npm's lockfile). So removing it needs a claim,
 *   `<lock>.<stale token>.claim`, taken the same atomic way: of all the processes that found that
 *   token stale, only the claim's holder removes the lock, and only if the lock still holds that
 *   token when it looks again under its claim. Tokens are never reused, so the lock it removes is
 *   the dead one, never a newer one. A claim whose claimer died is itself cleared the same way.
 *
 * Liveness is `kill(pid, 0)`, so the lock is for processes of one machine (one pid namespace).
 * test/config/FileLock.test.ts races real processes over stale locks.
 */
import { Effect, FileSystem, Option, Path, Schedule, Schema } from "effect"
import type { PlatformError } from "effect/PlatformError"
import { randomBytes } from "node:crypto"

/** The lock could not be taken: held by a live process for as long as we waited, or a file error. */
export class FileLockError extends Schema.TaggedError<FileLockError>()("FileLockError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** A live holder, while we wait (internal: retried, then a `FileLockError`). */
class Held extends Schema.TaggedError<Held>()("Held", { holder: Schema.String }) {}

/** How long to wait for a live holder: about 10 s (an edit takes milliseconds). */
const WAIT = Schedule.spaced("10 millis")
const ATTEMPTS = 1000

/** A token for one holding of a lock or claim: this process, and a random part. */
const newToken = () => `${process.pid}-${randomBytes(8).toString("hex")}`

/** The pid a token names, if it names one. */
const pidOf = (token: string): Option.Option<number> => {
  const pid = Number(token.split("-")[0])
  return Number.isSafeInteger(pid) && pid > 0 ? Option.some(pid) : Option.none()
}

/** Whether a process runs (signal 0 only checks; EPERM means it runs as another user). */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A token whose process is gone. One that names no pid (not ours) is never judged dead. */
const isDead = (token: string) => Option.match(pidOf(token), { onNone: () => false, onSome: (pid) => !isRunning(pid) })

/** `<lock>.<pid>-<random>.tmp`: a token being written, or the leftover of a process killed meanwhile. */
const TEMP_FILE = /\.(\d+)-[0-9a-f]+\.tmp$/
/** `<lock>.<token>.claim`: a claim on the stale lock (or claim) that holds `<token>`. */
const CLAIM_FILE = /\.([^.]+)\.claim$/

export const make = Effect.fnUntraced(function*(lockPath: string) {
  const fs = yield* FileSystem.FileSystem
  const path_ = yield* Path.Path

  const ignoreNotFound = (effect: Effect.Effect<void, PlatformError>) =>
    Effect.catchTag(effect, "PlatformError", (error) => error.reason._tag === "NotFound" ? Effect.void : Effect.fail(error))

  /** The token in `path`, or none when there is no such file. */
  const readToken = (path: string) =>
    fs.readFileString(path).pipe(
      Effect.map((text) => Option.some(text.trim())),
      Effect.catchTag("PlatformError", (error) => error.reason._tag === "NotFound" ? Effect.succeed(Option.none<string>()) : Effect.fail(error))
    )

  /** Creates `path` holding `token`, whole, unless it exists: whether it did. */
  const createWith = (path: string, token: string) => {
    const temp = `${lockPath}.${token}.tmp`
    return Effect.acquireUseRelease(
      fs.writeFileString(temp, token, { flag: "wx", mode: 0o600 }),
      () =>
        fs.link(temp, path).pipe(
          Effect.as(true),
          Effect.catchTag("PlatformError", (error) => error.reason._tag === "AlreadyExists" ? Effect.succeed(false) : Effect.fail(error))
        ),
      () => Effect.ignore(fs.remove(temp))
    )
  }

  /**
   * Removes `path` if it still holds `stale`, a token whose process is gone, unless another
   * process is doing so (see the module comment). Returns once the attempt is over either way:
   * the caller looks at the lock again.
   */
  const removeStale = (path: string, stale: string): Effect.Effect<void, PlatformError> =>
    Effect.gen(function*() {
      const claim = `${lockPath}.${stale}.claim`
      const mine = newToken()
      if (yield* createWith(claim, mine)) {
        const current = yield* readToken(path)
        if (Option.contains(current, stale)) yield* ignoreNotFound(fs.remove(path))
        yield* ignoreNotFound(fs.remove(claim))
        return
      }
      // Someone else claimed it: if that claimer died too, clear its claim; the next look decides.
      const claimer = yield* readToken(claim)
      if (Option.isSome(claimer) && isDead(claimer.value)) yield* removeStale(claim, claimer.value)
    })

  /** One attempt: the lock is now ours, or `Held` names its current holder. */
  const attempt = (mine: string) =>
    Effect.gen(function*() {
      if (yield* createWith(lockPath, mine)) return
      const holder = yield* readToken(lockPath)
      if (Option.isSome(holder) && isDead(holder.value)) {
        yield* removeStale(lockPath, holder.value)
        if (yield* createWith(lockPath, mine)) return
      }
      const pid = Option.flatMap(holder, pidOf)
      return yield* new Held({ holder: Option.match(pid, { onNone: () => "?", onSome: String }) })
    })

  const acquire = Effect.suspend(() => {
    const mine = newToken()
    return attempt(mine).pipe(
      Effect.retry({ schedule: WAIT, times: ATTEMPTS, while: (error) => error._tag === "Held" }),
      Effect.as(mine),
      Effect.catchTags({
        Held: (held) =>
          Effect.fail(new FileLockError({
            path: lockPath,
            message: `${lockPath} is held by process ${held.holder}: remove it if that process is not a Switchboard`
          })),
        PlatformError: (error) => Effect.fail(new FileLockError({ path: lockPath, message: `cannot lock ${lockPath}: ${error.message}` }))
      })
    )
  })

  // Only ever our own token: a live holder's lock is never removed by anyone else. Never fails:
  // a lock that cannot be removed is left to be taken over once this process is gone.
  const release = (mine: string) =>
    Effect.ignore(Effect.flatMap(readToken(lockPath), (current) => Option.contains(current, mine) ? ignoreNotFound(fs.remove(lockPath)) : Effect.void))

  /**
   * Removes what killed processes left beside the lock: temporary token files, and claims on
   * locks gone since (a claim still needed is cleared by `removeStale` itself, never blindly).
   */
  const dir = path_.dirname(lockPath)
  const lockName = path_.basename(lockPath)
  const clearLeftovers = fs.readDirectory(dir).pipe(
    Effect.orElseSucceed((): ReadonlyArray<string> => []),
    Effect.flatMap((names) => Effect.forEach(names, (name) =>
      Effect.gen(function*() {
        if (!name.startsWith(`${lockName}.`)) return
        const path = path_.join(dir, name)
        const writer = TEMP_FILE.exec(name)?.[1]
        if (writer !== undefined && !isRunning(Number(writer))) return yield* ignoreNotFound(fs.remove(path))
        if (CLAIM_FILE.test(name)) {
          const claimer = yield* readToken(path)
          if (Option.isSome(claimer) && isDead(claimer.value)) yield* removeStale(path, claimer.value)
        }
      }), { discard: true })),
    Effect.ignore
  )

  return {
    path: lockPath,
    /** Takes the lock, returning this holding's token; waits about 10 s for a live holder, then fails naming the lock file. */
    acquire,
    /** Gives back the lock taken with `token`. */
    release,
    /**
     * The takeover step: removes the lock if it still holds `stale`, a token whose process is
     * gone, unless another process is removing it. Safe however late it comes: it never removes
     * a lock taken since.
     */
    removeStale: (stale: string) => removeStale(lockPath, stale),
    /** `use` while holding the lock. */
    withLock: <A, E, R>(use: Effect.Effect<A, E, R>): Effect.Effect<A, E | FileLockError, R> =>
      Effect.acquireUseRelease(acquire, () => use, release),
    /** Clears what killed processes left beside the lock (never fails: leftovers are only litter). */
    clearLeftovers
  }
})
