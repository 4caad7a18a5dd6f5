import type { SystemDriver } from '../systems/adapter.js';
import type { ChildMessage, Metric } from '../types.js';

/** What a scenario gets from the child process: a driver factory and a way to report progress. */
export interface ScenarioContext {
  /** Builds a driver of the system under test; its library is already imported. */
  readonly makeDriver: () => SystemDriver;
  /** Runs the system briefly so first-use compilation is not charged to the measured jobs. */
  warmUp(): Promise<void>;
  /** Starts a CPU profile of the measured window when asked for; call the result to stop and write it. */
  profileWindow(): Promise<() => Promise<void>>;
  /** Tells the parent how far the case got, so a timeout can say where it stopped. */
  progress(note: string): void;
}

export type ScenarioOutcome = Extract<ChildMessage, { kind: 'result' }>;

export const ok = (metrics: Record<string, Metric>, notes?: readonly string[]): ScenarioOutcome => ({
  kind: 'result',
  status: 'ok',
  metrics,
  ...(notes === undefined ? {} : { notes }),
});

export const timedOut = (reason: string): ScenarioOutcome => ({ kind: 'result', status: 'timeout', reason, metrics: {} });

export const outOfMemory = (reason: string): ScenarioOutcome => ({ kind: 'result', status: 'oom', reason, metrics: {} });

/** Compact job counts for labels and notes: 1000 → 1k, 100000 → 100k. */
export function count(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}
