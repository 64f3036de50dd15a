import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as AnthropicContent from "../../src/formats/anthropic-messages/Content.ts"
import type { UserPart } from "../../src/formats/Canonical.ts"
import * as OpenAiContent from "../../src/formats/openai-chat/Content.ts"

const fromOpenAi = (part: OpenAiContent.OpenAiUserPart) => Result.getOrThrow(OpenAiContent.userPartToCanonical(part, "p"))
const toOpenAi = (part: UserPart) => Result.getOrThrow(OpenAiContent.userPartFromCanonical(part, "p"))
const fromAnthropic = (block: AnthropicContent.AnthropicBlock) => Result.getOrThrow(AnthropicContent.mediaToCanonical(block, "p"))
const toAnthropic = (part: UserPart) => Result.getOrThrow(AnthropicContent.mediaFromCanonical(part, "p"))

describe("content parts, both ways", () => {
  it.each<readonly [string, OpenAiContent.OpenAiUserPart, UserPart, AnthropicContent.AnthropicBlock]>([
    ["text", { type: "text", text: "hi" }, { _tag: "Text", text: "hi" }, { type: "text", text: "hi" }],
    [
      "text with a cache breakpoint",
      { type: "text", text: "long prefix", prompt_cache_breakpoint: { mode: "explicit" } },
      { _tag: "Text", text: "long prefix", cache: { ttl: undefined } },
      { type: "text", text: "long prefix", cache_control: { type: "ephemeral" } }
    ],
    [
      "image as a data URL ↔ base64 source",
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
      { _tag: "Image", source: { _tag: "Base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }
    ],
    [
      "image by http URL ↔ url source",
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
      { _tag: "Image", source: { _tag: "Url", url: "https://example.com/cat.jpg" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } }
    ],
    [
      "PDF file ↔ base64 document",
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0x", filename: "report.pdf" } },
      { _tag: "Document", source: { _tag: "Base64", mediaType: "application/pdf", data: "JVBERi0x" }, filename: "report.pdf" },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "report.pdf" }
    ]
  ])("%s", (_, openai, canonical, anthropic) => {
    expect(fromOpenAi(openai)).toEqual(canonical)
    expect(toOpenAi(canonical)).toEqual(openai)
    expect(toAnthropic(canonical)).toEqual(anthropic)
    const back = fromAnthropic(anthropic)
    // Anthropic names a document by `title`; OpenAI by `filename`: the name survives either way.
    expect(toOpenAi(back)).toEqual(openai)
  })
})

describe("content parts one side cannot express", () => {
  it("OpenAI image detail is dropped for Anthropic", () => {
    expect(toAnthropic(fromOpenAi({ type: "image_url", image_url: { url: "https://x/y.png", detail: "high" } }))).toEqual({
      type: "image",
      source: { type: "url", url: "https://x/y.png" }
    })
  })

  it("a PDF sent as bare base64 is read as a PDF", () => {
    expect(fromOpenAi({ type: "file", file: { file_data: "JVBERi0x" } })).toEqual({
      _tag: "Document",
      source: { _tag: "Base64", mediaType: "application/pdf", data: "JVBERi0x" }
    })
  })

  it("a plain-text document becomes a text part for OpenAI", () => {
    const part = fromAnthropic({ type: "document", source: { type: "text", media_type: "text/plain", data: "The grass is green." }, title: "Facts" })
    expect(toOpenAi(part)).toEqual({ type: "text", text: "The grass is green." })
    expect(toAnthropic(part)).toEqual({
      type: "document",
      source: { type: "text", media_type: "text/plain", data: "The grass is green." },
      title: "Facts"
    })
  })

  it.each<readonly [string, () => Result.Result<unknown, unknown>, object]>([
    [
      "audio → Anthropic",
      () => AnthropicContent.mediaFromCanonical({ _tag: "Audio", data: "UklGR", format: "wav" }, "messages[0].content[1]"),
      { param: "messages[0].content[1]", target: "anthropic-messages" }
    ],
    [
      "a document by URL → OpenAI",
      () => OpenAiContent.userPartFromCanonical({ _tag: "Document", source: { _tag: "Url", url: "https://x/a.pdf" } }, "messages[0].content[0]"),
      { param: "messages[0].content[0]", target: "openai-chat" }
    ],
    [
      "an OpenAI file id",
      () => OpenAiContent.userPartToCanonical({ type: "file", file: { file_id: "file-abc" } }, "messages[0].content[0]"),
      { param: "messages[0].content[0].file.file_id" }
    ],
    [
      "an Anthropic file id",
      () => AnthropicContent.mediaToCanonical({ type: "image", source: { type: "file", file_id: "file_01" } }, "messages[0].content[0]"),
      { param: "messages[0].content[0].source" }
    ],
    [
      "an Anthropic search result block",
      () => AnthropicContent.mediaToCanonical({ type: "search_result" }, "messages[1].content[0]"),
      { param: "messages[1].content[0]" }
    ]
  ])("%s is refused, naming the field", (_, run, expected) => {
    const result = run()
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", ...expected })
  })
})
