/**
 * The page: providers on one side, a chat on the other. When Switchboard asks for a gateway key,
 * the key form replaces them; once a key is entered, both start again with it.
 */
import { useEffect, useState } from "preact/hooks"
import { type KeyProblem, onGatewayKeyNeeded } from "./Api.ts"
import { Chat } from "./Chat.tsx"
import { GatewayKeyForm } from "./GatewayKeyForm.tsx"
import { Providers } from "./Providers.tsx"
import { SecretStoreBanner } from "./SecretStoreBanner.tsx"

export function App() {
  const [keyProblem, setKeyProblem] = useState<KeyProblem | undefined>()
  // Bumped when a key is entered: remounts everything, so every request is made again with it.
  const [session, setSession] = useState(0)
  // Bumped on every provider change, so the chat's model list follows connections.
  const [providersRevision, setProvidersRevision] = useState(0)

  useEffect(() => onGatewayKeyNeeded(setKeyProblem), [])

  return (
    <>
      <header class="top">
        <h1>Switchboard</h1>
        <p class="muted">One URL for every model: <code>{location.origin}/v1</code></p>
      </header>
      <SecretStoreBanner key={session} />
      {keyProblem !== undefined
        ? (
          <main>
            <GatewayKeyForm
              problem={keyProblem}
              onEntered={() => {
                setKeyProblem(undefined)
                setSession((n) => n + 1)
              }}
            />
          </main>
        )
        : (
          <main class="layout" key={session}>
            <Providers onChange={() => setProvidersRevision((n) => n + 1)} />
            <Chat providersRevision={providersRevision} />
          </main>
        )}
    </>
  )
}
