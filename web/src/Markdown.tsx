/**
 * A model's reply as Markdown: parsed by `marked` (GitHub flavour), code blocks highlighted by
 * highlight.js (its core and the languages below only, to keep the page small), and the HTML
 * sanitised by DOMPurify before it reaches the DOM — a reply is untrusted text, and may well hold
 * `<script>` or `<img onerror>`. Each code block gets a Copy button, handled by one listener.
 */
import DOMPurify from "dompurify"
import hljs from "highlight.js/lib/core"
import bash from "highlight.js/lib/languages/bash"
import css from "highlight.js/lib/languages/css"
import go from "highlight.js/lib/languages/go"
import java from "highlight.js/lib/languages/java"
import javascript from "highlight.js/lib/languages/javascript"
import json from "highlight.js/lib/languages/json"
import python from "highlight.js/lib/languages/python"
import rust from "highlight.js/lib/languages/rust"
import sql from "highlight.js/lib/languages/sql"
import typescript from "highlight.js/lib/languages/typescript"
import xml from "highlight.js/lib/languages/xml"
import yaml from "highlight.js/lib/languages/yaml"
import { Marked } from "marked"
import { useMemo } from "preact/hooks"

const languages = { bash, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml }
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language)

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** Highlighted HTML of a code block: its fence's language when known, else a guess among the registered ones. */
const highlight = (code: string, lang: string | undefined): { readonly html: string; readonly language: string | undefined } => {
  const name = lang?.trim().split(/\s+/)[0]?.toLowerCase()
  if (name !== undefined && name !== "" && hljs.getLanguage(name) !== undefined) {
    return { html: hljs.highlight(code, { language: name, ignoreIllegals: true }).value, language: name }
  }
  if (name !== undefined && name !== "") return { html: escapeHtml(code), language: name }
  const guess = hljs.highlightAuto(code)
  return { html: guess.value, language: guess.language }
}

const marked = new Marked({
  gfm: true,
  renderer: {
    code({ text, lang }) {
      const { html, language } = highlight(text, lang)
      const label = language === undefined ? "" : `<span class="code-lang">${escapeHtml(language)}</span>`
      return `<div class="code-block"><div class="code-head">${label}<button type="button" class="copy-code">Copy</button></div>` +
        `<pre><code class="hljs">${html}</code></pre></div>`
    }
  }
})

/** Sanitised HTML of a Markdown text: no scripts, event handlers, styles, forms or frames survive. */
export const markdownHtml = (text: string): string =>
  DOMPurify.sanitize(marked.parse(text, { async: false }), {
    FORBID_TAGS: ["style", "form", "input", "textarea", "select", "iframe"],
    FORBID_ATTR: ["style"]
  })

// Links in a reply open in a new tab, without handing it this page.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank")
    node.setAttribute("rel", "noopener noreferrer")
  }
})

/** Copies the code of the block whose Copy button was clicked; says "Copied" on the button a moment. */
const copyCode = (event: MouseEvent): void => {
  const button = event.target instanceof Element ? event.target.closest("button.copy-code") : null
  const code = button?.closest(".code-block")?.querySelector("pre")?.textContent
  if (button === null || button === undefined || code === null || code === undefined) return
  navigator.clipboard.writeText(code).then(
    () => {
      button.textContent = "Copied"
      setTimeout(() => (button.textContent = "Copy"), 1500)
    },
    () => (button.textContent = "Copy failed")
  )
}

/** A reply rendered as Markdown (the HTML is sanitised: see `markdownHtml`). */
export function Markdown(props: { readonly text: string }) {
  // Parsed again only when the text changed: a stream re-renders the whole conversation per delta.
  const html = useMemo(() => markdownHtml(props.text), [props.text])
  return <div class="content markdown" onClick={copyCode} dangerouslySetInnerHTML={{ __html: html }} />
}
