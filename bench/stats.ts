/** Percentiles over raw samples (ms). autocannon's own histogram has 1 ms resolution, too coarse for a local hop. */

/** Nearest-rank percentile of `samples` (need not be sorted); NaN when empty. */
export const percentile = (samples: ReadonlyArray<number>, p: number): number => {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** The middle sample, or the mean of the two middle ones (unbiased for a handful of samples, unlike the nearest rank); NaN when empty. */
export const median = (samples: ReadonlyArray<number>): number => {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const half = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2
}

/** Rounded for the JSON results: sub-microsecond digits are noise. */
export const round = (value: number, digits = 3): number => {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
