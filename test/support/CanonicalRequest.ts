/**
 * A canonical request for tests: every field the hub's `Request` has, unset unless given, so a
 * test names only what it is about (and a new optional field means one edit here, not in each test).
 */
import type { Request } from "../../src/formats/Canonical.ts"

export const canonicalRequest = (fields: Partial<Request> = {}): Request => ({
  model: "m",
  messages: [],
  tools: undefined,
  toolChoice: undefined,
  parallelToolCalls: undefined,
  maxTokens: undefined,
  temperature: undefined,
  topP: undefined,
  topK: undefined,
  stopSequences: undefined,
  user: undefined,
  metadata: undefined,
  reasoning: undefined,
  responseFormat: undefined,
  stream: false,
  includeUsage: undefined,
  ignoredFields: [],
  ...fields
})
