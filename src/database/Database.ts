/**
 * Switchboard's database: an `effect/sql` `SqlClient` for the usage ledger and the gateway keys'
 * budgets. SQLite by default, at `$SWITCHBOARD_HOME/switchboard.db` (Node's built-in `node:sqlite`
 * through `SqliteClient.ts`: nothing to start, nothing built at install); Postgres
 * (`@effect/sql-pg`) when `SWITCHBOARD_DATABASE_URL=postgres://…` is set, so several instances
 * behind a load balancer share one ledger and one set of budgets.
 *
 * A database that cannot be opened never stops the gateway: the layer is built without touching
 * it (SQLite opens its file on first use, Postgres connects from its pool on first use), and each
 * user runs `ready` (the migrations, once) before its statements and reports a failure its own
 * way — the ledger in its status and `/health`. `ready` is tried again after a failure, so a
 * database that comes back (a disk freed, Postgres restarted) is used again without a restart.
 *
 * The Postgres password never leaves the URL's `Redacted`: `location` is host, port and database
 * only, and `describe` takes the password out of any error text it words.
 */
import { Context, Duration, Effect, Layer, Option, Redacted, Schema, Semaphore } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { join } from "node:path"
import * as Settings from "../config/Settings.ts"
import * as Migrations from "./Migrations.ts"
import * as SqliteClient from "./SqliteClient.ts"

/** Which database it is: the SQL each speaks differs in places (`sql.onDialectOrElse` tells too). */
export type Dialect = "sqlite" | "postgres"

/** The database cannot be used now: it cannot be opened or reached, or a migration failed. */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  /** What went wrong, safe to show: never the password. */
  message: Schema.String
}) {}

/** Where the database is: what `Database.layerFor` opens (plain data: the recording thread is given it too). */
export type DatabaseTarget =
  | { readonly kind: "sqlite"; readonly file: string }
  | { readonly kind: "postgres"; readonly url: string }

/** The SQLite file in the configuration folder. */
export const sqliteFile = (home: string) => join(home, "switchboard.db")

/**
 * Where the database is, from the settings: Postgres when `SWITCHBOARD_DATABASE_URL` is set, else
 * SQLite in `home`. The one place that decides it (the gateway, the recording thread's target, the
 * CLI and the gateway keys' store all ask here).
 */
export const targetFrom = (home: string) =>
  Effect.map(Settings.databaseUrl.config, (url): DatabaseTarget =>
    Option.isSome(url) ? { kind: "postgres", url: Redacted.value(url.value) } : { kind: "sqlite", file: sqliteFile(home) })

export class Database extends Context.Service<Database, {
  readonly dialect: Dialect
  /** Where it is, safe to show: the SQLite file, or `host:port/database` for Postgres (never a user or password). */
  readonly location: string
  /**
   * Runs the migrations not yet run (once; after a success it costs nothing). Every user of the
   * database runs it before its statements; after a failure the next call tries again.
   */
  readonly ready: Effect.Effect<void, DatabaseError>
  /** An error's text (its causes' too, which say what the driver saw), the password taken out. */
  readonly describe: (error: unknown) => string
}>()("switchboard/Database") {
  /** SQLite in `file`. */
  static readonly layerSqlite = (file: string): Layer.Layer<Database | SqlClient.SqlClient> =>
    Layer.effectContext(
      Effect.gen(function*() {
        const sql = yield* SqliteClient.make({ filename: file })
        return yield* contextOf(sql, { dialect: "sqlite", location: file, secret: undefined })
      })
    ).pipe(Layer.provide(Reactivity.layer))

  /**
   * Postgres at `url`. Fails (before any connection) only when the URL cannot be read, a setting
   * error; a server that is down or refuses the login is a `ready` or statement failure instead.
   */
  static readonly layerPostgres = (url: Redacted.Redacted<string>): Layer.Layer<Database | SqlClient.SqlClient, DatabaseError> =>
    Layer.effectContext(
      Effect.gen(function*() {
        const secret = passwordOf(url)
        const sql = yield* PgClient.make({
          url,
          applicationName: "switchboard",
          // Off the request path, but `/admin/usage` waits for it: a server that does not answer
          // is a failure in seconds, not a hang.
          connectTimeout: Duration.seconds(5),
          maxConnections: 4,
          idleTimeout: Duration.seconds(60)
        }).pipe(Effect.mapError((error) => new DatabaseError({ message: describeWith(secret)(error) })))
        return yield* contextOf(sql, { dialect: "postgres", location: postgresLocation(url), secret })
      })
    ).pipe(Layer.provide(Reactivity.layer))

  /** The database at `target`. */
  static readonly layerFor = (target: DatabaseTarget): Layer.Layer<Database | SqlClient.SqlClient, DatabaseError> =>
    target.kind === "sqlite" ? Database.layerSqlite(target.file) : Database.layerPostgres(Redacted.make(target.url))

  /** From the settings: Postgres when `SWITCHBOARD_DATABASE_URL` is set, else SQLite in `SWITCHBOARD_HOME`. */
  static readonly layer = Layer.unwrap(Effect.map(Effect.flatMap(Settings.home.config, targetFrom), Database.layerFor))
}

