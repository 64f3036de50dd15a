#!/usr/bin/env node
// Runs Switchboard: the bundle `npm install` builds (dist/server/switchboard.mjs, see
// scripts/server.vite.config.ts) while it is newer than every source file, else the TypeScript
// sources directly (Node >= 22.18 strips the types; no build step needed). So an edited source is
// always what runs, and an untouched install starts from one file (≈ 0.3 s faster: docs/performance.md).
// SWITCHBOARD_FROM_SOURCE=1 always runs the sources (read here, before any source loads; the variable
// is listed with every other one in src/config/Settings.ts).
//
// The compile cache keeps compiled modules on disk, which makes every start after the first faster still.
//
// An older Node fails on the first line it does not know (a missing export, a type annotation) with
// a SyntaxError that names neither Node nor a version: so the version `engines` asks for in
// package.json is checked first, and only names this file imports on every Node are imported statically.
import { readFileSync, readdirSync, statSync } from "node:fs"
import * as nodeModule from "node:module"

const root = new URL("../", import.meta.url)

const needed = /(\d+)\.(\d+)/.exec(JSON.parse(readFileSync(new URL("package.json", root), "utf8")).engines?.node ?? "")
const [major, minor] = process.versions.node.split(".").map(Number)
if (needed !== null && (major < Number(needed[1]) || (major === Number(needed[1]) && minor < Number(needed[2])))) {
  console.error(`switchboard: needs Node ${needed[1]}.${needed[2]} or newer; this is Node ${process.versions.node} (${process.execPath})`)
  process.exit(1)
}

nodeModule.enableCompileCache?.()
const bundle = new URL("dist/server/switchboard.mjs", root)

const newestSource = () => {
  let newest = 0
  const src = new URL("src/", root)
  for (const file of readdirSync(src, { recursive: true })) newest = Math.max(newest, statSync(new URL(String(file), src)).mtimeMs)
  return newest
}

const bundleIsFresh = () => {
  try {
    return statSync(bundle).mtimeMs > Math.max(newestSource(), statSync(new URL("package-lock.json", root)).mtimeMs)
  } catch {
    return false
  }
}

await import(process.env.SWITCHBOARD_FROM_SOURCE !== "1" && bundleIsFresh() ? bundle.href : "../src/bin.ts")
