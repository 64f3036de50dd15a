import { describe, expect, it } from "vitest"
import { requestId } from "../../src/usage/RequestObserver.ts"

describe("requestId", () => {
  it("is a UUIDv7: the time first, version 7, the RFC variant", () => {
    const id = requestId(Date.UTC(2026, 11, 6, 15, 0, 0))
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(Date.UTC(2026, 11, 6, 15, 0, 0))
  })

  it("sorts by time, and never repeats", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => requestId(1_765_000_000_000 + i))
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(Array.from({ length: 10_000 }, () => requestId())).size).toBe(10_000)
  })
})
