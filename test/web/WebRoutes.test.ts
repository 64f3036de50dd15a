/**
 * The web page's static files (src/web/WebRoutes.ts): served from a build folder with their
 * content types and security headers, nothing outside that folder reachable, the admin guard in
 * front, a helpful page when the build is missing — and, in the real server, `/` served without
 * disturbing the API routes or the 404 for unknown ones.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Exit, Layer, Scope } from "effect"
import { HttpRouter } from "effect/http"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NotFoundRoute } from "../../src/http/NotFoundRoute.ts"
import { CONTENT_SECURITY_POLICY, contentTypeFor, isSafeName, layer } from "../../src/web/WebRoutes.ts"
import { adminClient, type AdminClient } from "../support/AdminClient.ts"
import { freePort, startSwitchboard, type SwitchboardProcess } from "../support/SwitchboardProcess.ts"

const INDEX = `<!doctype html><script type="module" src="/assets/index-AbC123.js"></script>`
const SCRIPT = `console.log("page")`
const SECRET = "not for the web"

/** A build folder, with a file beside it that must never be served. */
const makeDist = () => {
  const root = mkdtempSync(join(tmpdir(), "switchboard-web-"))
  const dist = join(root, "dist")
  mkdirSync(join(dist, "assets"), { recursive: true })
  writeFileSync(join(dist, "index.html"), INDEX)
  writeFileSync(join(dist, "assets", "index-AbC123.js"), SCRIPT)
  writeFileSync(join(dist, "assets", "index-Xy9.css"), "body{}")
  writeFileSync(join(dist, "assets", "favicon-Q1w2.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
  writeFileSync(join(dist, "assets", ".hidden"), SECRET)
  mkdirSync(join(dist, "assets", "folder"))
  writeFileSync(join(root, "secret.txt"), SECRET)
  return { root, dist }
}

/** The page's routes and the 404 route on a real port, until `close`. */
const serve = async (distDir: string): Promise<{ readonly port: number; readonly close: () => Promise<void> }> => {
  const port = await freePort()
  const app = HttpRouter.serve(Layer.mergeAll(layer(distDir), NotFoundRoute), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port }))
  )
  const scope = await Effect.runPromise(Scope.make())
  await Effect.runPromise(Layer.buildWithScope(app, scope))
  return { port, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

describe("WebRoutes helpers", () => {
  it.each([
    ["index-AbC123.js", true],
    ["index-Xy9.css", true],
    ["favicon.svg", true],
    ["..", false],
    [".hidden", false],
    ["../secret.txt", false],
    ["..%2Fsecret.txt", false],
    ["a/b.js", false],
    ["a\\b.js", false],
    ["", false]
  ] as const)("isSafeName(%j) → %s", (name, safe) => {
    expect(isSafeName(name)).toBe(safe)
  })

  it.each([
    ["index.html", "text/html; charset=utf-8"],
    ["index-AbC.js", "text/javascript; charset=utf-8"],
    ["index-AbC.css", "text/css; charset=utf-8"],
    ["favicon.svg", "image/svg+xml"],
    ["font.WOFF2", "font/woff2"],
    ["blob.bin", "application/octet-stream"],
    ["README", "application/octet-stream"]
  ] as const)("contentTypeFor(%j) → %s", (name, type) => {
    expect(contentTypeFor(name)).toBe(type)
  })
})

describe("WebRoutes with a build", () => {
  let files: ReturnType<typeof makeDist>
  let server: { readonly port: number; readonly close: () => Promise<void> }
  let client: AdminClient

  beforeAll(async () => {
    files = makeDist()
    server = await serve(files.dist)
    client = adminClient(server.port)
  })
  afterAll(async () => {
    await server.close()
    rmSync(files.root, { recursive: true, force: true })
  })

  it("serves index.html at / with no-cache and the security headers", async () => {
    const response = await client.call("GET", "/")
    expect(response.status).toBe(200)
    expect(response.text).toBe(INDEX)
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8")
    expect(response.headers["cache-control"]).toBe("no-cache")
    expect(response.headers["x-content-type-options"]).toBe("nosniff")
    expect(response.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY)
    // Own origin only: no inline script, no other host, not framed.
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'")
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'")
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe-inline")
  })

  it("serves hashed assets as immutable, with their content types", async () => {
    const script = await client.call("GET", "/assets/index-AbC123.js")
    expect(script.status).toBe(200)
    expect(script.text).toBe(SCRIPT)
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
    expect(script.headers["x-content-type-options"]).toBe("nosniff")
    const style = await client.call("GET", "/assets/index-Xy9.css")
    expect(style.headers["content-type"]).toBe("text/css; charset=utf-8")
    const icon = await client.call("GET", "/assets/favicon-Q1w2.svg")
    expect([icon.status, icon.headers["content-type"]]).toEqual([200, "image/svg+xml"])
  })

  it("answers 404 for missing assets and never serves a file outside the folder", async () => {
    for (const path of [
      "/assets/missing-123.js",
      "/assets/folder",
      "/assets/.hidden",
      "/assets/../secret.txt",
      "/assets/..%2Fsecret.txt",
      "/assets/%2e%2e%2fsecret.txt",
      "/assets/..%5Csecret.txt",
      "/assets/%2e%2e/secret.txt",
      "/assets/",
      "/../secret.txt",
      "/secret.txt",
      "/favicon.svg",
      "/index.html/../../secret.txt"
    ]) {
      const response = await client.call<{ error: { code: string } }>("GET", path)
      expect(response.status, path).toBe(404)
      expect(response.text, path).not.toContain(SECRET)
      expect(response.json.error.code, path).toBe("unknown_url")
    }
  })

  it("refuses a foreign Host (DNS rebinding) and a foreign Origin, like the admin API", async () => {
    for (const path of ["/", "/assets/index-AbC123.js"]) {
      const rebound = await client.call<{ error: { code: string } }>("GET", path, { headers: { host: `evil.example:${server.port}` } })
      expect([rebound.status, rebound.json.error.code], path).toEqual([403, "forbidden_host"])
      expect(rebound.text).not.toContain("script")
      const crossSite = await client.call<{ error: { code: string } }>("GET", path, { headers: { origin: "http://evil.example" } })
      expect([crossSite.status, crossSite.json.error.code], path).toEqual([403, "forbidden_origin"])
    }
    const own = await client.call("GET", "/", { headers: { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` } })
    expect(own.status).toBe(200)
  })
})

describe("WebRoutes without a build", () => {
  it("answers / with a page saying how to build it", async () => {
    const missing = join(tmpdir(), `switchboard-no-dist-${process.pid}`)
    const server = await serve(missing)
    try {
      const client = adminClient(server.port)
      const response = await client.call("GET", "/")
      expect(response.status).toBe(503)
      expect(response.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(response.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY)
      expect(response.text).toContain("not built")
      expect(response.text).toContain("npm run build:web")
      expect((await client.call("GET", "/assets/index-AbC123.js")).status).toBe(404)
    } finally {
      await server.close()
    }
  })
})

describe("the page in the real server", () => {
  let switchboard: SwitchboardProcess
  let client: AdminClient

  beforeAll(async () => {
    switchboard = await startSwitchboard({ config: { version: 1, providers: [] } })
    client = adminClient(switchboard.port)
  })
  afterAll(() => switchboard.stop())

  it("serves / (built by npm install) beside the API, and unknown paths still get the API's 404", async () => {
    const page = await client.call("GET", "/")
    // `npm install` builds the page; a checkout installed with --ignore-scripts gets the explanation.
    expect([200, 503]).toContain(page.status)
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
    if (page.status === 200) {
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1]
      expect(script).toBeDefined()
      const asset = await client.call("GET", script!)
      expect([asset.status, asset.headers["content-type"]]).toEqual([200, "text/javascript; charset=utf-8"])
    }
    const models = await client.call<{ object: string }>("GET", "/v1/models")
    expect([models.status, models.json.object]).toEqual([200, "list"])
    const unknown = await client.call<{ error: { code: string } }>("GET", "/nowhere")
    expect([unknown.status, unknown.json.error.code]).toEqual([404, "unknown_url"])
    const posted = await client.call<{ error: { code: string } }>("POST", "/", { body: {} })
    expect([posted.status, posted.json.error.code]).toEqual([404, "unknown_url"])
  })
})
