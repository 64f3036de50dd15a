/**
 * The tiny real GGUF model the local-model tests run (stories260K, ../shared/models/), and why they
 * cannot run here (node-llama-cpp or the file missing, or not the expected file), or undefined.
 */
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"

export const MODEL = new URL("../../../shared/models/stories260K.gguf", import.meta.url).pathname
const MODEL_SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d"

export const localModelSkip = ((): string | undefined => {
  try {
    import.meta.resolve("node-llama-cpp")
  } catch {
    return "node-llama-cpp is not installed"
  }
  if (!existsSync(MODEL)) return `${MODEL} is missing (CI checks out shared/ beside the repo)`
  const sha = createHash("sha256").update(readFileSync(MODEL)).digest("hex")
  if (sha !== MODEL_SHA256) return `${MODEL} has sha256 ${sha}, expected ${MODEL_SHA256}`
  return undefined
})()

/** Bytes that are named like a model but are not one: discovered, and their load fails with a clear reason. */
export const garbageModel = () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))
