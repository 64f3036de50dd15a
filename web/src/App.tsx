/**
 * The page: providers and virtual models on one side, a chat on the other; or Activity (usage,
 * latency, the latest requests), chosen in the header and kept in the address (`#activity`). When
 * Switchboard asks for a gateway key, the key form replaces them; once a key is entered, both
 * start again with it.
 */
import { useEffect, useState } from "preact/hooks"
import { Activity } from "./Activity.tsx"
import { type KeyProblem, onGatewayKeyNeeded } from "./Api.ts"
import { Chat } from "./Chat.tsx"
import { GatewayKeyForm } from "./GatewayKeyForm.tsx"
import { Providers } from "./Providers.tsx"
import { SecretStoreBanner } from "./SecretStoreBanner.tsx"
import { VirtualModels } from "./VirtualModels.tsx"
import { GatewayKeys } from "./GatewayKeys.tsx"

export function App() {
  const [keyProblem, setKeyProblem] = useState<KeyProblem | undefined>()
  // Bumped when a key is entered: remounts everything, so every request is made again with it.
  const [session, setSession] = useState(0)
  // Bumped on every provider or virtual model change, so the chat's model list and the virtual
  // models' target states follow connections.
  const [providersRevision, setProvidersRevision] = useState(0)

  useEffect(() => onGatewayKeyNeeded(setKeyProblem), [])

  const [view, setView] = useState<"gateway" | "activity">(location.hash === "#activity" ? "activity" : "gateway")
  useEffect(() => {
    const follow = () => setView(location.hash === "#activity" ? "activity" : "gateway")
    addEventListener("hashchange", follow)
    return () => removeEventListener("hashchange", follow)
  }, [])

  return (
    <>
      <header class="top">
        <h1>Switchboard</h1>
        <p class="muted">One URL for every model: <code>{location.origin}/v1</code></p>
        <nav class="views" aria-label="Views">
          <a href="#" aria-current={view === "gateway" ? "page" : undefined}>Models &amp; chat</a>
          <a href="#activity" aria-current={view === "activity" ? "page" : undefined}>Activity</a>
        </nav>
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
        : view === "activity"
        ? (
          <main class="activity-view" key={session}>
            <Activity />
          </main>
        )
        : (
          <main class="layout" key={session}>
            <div class="side">
              <Providers onChange={() => setProvidersRevision((n) => n + 1)} />
              <VirtualModels revision={providersRevision} onChange={() => setProvidersRevision((n) => n + 1)} />
              <GatewayKeys />
            </div>
            <Chat providersRevision={providersRevision} />
          </main>
        )}
    </>
  )
}
