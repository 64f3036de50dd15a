/**
 * A fresh folder under the system's temporary directory, removed when the current test finishes
 * (passed or failed), so a run leaves no `/tmp/switchboard-*` folders behind. Call it inside a
 * test (vitest refuses the hook elsewhere); a folder made in `beforeAll` is removed in `afterAll`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { onTestFinished } from "vitest"

export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
