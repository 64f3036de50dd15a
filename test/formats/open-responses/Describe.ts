/**
 * Open Responses outbound events as one line each, for golden comparisons. Also checks what
 * every event must satisfy: its `event:` name equals its `type`, and `sequence_number`s count
 * up from 0 without a gap.
 */
import type * as Sse from "../../../src/formats/Sse.ts"

export const describeResponses = (events: ReadonlyArray<Sse.OutboundEvent>): ReadonlyArray<string> => {
  let expected = 0
  return events.map((event) => {
    if (event._tag === "Done") return "[DONE]"
    const data = event.data as any
    if (event.event !== data.type) return `misnamed ${event.event} for ${data.type}`
    if (data.sequence_number !== expected) return `sequence ${data.sequence_number}, expected ${expected}`
    expected++
    const at = data.output_index !== undefined ? `[${data.output_index}]` : ""
    switch (data.type) {
      case "response.created":
      case "response.in_progress":
        return `${data.type} ${data.response.id} ${data.response.model}`
      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        const r = data.response
        const usage = r.usage ? ` usage ${r.usage.input_tokens}+${r.usage.output_tokens}` : ""
        const reason = r.incomplete_details ? ` (${r.incomplete_details.reason})` : r.error ? ` (${r.error.code}: ${r.error.message})` : ""
        return `${data.type} ${r.status}${reason} items ${r.output.map((item: any) => `${item.type}:${item.status}`).join(",")}${usage}`
      }
      case "response.output_item.added":
      case "response.output_item.done": {
        const item = data.item
        const detail = item.type === "function_call" ? ` ${item.call_id} ${item.name}${data.type.endsWith("done") ? ` ${item.arguments}` : ""}` : ""
        const encrypted = item.encrypted_content ? ` encrypted=${item.encrypted_content}` : ""
        return `${data.type}${at} ${item.type} ${item.id} ${item.status}${detail}${encrypted}`
      }
      case "response.content_part.added":
      case "response.content_part.done":
        return `${data.type}${at}.${data.content_index} ${data.part.type}${data.type.endsWith("done") ? ` ${JSON.stringify(data.part.text ?? data.part.refusal)}` : ""}`
      case "error":
        return `error ${data.error.type}/${data.error.code}: ${data.error.message}`
      default: {
        const value = data.delta ?? data.text ?? data.arguments ?? data.refusal
        return `${data.type}${at} ${JSON.stringify(value)}`
      }
    }
  })
}
