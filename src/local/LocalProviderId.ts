/**
 * The id and name the local engines' models go by (`local/<model>`), in a module of their own so
 * that what only needs the id (pricing, in the recording thread too) does not load the engines.
 */
import type { ProviderId } from "../config/RemoteConfig.ts"

/** Reserved: a configured provider with this id is ignored (`Providers`), and never given by `ProviderCatalog`. */
export const LOCAL_PROVIDER_ID = "local" as ProviderId
export const LOCAL_PROVIDER_NAME = "Local"
