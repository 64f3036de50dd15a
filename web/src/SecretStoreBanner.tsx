/**
 * One line above everything when the secret store needs the user's attention: a keychain that
 * cannot be reached (with the ways out), or a store chosen on purpose that behaves differently
 * from the keychain (env: read-only; file: plain text). Nothing when the keychain works.
 */
import { useEffect, useState } from "preact/hooks"
import type { SecretStoreStatus } from "../../src/admin/AdminApi.ts"
import { admin } from "./Api.ts"

export function SecretStoreBanner() {
  const [status, setStatus] = useState<SecretStoreStatus | undefined>()
  useEffect(() => {
    // A page that cannot ask (an older server, no gateway key yet) just shows no banner.
    admin((api) => api.secrets.status()).then(setStatus, () => undefined)
  }, [])
  if (status === undefined) return null
  const text = status.problem ?? status.notice
  if (text === null) return null
  return (
    <div class={`banner ${status.problem === null ? "banner-note" : "banner-problem"}`} role={status.problem === null ? "status" : "alert"}>
      <strong>Secrets: {status.backend}.</strong> {text}
    </div>
  )
}
