/**
 * The configurations ConfigWriter.ts writes, one per generation: large enough (a few hundred
 * providers, tens of KB) that a kill often lands in the middle of a write, and each entirely
 * determined by its counter, so a reader can tell a whole file from a torn one.
 */
export const generation = (counter: number) => ({
  faultCounter: counter,
  providers: Array.from({ length: 300 }, (_, i) => ({
    id: `p${i}`,
    name: `Provider ${i} generation ${counter}`,
    protocol: "http" as const,
    host: "127.0.0.1",
    port: 1024 + ((counter + i) % 60000),
    headers: { "X-Generation": String(counter) }
  }))
})
