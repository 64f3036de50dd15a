/**
 * The web page at `/`: the static files Vite builds into `web/dist/` at install time (`npm
 * install` runs `prepare`, or `npm run build:web`), so nothing is fetched from the internet at run
 * time. The page drives the admin API, so it passes the same guard (loopback Host, own Origin): a
 * rebinding attack cannot read it either.
 *
 * Only `index.html` and the hashed files of `assets/` (the icon included) are served, by single
 * file name: a name with a slash, a dot first or any escape is
 * not looked up at all, so no path leaves the folder. The strict CSP (own origin only, no inline
 * script or style) means the page can run nothing it did not ship with.
 */
import { Effect, FileSystem, Layer, Path } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { fileURLToPath } from "node:url"
import { guarded } from "../admin/AdminGuard.ts"
import { openAiError } from "../http/OpenAiError.ts"

/** `web/dist/` of this checkout, found from this file rather than the working directory. */
export const defaultDistDir = fileURLToPath(new URL("../../web/dist/", import.meta.url))

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join("; ")

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

/** Hashed names never change content: cache them for good. Everything else is revalidated. */
const IMMUTABLE = "public, max-age=31536000, immutable"
const NO_CACHE = "no-cache"

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8"
}

/** The content type for a file name; unknown kinds are opaque bytes (never sniffed, see nosniff). */
export const contentTypeFor = (name: string): string => {
  const dot = name.lastIndexOf(".")
  return (dot === -1 ? undefined : CONTENT_TYPES[name.slice(dot).toLowerCase()]) ?? "application/octet-stream"
}

/** A plain file name: letters, digits, `.`, `_`, `-`, not starting with a dot (so never `..`). */
export const isSafeName = (name: string): boolean => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)

/** What `/` shows when the page was never built (e.g. `npm install --ignore-scripts`). */
export const notBuiltPage = (distDir: string): string => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Switchboard</title></head>
<body>
<h1>Switchboard</h1>
<p>The web page is not built: <code>${escapeHtml(distDir)}</code> is missing.</p>
<p>Build it with <code>npm run build:web</code> in the Switchboard folder (<code>npm install</code> does it too), then reload.</p>
<p>The API works without it: <code>/v1</code> for models, <code>/admin</code> to manage providers.</p>
</body>
</html>
`

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

const notFound = (path: string) =>
  openAiError(404, `Unknown request URL: GET ${path}. Switchboard serves the OpenAI API under /v1.`, "invalid_request_error", { code: "unknown_url" })

/** The page's routes serving the files of `distDir`. */
export const layer = (distDir: string) =>
  HttpRouter.addAll(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const server = yield* HttpServer.HttpServer
    const guard = guarded("port" in server.address ? server.address.port : undefined)

    /** The file's bytes, or `undefined` when there is no such file (any other failure is a defect). */
    const read = (file: string) => {
      const full = path.join(distDir, file)
      return fs.stat(full).pipe(
        // A folder by that name is "no such file" too, not a failed read.
        Effect.flatMap((info) => info.type === "File" ? fs.readFile(full) : Effect.succeed(undefined)),
        Effect.catchIf((error) => error.reason._tag === "NotFound" || error.reason._tag === "BadArgument", () => Effect.succeed(undefined)),
        Effect.orDie
      )
    }

    const serve = (file: string, cacheControl: string) =>
      Effect.map(read(file), (bytes) =>
        bytes === undefined
          ? undefined
          : HttpServerResponse.uint8Array(bytes, { contentType: contentTypeFor(file), headers: { ...SECURITY_HEADERS, "cache-control": cacheControl } }))

    const index = Effect.map(serve("index.html", NO_CACHE), (response) =>
      response ?? HttpServerResponse.text(notBuiltPage(distDir), {
        status: 503,
        contentType: "text/html; charset=utf-8",
        headers: { ...SECURITY_HEADERS, "cache-control": NO_CACHE }
      }))

    const asset = Effect.flatMap(HttpRouter.params, (params) => {
      const name = params.name ?? ""
      if (!isSafeName(name)) return Effect.succeed(notFound(`/assets/${name}`))
      return Effect.map(serve(`assets/${name}`, IMMUTABLE), (response) => response ?? notFound(`/assets/${name}`))
    })

    return [
      HttpRouter.route("GET", "/", guard(index)),
      HttpRouter.route("GET", "/assets/:name", guard(asset))
    ] as const
  })).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))

/** The page built in this checkout's `web/dist/`. */
export const WebRoutes = layer(defaultDistDir)
