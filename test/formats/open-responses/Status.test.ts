import { describe, expect, it } from "@effect/vitest"
import * as Status from "../../../src/formats/open-responses/Status.ts"

describe("the statuses of the items an answer's end finds unfinished", () => {
  it.each([
    ["completed", 0, []],
    ["completed", 2, ["completed", "completed"]],
    ["incomplete", 1, ["incomplete"]],
    // The spec: an incomplete item is the last one emitted; the ones before it were done.
    ["incomplete", 3, ["completed", "completed", "incomplete"]],
    ["incomplete", 0, []],
    // A failure interrupted every one (no item status says `failed`).
    ["failed", 1, ["incomplete"]],
    ["failed", 2, ["incomplete", "incomplete"]],
    ["failed", 0, []]
  ] as const)("%s, %i unfinished → %j", (ending, count, statuses) => {
    expect(Status.unfinishedItemStatuses(ending, count)).toEqual(statuses)
  })
})
