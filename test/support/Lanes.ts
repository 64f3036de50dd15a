/**
 * The two lanes a request can take through Switchboard — the pass-through fast lane
 * (`src/http/FastLane.ts`) and the Effect app alone — for suites that must hold on both: the
 * caller and the upstream must not be able to tell which one served them.
 *
 * A suite is written once inside `describeEachLane` and starts its server with the lane's
 * setting: `lane.env` for the real `switchboard serve` (`startSwitchboard({ env })`), or
 * `lane.fastLane` for `Gateway.layer({ fastLane })`.
 */
import { describe } from "vitest"

export interface Lane {
  /** For test titles. */
  readonly name: string
  /** `Gateway.layer`'s `fastLane` option. */
  readonly fastLane: boolean
  /** The same setting for a child process (`SWITCHBOARD_FAST_LANE`). */
  readonly env: Readonly<Record<string, string>>
}

export const LANES: ReadonlyArray<Lane> = [
  { name: "fast lane", fastLane: true, env: { SWITCHBOARD_FAST_LANE: "true" } },
  { name: "Effect path", fastLane: false, env: { SWITCHBOARD_FAST_LANE: "false" } }
]

/** `describe(name, suite)` once per lane, the lane in the title. */
export const describeEachLane = (name: string, suite: (lane: Lane) => void): void => describe.each(LANES)(`${name} ($name)`, suite)
