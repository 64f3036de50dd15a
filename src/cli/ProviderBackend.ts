/**
 * The provider operations of the CLI, whoever carries them out: a running Switchboard through its
 * admin API (so the server applies the change at once and shows live states), or remote.json and
 * the secret store directly when no server runs. Both go through `ProviderCatalog` in the end, so
 * they follow the same rules; `choose` picks one per command.
 */
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import type { SecretStoreStatus } from "../admin/AdminApi.ts"
import type { NewProvider, ProviderEdit } from "../config/ProviderCatalog.ts"
import { findServer, remoteBackend } from "./AdminClient.ts"
import { localBackend } from "./LocalProviders.ts"
import type { CliFailure } from "./Operation.ts"

/** A provider as the CLI shows it. */
export interface ProviderRow {
  readonly id: string
  readonly name: string
  /** `connected`, `connecting`, `disconnected`, `disabled`, `error`, or `not running` (no server). */
  readonly state: string
  readonly error: string | null
  /** Models the server serves, or the manual ones from remote.json when no server runs. */
  readonly models: ReadonlyArray<string>
  readonly baseUrl: string
}

/** A provider's plain headers (name → value) and the names of its secret headers (never their values). */
export interface ProviderHeaders {
  readonly headers: Readonly<Record<string, string>>
  readonly secretHeaders: ReadonlyArray<string>
}

/** One model discovery: the number of models, or the upstream's error text. */
export type TestOutcome =
  | { readonly ok: true; readonly models: ReadonlyArray<string> }
  | { readonly ok: false; readonly error: string }

/** The state of remote.json as the backend sees it: its error (a server keeps its last good configuration) and warnings. */
export interface ConfigNotes {
  readonly path: string
  readonly error: string | null
  readonly warnings: ReadonlyArray<string>
}

export interface ProviderBackend {
  /** Whether a server answers: states and discovered models are live. */
  readonly running: boolean
  /** The server's URL (probed even when none answers, to say where none was found). */
  readonly url: string
  /** Works while remote.json is broken: the server's last good configuration, or the entries that can be read. */
  readonly list: Effect.Effect<ReadonlyArray<ProviderRow>, CliFailure>
  /** What is wrong with remote.json, to print beside a listing. */
  readonly configNotes: Effect.Effect<ConfigNotes, CliFailure>
  /** The headers of a provider, so `edit --header` / `--remove-header` can change one and keep the others. */
  readonly headersOf: (id: string) => Effect.Effect<ProviderHeaders, CliFailure>
  /** Returns the new provider's id. */
  readonly add: (input: NewProvider) => Effect.Effect<string, CliFailure>
  readonly edit: (id: string, edit: ProviderEdit) => Effect.Effect<void, CliFailure>
  readonly setEnabled: (id: string, enabled: boolean) => Effect.Effect<void, CliFailure>
  readonly remove: (id: string) => Effect.Effect<void, CliFailure>
  /** One model discovery with the saved settings and secrets. */
  readonly test: (id: string) => Effect.Effect<TestOutcome, CliFailure>
  /** The secret store the operations use (the server's, when one runs): what to tell the user about keys. */
  readonly secretStore: Effect.Effect<SecretStoreStatus, CliFailure>
}

/**
 * The running server at `url` (default `http://127.0.0.1:$SWITCHBOARD_PORT`, port 1337) when its
 * `/health` answers, else the config on disk. A `--url` given explicitly must answer: the user
 * asked for that server, so silently changing the files instead would be a surprise.
 */
export const choose = (url: Option.Option<string>) =>
  Effect.flatMap(findServer(url), (server) => Option.isSome(server.client) ? Effect.succeed(remoteBackend(server.client.value)) : localBackend(server.url))

/** `--url`: which server to manage; without it, the default one if it runs, else the files. */
export const urlFlag = Flag.String("url").pipe(
  Flag.withDescription(
    "Switchboard server to manage (default http://127.0.0.1:$SWITCHBOARD_PORT, port 1337). " +
      "Without --url, remote.json and the secret store are changed directly when no server answers"
  ),
  Flag.optional
)
