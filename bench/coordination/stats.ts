import type { Summary } from './types.js';

/** Nearest-rank percentiles of raw samples (exact: every sample is kept). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { n: sorted.length, p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1]!, mean: sum / sorted.length };
}

/** All the arrays, one after another (avoids spreading 100k-element arrays into push()). */
export function concat(arrays: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const array of arrays) for (const value of array) out.push(value);
  return out;
}
