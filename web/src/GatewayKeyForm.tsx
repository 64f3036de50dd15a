/**
 * Asks for the gateway key when Switchboard refuses a request without one (it listens on a
 * non-loopback address). The key stays in this tab's sessionStorage only.
 */
import { useState } from "preact/hooks"
import { type KeyProblem, setGatewayKey } from "./Api.ts"
import { Field } from "./Field.tsx"

export function GatewayKeyForm(props: { readonly problem: KeyProblem; readonly onEntered: () => void }) {
  const [key, setKey] = useState("")
  return (
    <form
      class="panel gateway-key"
      aria-label="Gateway key"
      onSubmit={(event) => {
        event.preventDefault()
        setGatewayKey(key.trim())
        props.onEntered()
      }}
    >
      <h2>Gateway key</h2>
      <p>
        {props.problem === "invalid_gateway_key"
          ? "The gateway key was not accepted. Enter a valid one."
          : "This Switchboard requires a gateway key. Enter it to continue."}
      </p>
      <div class="row">
        <Field label="Gateway key" class="grow">
          {(id) => (
            <input id={id} type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
          )}
        </Field>
        <button type="submit" class="primary">Continue</button>
      </div>
    </form>
  )
}
