/**
 * A fresh folder under the system's temporary directory, removed when the current test finishes
 * (passed or failed) — or, made outside a test (a `beforeAll`), when the test process exits — so
 * a run leaves no `/tmp/switchboard-*` folders behind.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { onTestFinished } from "vitest"

export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  try {
    onTestFinished(remove)
  } catch {
    // Not inside a test: vitest refuses the hook, and the folder lives as long as the file's tests.
    process.once("exit", remove)
  }
  return dir
}
