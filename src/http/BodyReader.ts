/**
 * Reading an inbound API request's body off the node request, within a size limit and as strict
 * UTF-8 — shared by the fast lane (`FastLane.ts`) and the Effect path (`RequestBody.ts`), so both
 * refuse the same bodies with the same words.
 *
 * Why not the framework's `request.text`: it reads any size into memory, and decodes invalid
 * UTF-8 lossily (U+FFFD), which would forward a prompt the caller never wrote.
 */
import { Context } from "effect"
import { isUtf8 } from "node:buffer"
import type { IncomingMessage } from "node:http"

/** Default limit: far above any chat request with images inlined, far below what hurts the process. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

/** The largest request body the API endpoints accept (`SWITCHBOARD_MAX_BODY_BYTES`). */
export const MaxBodyBytes = Context.Reference<number>("switchboard/MaxBodyBytes", { defaultValue: () => DEFAULT_MAX_BODY_BYTES })

export type BodyRead =
  | { readonly _tag: "Read"; readonly text: string }
  | { readonly _tag: "TooLarge"; readonly limit: number }
  | { readonly _tag: "NotUtf8" }
  | { readonly _tag: "Failed" }

/** Why a body that was not read is refused, as the caller is told. */
export const refusalOf = (read: Exclude<BodyRead, { readonly _tag: "Read" }>): { readonly status: number; readonly message: string } => {
  switch (read._tag) {
    case "TooLarge":
      return { status: 413, message: `the request body is larger than the limit of ${read.limit} bytes (SWITCHBOARD_MAX_BODY_BYTES)` }
    case "NotUtf8":
      return { status: 400, message: "the request body is not valid UTF-8" }
    case "Failed":
      return { status: 400, message: "could not read the request body" }
  }
}

/** Strict UTF-8 of a whole body, or `undefined` (`isUtf8` is node's validator; no lossy decode). */
export const decodeUtf8 = (bytes: Buffer): string | undefined => isUtf8(bytes) ? bytes.toString("utf8") : undefined

/**
 * Reads `request`'s body and calls `done` once. A declared `content-length` over the limit is
 * refused before reading; a body that grows over it is refused as soon as it does, and the rest
 * is discarded unread (node drains it; the answer asks to close the connection).
 */
export const readBody = (request: IncomingMessage, limit: number, done: (read: BodyRead) => void): void => {
  const declared = Number(request.headers["content-length"])
  if (Number.isFinite(declared) && declared > limit) return done({ _tag: "TooLarge", limit })
  const chunks: Array<Buffer> = []
  let size = 0
  let finished = false
  const finish = (read: BodyRead) => {
    if (finished) return
    finished = true
    request.off("data", onData)
    done(read)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > limit) {
      chunks.length = 0
      // Keep reading (and dropping) what comes: a paused request would stall the connection.
      request.resume()
      return finish({ _tag: "TooLarge", limit })
    }
    chunks.push(chunk)
  }
  request.on("data", onData)
  request.once("error", () => finish({ _tag: "Failed" }))
  request.once("end", () => {
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    const text = decodeUtf8(bytes)
    finish(text === undefined ? { _tag: "NotUtf8" } : { _tag: "Read", text })
  })
}
