/**
 * `GET /admin/events`: Server-Sent Events for the web page. First a `snapshot` event with every
 * provider (as `GET /admin/providers` shows them), then one event per state change after it
 * (`Providers.changesAfter`, which subscribes before reading the snapshot): `state` (the provider's
 * status JSON) or `removed` (`{ id }`). Each event's data is encoded with its schema in AdminApi.ts,
 * which the page decodes with. A comment line every 15 s keeps proxies and idle timeouts from
 * closing a quiet stream. The stream runs until the client goes away (the request fiber is
 * interrupted, and the subscription with it).
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import { Duration, Effect, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { providerStatusJson } from "../http/StatusRoutes.ts"
import type { ProviderEvent } from "../providers/Providers.ts"
import { Providers } from "../providers/Providers.ts"
import { type AdminEventName, AdminEvents } from "./AdminApi.ts"

const KEEP_ALIVE = Duration.seconds(15)

/** One SSE event: its name and one line of JSON (JSON.stringify never emits a raw line break). */
export const sseEvent = <N extends AdminEventName>(event: N, data: (typeof AdminEvents)[N]["Type"]): string =>
  `event: ${event}\ndata: ${JSON.stringify(Schema.encodeSync(AdminEvents[event] as Schema.Codec<unknown, unknown>)(data))}\n\n`

const changeEvent = (change: ProviderEvent): string =>
  change._tag === "StateChanged" ? sseEvent("state", providerStatusJson(change.status)) : sseEvent("removed", { id: change.id })

/** The event stream response; `snapshot` is the data of the first event. */
export const eventsResponse = <E, R>(snapshot: Effect.Effect<(typeof AdminEvents)["snapshot"]["Type"], E, R>) =>
  Effect.gen(function*() {
    const providers = yield* Providers
    const context = yield* Effect.context<R>()
    // Subscribed before the snapshot is read, so a change between the two is never lost.
    const events = providers.changesAfter(snapshot).pipe(
      Stream.map((event) => event._tag === "Snapshot" ? sseEvent("snapshot", event.value) : changeEvent(event))
    )
    const body = Stream.merge(
      events,
      Stream.tick(KEEP_ALIVE).pipe(Stream.drop(1), Stream.map(() => ": keep-alive\n\n"))
    ).pipe(
      Stream.provideContext(context),
      // A failing snapshot (broken config file) ends the stream with an error event, not silence.
      Stream.catch((error) => Stream.succeed(sseEvent("error", { message: error instanceof Error ? error.message : String(error) }))),
      Stream.encodeText
    )
    return HttpServerResponse.stream(body, {
      contentType: "text/event-stream; charset=utf-8",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    })
  })
