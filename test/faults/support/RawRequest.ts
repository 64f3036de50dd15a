/**
 * One HTTP request with exactly the bytes, method and headers a test chooses (fetch would fix
 * some of them, and fails outright when a server answers before the whole body is sent, as it
 * should for a body over the limit). The answer is read whole; a reset after the answer arrived
 * (the server stops reading a body it refused) still counts as that answer.
 */
import { request } from "node:http"

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown
}

export interface RawRequestOptions {
  readonly method?: string
  readonly body?: string | Uint8Array
  /** Default `application/json` when there is a body; `null` sends none. */
  readonly contentType?: string | null
  readonly headers?: Readonly<Record<string, string>>
}

export const rawRequest = (baseUrl: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const url = new URL(baseUrl)
    const body = options.body
    const contentType = options.contentType === undefined ? (body === undefined ? null : "application/json") : options.contentType
    let answered: RawResponse | undefined
    const req = request({
      host: url.hostname,
      port: url.port,
      method: options.method ?? "POST",
      path,
      headers: {
        ...(contentType === null ? {} : { "content-type": contentType }),
        ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
        ...options.headers
      }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("error", () => undefined)
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        answered = { status: res.statusCode ?? 0, headers: res.headers, text, json }
        resolve(answered)
      })
    })
    req.on("error", (error) => {
      if (answered === undefined) reject(error)
    })
    if (body === undefined) req.end()
    else req.end(body)
  })
