/**
 * The seam between scenarios and the systems under test: each system is an adapter that
 * imports its library and hands out drivers, and a driver adds, re-schedules and removes
 * periodic jobs by index. Scenarios never touch a library directly.
 *
 * Every adapter gives each job one closure of its own and computes the job's nominal due
 * time itself when the library does not tell it, so the task, `(dueMs) => void | Promise<void>`,
 * is the same for every system and lateness is measured the same way everywhere.
 */
import type { SystemName } from '../types.js';
import { now } from '../lib/lateness.js';

/** The benchmark's task: `dueMs` is the run's nominal due time on the `now()` line. */
export type BenchTask = (dueMs: number) => void | Promise<void>;

/** One scheduler instance (or, for raw timers, one set of handles) holding jobs by index. */
export interface SystemDriver {
  /** Adds job `index`, running `task` every `periodMs`, first run one period from now. */
  add(index: number, periodMs: number, task: BenchTask): void;
  /** Gives job `index` a new period (natively where the library can, else by re-creating the job). */
  update(index: number, periodMs: number): void;
  /** Removes job `index`; what it returns is awaited before the phase is timed as done. */
  remove(index: number): void | Promise<unknown>;
  /** Removes everything and releases every timer. */
  stop(): Promise<void>;
}

export interface LoadOptions {
  /** The file tickguard is imported from (bench/run.ts always passes one for tickguard cases). */
  readonly tickguardEntry: string | undefined;
}

export interface SystemAdapter {
  readonly name: SystemName;
  /** How the system is configured so that runs of one job never overlap. */
  readonly overlapProtection: string;
  /** Whether it can schedule periods below one second. */
  readonly subSecond: boolean;
  /** How `update()` is carried out, for the churn table. */
  readonly updateMethod: string;
  /** How the adapter knows a run's nominal due time. */
  readonly dueTime: string;
  /** Imports the library (before the heap baseline is taken) and returns a driver factory. */
  load(options: LoadOptions): Promise<() => SystemDriver>;
}

/**
 * A 6-field cron pattern firing every `periodMs`: whole seconds that divide a minute, or whole
 * minutes that divide an hour. Cron-based peers can express nothing else.
 */
export function cronPatternFor(periodMs: number): string {
  const seconds = periodMs / 1000;
  if (seconds === 1) return '* * * * * *';
  if (Number.isInteger(seconds) && seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
  if (seconds === 60) return '0 * * * * *';
  throw new Error(`no cron pattern fires every ${periodMs} ms`);
}

/**
 * `Date.now()` minus `now()`: converts cron peers' wall-clock due times to the `now()` line.
 * Zero while the probe reads the wall clock itself; kept so that a probe on another clock only
 * changes `now()`.
 */
export function wallOffset(): number {
  return Date.now() - now();
}

/**
 * The due time of a run of a wall-clock-aligned job: the latest multiple of `periodMs` on the
 * wall clock at or before now. Cron peers skip a late tick rather than drift, so counting ticks
 * would charge a skipped one to every later run; this charges each run for its own boundary.
 */
export function wallAlignedDue(periodMs: number, offset: number): number {
  const wall = now() + offset;
  return Math.floor(wall / periodMs) * periodMs - offset;
}

/** A shared, already settled promise for adapters whose API insists on one. */
export const SETTLED: Promise<void> = Promise.resolve();
