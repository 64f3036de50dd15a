import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { UserPart } from "../../../src/formats/Canonical.ts"
import * as Content from "../../../src/formats/open-responses/Content.ts"

describe("content parts ↔ canonical", () => {
  it.each<readonly [string, Content.ResponsesPart, UserPart, Content.ResponsesInputPartOut]>([
    ["input_text", { type: "input_text", text: "hi" }, { _tag: "Text", text: "hi" }, { type: "input_text", text: "hi" }],
    [
      "input_image, data URL ↔ base64",
      { type: "input_image", image_url: "data:image/png;base64,iVBOR", detail: "high" },
      { _tag: "Image", source: { _tag: "Base64", mediaType: "image/png", data: "iVBOR" }, detail: "high" },
      { type: "input_image", image_url: "data:image/png;base64,iVBOR", detail: "high" }
    ],
    [
      "input_image, http URL ↔ URL (detail defaults to auto on the way out)",
      { type: "input_image", image_url: "https://example.com/cat.jpg" },
      { _tag: "Image", source: { _tag: "Url", url: "https://example.com/cat.jpg" } },
      { type: "input_image", image_url: "https://example.com/cat.jpg", detail: "auto" }
    ],
    [
      "input_file, file_data ↔ inline document",
      { type: "input_file", file_data: "data:application/pdf;base64,JVBER", filename: "a.pdf" },
      { _tag: "Document", source: { _tag: "Base64", mediaType: "application/pdf", data: "JVBER" }, filename: "a.pdf" },
      { type: "input_file", file_data: "data:application/pdf;base64,JVBER", filename: "a.pdf" }
    ],
    [
      "input_file, file_url ↔ document by URL",
      { type: "input_file", file_url: "https://example.com/a.pdf" },
      { _tag: "Document", source: { _tag: "Url", url: "https://example.com/a.pdf" } },
      { type: "input_file", file_url: "https://example.com/a.pdf" }
    ]
  ])("%s", (_, wire, canonical, out) => {
    expect(Result.getOrThrow(Content.userPartToCanonical(wire, "input[0].content[0]"))).toEqual(canonical)
    expect(Result.getOrThrow(Content.userPartFromCanonical(canonical, "messages[0].content[0]"))).toEqual(out)
  })

  it("bare base64 file_data is read as a PDF; a text document is written as input_text", () => {
    expect(Result.getOrThrow(Content.userPartToCanonical({ type: "input_file", file_data: "JVBER" }, "p"))).toEqual({
      _tag: "Document",
      source: { _tag: "Base64", mediaType: "application/pdf", data: "JVBER" }
    })
    expect(Result.getOrThrow(Content.userPartFromCanonical({ _tag: "Document", source: { _tag: "Text", text: "notes" } }, "p"))).toEqual({
      type: "input_text",
      text: "notes"
    })
  })

  it.each<readonly [string, Content.ResponsesPart, string]>([
    ["an image by file_id", { type: "input_image", file_id: "file-1" }, "input[0].content[0].file_id"],
    ["a file by file_id", { type: "input_file", file_id: "file-1" }, "input[0].content[0].file_id"],
    ["input_audio", { type: "input_audio" }, "input[0].content[0]"],
    ["a refusal in a user message", { type: "refusal", refusal: "no" }, "input[0].content[0]"]
  ])("refuses %s, naming %s", (_, wire, param) => {
    const result = Content.userPartToCanonical(wire, "input[0].content[0]")
    expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "UnsupportedField", param })
  })

  it("audio cannot be written", () => {
    const result = Content.userPartFromCanonical({ _tag: "Audio", data: "UklG", format: "wav" }, "messages[0].content[0]")
    expect(Result.isFailure(result) && result.failure).toMatchObject({ param: "messages[0].content[0]", target: "open-responses" })
  })
})
