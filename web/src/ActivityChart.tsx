/**
 * Tokens and cost over time, drawn by uPlot (a small canvas charting library): input and output
 * tokens as bars side by side per bucket on the left axis, the known cost as a line on the right.
 * A bucket whose requests all have unknown prices has no cost point rather than a $0 one.
 *
 * The chart is made once per bucket size and series count and fed new data in place after that,
 * so the live refresh does not flicker or lose the cursor; it follows its container's width.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"
import type { Bucket } from "../../src/usage/UsageWindow.ts"
import { dollars } from "../../src/usage/UsageReport.ts"
import type { ChartSeries } from "./ActivityData.ts"

const HEIGHT = 220
const BUCKET_SECONDS: Readonly<Record<Bucket, number>> = { hour: 3_600, day: 86_400 }

/** The page's own colours (style.css), read when the chart is made: canvas needs values, not variables. */
const cssColour = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback

const compact = (n: number): string =>
  n >= 1_000_000 ? `${+(n / 1_000_000).toFixed(1)}M` : n >= 1_000 ? `${+(n / 1_000).toFixed(1)}k` : String(Math.round(n))

const options = (bucket: Bucket, width: number): uPlot.Options => {
  const muted = cssColour("--muted", "#667085")
  const grid = cssColour("--border", "#d9dde5")
  const bars = (align: -1 | 1) => uPlot.paths.bars!({ size: [0.42, 28], align })
  const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    // Half a bucket either side: the bars stand around their bucket's start, the first and last ones too.
    scales: { x: { time: true, range: (_u, min, max) => [min - BUCKET_SECONDS[bucket] / 2, max + BUCKET_SECONDS[bucket] / 2] }, tokens: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] }, usd: { range: (_u, _min, max) => [0, Math.max(0.01, max * 1.15)] } },
    series: [
      { value: (_u, v) => v === null ? "–" : new Date(v * 1000).toLocaleString(undefined, bucket === "hour" ? { dateStyle: "short", timeStyle: "short" } : { dateStyle: "medium" }) },
      { label: "Input tokens", scale: "tokens", fill: cssColour("--blue", "#2f6fed") + "b3", stroke: cssColour("--blue", "#2f6fed"), width: 1, paths: bars(-1), points: { show: false }, value: (_u, v) => v === null ? "–" : v.toLocaleString("en-US") },
      { label: "Output tokens", scale: "tokens", fill: cssColour("--green", "#1f9d55") + "b3", stroke: cssColour("--green", "#1f9d55"), width: 1, paths: bars(1), points: { show: false }, value: (_u, v) => v === null ? "–" : v.toLocaleString("en-US") },
      // No cursor: nothing to say (v is null then too, which must not read as an unknown price).
      { label: "Cost", scale: "usd", stroke: cssColour("--amber", "#b54708"), width: 2, points: { show: true, size: 5 }, spanGaps: false, value: (_u, v, _s, idx) => idx === null ? "–" : v === null ? "price unknown" : dollars(v) }
    ],
    axes: [
      // Day buckets: a tick a day (uPlot would pick 8-hour steps for a week).
      bucket === "day" ? { ...axis, incrs: [86_400, 2 * 86_400, 7 * 86_400], values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleDateString(undefined, { month: "short", day: "numeric" })) } : { ...axis },
      { ...axis, scale: "tokens", values: (_u, ticks) => ticks.map(compact), size: 50 },
      { ...axis, scale: "usd", side: 1, grid: { show: false }, values: (_u, ticks) => ticks.map((t) => dollars(t)), size: 64 }
    ]
  }
}

const aligned = (series: ChartSeries): uPlot.AlignedData => [series.x, series.input, series.output, series.cost]

const darkScheme = () => matchMedia("(prefers-color-scheme: dark)")

export function ActivityChart(props: { readonly series: ChartSeries; readonly bucket: Bucket }) {
  const container = useRef<HTMLDivElement>(null)
  const plot = useRef<{ readonly chart: uPlot; readonly bucket: Bucket; readonly points: number; readonly dark: boolean } | undefined>(undefined)
  // The colours are read when the chart is made: a switch of the system's light/dark setting makes it again.
  const [dark, setDark] = useState(() => darkScheme().matches)
  useEffect(() => {
    const query = darkScheme()
    const follow = () => setDark(query.matches)
    query.addEventListener("change", follow)
    return () => query.removeEventListener("change", follow)
  }, [])

  useEffect(() => {
    const element = container.current
    if (element === null) return
    const current = plot.current
    if (current !== undefined && current.bucket === props.bucket && current.points === props.series.x.length && current.dark === dark) {
      current.chart.setData(aligned(props.series))
      return
    }
    current?.chart.destroy()
    const chart = new uPlot(options(props.bucket, Math.max(200, element.clientWidth)), aligned(props.series), element)
    plot.current = { chart, bucket: props.bucket, points: props.series.x.length, dark }
  }, [props.series, props.bucket, dark])

  useEffect(() => {
    const element = container.current
    if (element === null) return
    const resized = new ResizeObserver(() => plot.current?.chart.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }))
    resized.observe(element)
    return () => {
      resized.disconnect()
      plot.current?.chart.destroy()
      plot.current = undefined
    }
  }, [])

  return <div class="activity-chart" ref={container} role="img" aria-label="Tokens and cost over time" />
}