const contextOf = (
  sql: SqlClient.SqlClient,
  options: { readonly dialect: Dialect; readonly location: string; readonly secret: string | undefined }
) =>
  Effect.gen(function*() {
    const describe = describeWith(options.secret)
    const ready = yield* makeReady(sql, describe)
    return Context.make(Database, { dialect: options.dialect, location: options.location, ready, describe }).pipe(
      Context.add(SqlClient.SqlClient, sql)
    )
  })

/** The migrations, run once: serialised (two callers wait for one run), remembered on success only. */
const makeReady = (sql: SqlClient.SqlClient, describe: (error: unknown) => string) =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    let done = false
    const migrate = Migrator.make({})({ loader: Migrations.loader, table: Migrations.table }).pipe(
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.mapError((error) => new DatabaseError({ message: describe(error) }))
    )
    const once = lock.withPermit(
      Effect.suspend(() => done ? Effect.void : Effect.tap(migrate, () => Effect.sync(() => done = true)))
    )
    // Once migrated, nothing to wait for: no permit taken (it runs before every budget check and ledger statement).
    return Effect.suspend(() => done ? Effect.void : once)
  })

/**
 * The URL's password as written, when it has one. `describeWith` scrubs it in every form a
 * message may quote it (as written, decoded as the driver decodes it, encoded).
 */
const passwordOf = (url: Redacted.Redacted<string>): string | undefined => {
  try {
    const password = new URL(Redacted.value(url)).password
    return password === "" ? undefined : password
  } catch {
    return undefined
  }
}

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    // A stray `%`: the driver takes it as written.
    return text
  }
}

/** `host:port/database` of a Postgres URL: where it is, without who logs in or how. */
export const postgresLocation = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""))
    return `postgres://${parsed.hostname || "localhost"}:${parsed.port || "5432"}/${database}`
  } catch {
    return "postgres (an unreadable URL)"
  }
}

/** The messages of an error and its causes, outermost first, each once, without `secret`. */
export const describeWith = (secret: string | undefined) => (error: unknown): string => {
  const messages: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const message = typeof current === "object" && "message" in current && typeof current.message === "string"
      ? current.message
      : typeof current === "string" ? current : undefined
    if (message !== undefined && message !== "" && !messages.some((seen) => seen.includes(message))) messages.push(message)
    current = typeof current === "object" && "cause" in current ? current.cause : undefined
  }
  const text = messages.length === 0 ? String(error) : messages.join(": ")
  const scrubbed = secret === undefined
    ? text
    : [...new Set([secret, decoded(secret), encodeURIComponent(decoded(secret))])]
      .sort((a, b) => b.length - a.length)
      .reduce((words, form) => words.split(form).join("***"), text)
  return scrubbed.length > 500 ? `${scrubbed.slice(0, 500)}…` : scrubbed
}
