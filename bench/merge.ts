import type { CaseResult, Metric } from './types.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * One row from repeated runs of a case: the median of each metric over the runs that
 * measured, or the first failure when none did.
 */
export function mergeRepeats(runs: readonly CaseResult[]): CaseResult {
  const first = runs[0];
  if (first === undefined) throw new Error('mergeRepeats needs at least one run');
  const measured = runs.filter((run) => run.status === 'ok');
  if (measured.length <= 1) return measured[0] ?? first;
  const metrics: Record<string, Metric> = {};
  for (const key of Object.keys(measured[0]!.metrics)) {
    const numbers = measured.map((run) => run.metrics[key]).filter((value): value is number => typeof value === 'number');
    metrics[key] = numbers.length === measured.length ? median(numbers) : (measured[0]!.metrics[key] ?? { na: 'not measured' });
  }
  const notes = [...(measured[0]!.notes ?? []), `median of ${measured.length} runs`];
  return { ...measured[0]!, metrics, notes, wallMs: measured.reduce((sum, run) => sum + run.wallMs, 0) };
}
