/**
 * A throw-away Postgres for the tests: Debian's `postgresql` binaries (`initdb`, `pg_ctl`), a
 * cluster in a fresh temporary folder, listening on loopback on a free port (and a socket in that
 * folder, never the system's), a password login, removed when the test file ends. The system's own
 * cluster is never started or touched.
 *
 * Postgres refuses to run as root: when the tests run as root, the cluster runs as the `postgres`
 * user (`runuser`), which owns its folder.
 *
 * Without the binaries the tests that need it are skipped with the reason printed — except in CI
 * (`CI=true`), where they are required (`.ci/run` installs them): see `postgresSkip`.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, it } from "vitest"
import { freePort } from "./SwitchboardProcess.ts"

/** The newest installed Postgres's binaries, e.g. `/usr/lib/postgresql/15/bin`. */
const binDir = (() => {
  const root = "/usr/lib/postgresql"
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin")
})()

const asRoot = process.getuid?.() === 0

/** Why the Postgres tests cannot run here, or undefined. */
export const postgresSkip: string | undefined = binDir === undefined
  ? "Postgres is not installed (/usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)"
  : asRoot && spawnSync("id", ["postgres"], { stdio: "ignore" }).status !== 0
  ? "running as root and there is no `postgres` user to run the cluster as"
  : undefined

/** Whether this run is CI's, where a skipped Postgres test is a failure. */
export const requiredInCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false"

/**
 * `describe` for tests that need Postgres: skipped with the reason printed when it is not
 * installed, and in CI a failing test instead of a skip.
 */
export const describePostgres = (name: string, body: () => void) => {
  if (postgresSkip !== undefined && requiredInCi) {
    describe(`${name} (CI)`, () => {
      it("must run in CI", () => {
        throw new Error(`the Postgres tests are required in CI but cannot run: ${postgresSkip}`)
      })
    })
    return
  }
  if (postgresSkip !== undefined) console.warn(`[switchboard] SKIPPED ${name}: ${postgresSkip}`)
  describe.skipIf(postgresSkip !== undefined)(name, body)
}

export interface PostgresCluster {
  readonly port: number
  readonly user: string
  readonly password: string
  /** A URL for a new, empty database of its own (so tests in one file do not share tables). */
  readonly freshDatabase: () => string
  /** A URL for the cluster's default database. */
  readonly url: (database?: string) => string
  /** Stops the server (fast: connections are cut), as a crash or a restart would. */
  readonly stop: () => void
  /** Starts it again, on the same port. */
  readonly start: () => void
}



const run = (bin: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) => {
  const command = join(binDir!, bin)
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, [...args]]
  // In a folder the `postgres` user may enter (pg_ctl wants to know where it is).
  return execFileSync(file, argv, { cwd, stdio: "pipe", env: { ...process.env, ...env }, encoding: "utf8" })
}

/**
 * Starts a cluster before the file's tests and removes it after them. Call at the top of a
 * `describePostgres` body; the cluster is there from the first test on.
 */
export const usePostgres = (): PostgresCluster => {
  const user = "switchboard"
  // A password with characters a URL must escape, so the tests see it kept out of every message.
  const password = `pw-${randomBytes(9).toString("hex")}/+`
  let port = 0
  let dir: string | undefined
  let data = ""
  let count = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "switchboard-pg-"))
    data = join(dir, "data")
    const passwordFile = join(dir, "password")
    writeFileSync(passwordFile, password)
    mkdirSync(data, { mode: 0o700 })
    if (asRoot) {
      const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
      const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
      for (const path of [dir, data, passwordFile]) chownSync(path, uid, gid)
    }
    chmodSync(dir, 0o700)
    run("initdb", ["-D", data, "-U", user, `--pwfile=${passwordFile}`, "--auth=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"], dir)
    port = await freePort()
    start()
  }, 120_000)

  afterAll(() => {
    if (dir === undefined) return
    try {
      if (existsSync(join(data, "postmaster.pid"))) run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  const start = () =>
    run("pg_ctl", [
      "-D", data, "-l", join(dir!, "log"), "-w", "-t", "60",
      "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      "start"
    ], dir!)
  const stop = () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"], dir!)

  const url = (database = "postgres") => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  return {
    get port() {
      return port
    },
    user,
    password,
    url,
    start,
    stop,
    freshDatabase: () => {
      const name = `test_${process.pid}_${++count}`
      run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", `CREATE DATABASE ${name}`], dir!, {
        PGPASSWORD: password
      })
      return url(name)
    }
  }
}
