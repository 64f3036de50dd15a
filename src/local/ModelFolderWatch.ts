/**
 * Tells `LocalModels` when the model folders change, so a model file dropped in (or removed) is
 * listed (or gone) within a moment rather than at the next periodic rescan, which stays as the
 * fallback for what a watcher misses (files inside an MLX model folder, network file systems).
 *
 * Each path to look at (the models folder, every configured `modelPaths` entry) is watched where
 * its appearing or disappearing shows: an existing folder itself; a file, or a path that does not
 * exist yet, through its parent folder, counting only changes of that one name — so a models
 * folder created after start is seen too. Only entries appearing and disappearing count (a file
 * being written does not change the list of models), and dot-files are skipped as discovery skips
 * them. The targets depend on what exists, so `LocalModels` recomputes them after every rescan.
 */
import { Deferred, Duration, Effect, FileSystem, Path, Stream } from "effect"

/** A folder to watch; with `only`, just changes of that entry of it count. */
export interface WatchTarget {
  readonly dir: string
  readonly only: string | undefined
}

/** Whether two lists of targets are the same (the watchers are then kept). */
export const sameTargets = (a: ReadonlyArray<WatchTarget>, b: ReadonlyArray<WatchTarget>): boolean =>
  a.length === b.length && a.every((target, i) => target.dir === b[i]!.dir && target.only === b[i]!.only)

/** Where to watch for changes of `paths` (absolute): see the module's comment. A path whose parent does not exist either is left to the periodic rescan. */
export const targetsOf = Effect.fnUntraced(function*(paths: ReadonlyArray<string>) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const targets: Array<WatchTarget> = []
  const add = (target: WatchTarget) => {
    if (!targets.some((known) => sameTargets([known], [target]))) targets.push(target)
  }
  for (const entry of paths) {
    const info = yield* Effect.option(fs.stat(entry))
    if (info._tag === "Some" && info.value.type === "Directory") {
      add({ dir: entry, only: undefined })
      continue
    }
    const parent = path.dirname(entry)
    const parentInfo = yield* Effect.option(fs.stat(parent))
    if (parentInfo._tag === "Some" && parentInfo.value.type === "Directory") add({ dir: parent, only: path.basename(entry) })
  }
  return targets as ReadonlyArray<WatchTarget>
})

/**
 * One element per burst of changes under `targets` (quiet for `debounce`), and one once every
 * watcher is installed: whatever changed while they were being set up is then looked at too. A
 * watcher that fails (its folder removed) counts as a change and ends, as the rescan that follows
 * re-targets.
 */
export const changes = (targets: ReadonlyArray<WatchTarget>, debounce: Duration.Input) =>
  Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const watchOne = (target: WatchTarget) =>
      Stream.unwrap(Effect.map(Deferred.make<void>(), (ready) =>
        Stream.merge(
          fs.watch(target.dir, { onReady: () => Deferred.doneUnsafe(ready, Effect.void) }).pipe(
            Stream.filter((event) =>
              event._tag !== "Update" && !event.path.startsWith(".") && (target.only === undefined || event.path === target.only)
            ),
            Stream.as(undefined),
            Stream.catch(() => Stream.succeed(undefined))
          ),
          Stream.fromEffect(Deferred.await(ready))
        )
      ))
    return Stream.mergeAll(targets.map(watchOne), { concurrency: "unbounded" }).pipe(Stream.debounce(debounce))
  }))
