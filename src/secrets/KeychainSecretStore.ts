/**
 * Secrets in the OS keychain: Secret Service on Linux (gnome-keyring, KWallet, KeePassXC),
 * Keychain on macOS, Credential Manager on Windows; service `switchboard`, account
 * `<providerId>.apiKey` / `<providerId>.header.<Name>`.
 *
 * On Linux the Secret Service is required explicitly: the keyring binding would otherwise fall
 * back to the kernel keyring, which forgets everything at reboot — a silent loss of the user's
 * keys. Start-up probes the keychain with a write/read/delete round trip; when that fails, the
 * store still builds (providers without secrets keep working) but every operation fails with one
 * clear sentence saying what is wrong and what to do.
 */
import { AsyncEntry, type EntryOptions } from "@napi-rs/keyring"
import { Effect, Layer, Option, Redacted } from "effect"
import { accountFor, SecretStore, SecretStoreError, setCommand } from "./SecretStore.ts"

export const SERVICE = "switchboard"

const BACKEND = process.platform === "darwin"
  ? "macOS Keychain"
  : process.platform === "win32"
  ? "Windows Credential Manager"
  : "OS keychain (Secret Service)"

const ENTRY_OPTIONS: EntryOptions = { linux: { store: "secret-service" } }

const PROBE_ACCOUNT = "switchboard.probe"

const describe = (cause: unknown) => cause instanceof Error ? cause.message : String(cause)

/** What a person needs to read when the keychain cannot be used. */
export const unreachableMessage = (cause: unknown) =>
  `the ${BACKEND} is not reachable (${describe(cause)}). ` +
  (process.platform === "linux"
    ? "Start a Secret Service (gnome-keyring-daemon or KeePassXC, in a D-Bus session) or, on a headless machine, "
    : "") +
  "choose SWITCHBOARD_SECRETS=env to read secrets from SWITCHBOARD_KEY_<ID> / SWITCHBOARD_HEADER_<ID>_<NAME> instead, " +
  "or SWITCHBOARD_SECRETS=file to keep them in a plain-text file protected only by its permissions."

/** One keychain operation on an account; a failure is the error's text (the constructor throws too, when the store is gone). */
const rawCall = <A>(account: string, f: (entry: AsyncEntry) => Promise<A>) =>
  Effect.tryPromise({ try: () => f(new AsyncEntry(SERVICE, account, ENTRY_OPTIONS)), catch: describe })

const call = <A>(account: string, what: string, f: (entry: AsyncEntry) => Promise<A>) =>
  Effect.mapError(rawCall(account, f), (cause) =>
    new SecretStoreError({ backend: BACKEND, message: `cannot ${what} ${account} in the ${BACKEND}: ${cause}` }))

/** A write/read/delete round trip: a store that only pretends to work fails here, at start-up. */
export const probe: Effect.Effect<void, SecretStoreError> = Effect.gen(function*() {
  const token = `probe-${Date.now()}`
  yield* rawCall(PROBE_ACCOUNT, (e) => e.setPassword(token))
  const read = yield* rawCall(PROBE_ACCOUNT, (e) => e.getPassword())
  yield* rawCall(PROBE_ACCOUNT, (e) => e.deleteCredential())
  if (read !== token) return yield* Effect.fail("it did not return what was stored in it")
}).pipe(Effect.mapError((cause) => new SecretStoreError({ backend: BACKEND, message: unreachableMessage(cause) })))

const make = SecretStore.of({
  kind: "keychain",
  backend: BACKEND,
  unavailable: null,
  notice: null,
  writable: true,
  howToSet: setCommand,
  get: (providerId, name) =>
    call(accountFor(providerId, name), "read", (e) => e.getPassword()).pipe(
      Effect.map((value) => value === null || value === undefined ? Option.none() : Option.some(Redacted.make(value)))
    ),
  set: (providerId, name, value) => call(accountFor(providerId, name), "store", (e) => e.setPassword(Redacted.value(value))),
  delete: (providerId, name) => Effect.asVoid(call(accountFor(providerId, name), "delete", (e) => e.deleteCredential()))
})

const unreachable = (error: SecretStoreError) =>
  SecretStore.of({
    kind: "keychain",
    backend: BACKEND,
    unavailable: error.message,
    notice: null,
    writable: false,
    howToSet: () => "make the keychain reachable, or choose SWITCHBOARD_SECRETS=env or file",
    get: () => Effect.fail(error),
    set: () => Effect.fail(error),
    delete: () => Effect.fail(error)
  })

/** The keychain, probed once; an unreachable keychain shows in `unavailable` and fails every call. */
export const layer = Layer.effect(
  SecretStore,
  probe.pipe(Effect.as(make), Effect.catch((error) => Effect.succeed(unreachable(error))))
)
