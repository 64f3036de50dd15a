/**
 * Settings for a test without touching `process.env`: the layer reads the given variables (and
 * nothing else) through its own `ConfigProvider`.
 */
import { ConfigProvider, Layer } from "effect"

/** `layer`, built with `env` as the whole environment. */
export const withEnv = <A, E, R>(layer: Layer.Layer<A, E, R>, env: Record<string, string>) =>
  layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
