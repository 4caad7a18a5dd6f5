/**
 * Turns the runner's raw outcomes into the lab report: per strategy its figures, what they
 * show in a few words ("findings"), and its violations; for the run, whether the self-check
 * passed. Pure: everything printed or rendered comes from here.
 */
import type { LabReport, LabSettings, Sample, StrategyReport, Violation, WorkerResult } from './protocol.js';
import type { StrategyOutcome } from './runner.js';
import { STRATEGIES } from './strategies.js';
import { formatBytes, formatMs, plural } from './format.js';

/** What the report says about the run beyond the outcomes. */
export interface RunFacts {
  readonly version: string;
  readonly startedAt: Date;
  readonly wallTimeMs: number;
  /** Where the HTML report goes, or `null`. */
  readonly reportPath: string | null;
}

const EMPTY_RESULT: WorkerResult = {
  peakInFlight: 0, startedRuns: 0, completedRuns: 0, failedRuns: 0, skippedTicks: 0, peakQueue: 0,
  peakHeapBytes: 0, peakExternalBytes: 0, peakMemoryBytes: 0, peakHandles: 0, peakTimeouts: 0,
  peakAbortListeners: null, eventLoopDelayP99Ms: 0, stoppedAtMs: 0, startedAfterStop: 0,
  inFlightAfterStop: 0, handlesAfterStop: {}, memoryCapped: false, endedEarly: false, engine: null,
  violations: [], warnings: [],
};

/** Builds the report of a lab run. */
export function assembleReport(settings: LabSettings, outcomes: readonly StrategyOutcome[], facts: RunFacts): LabReport {
  const strategies = outcomes.map((outcome) => strategyReport(settings, outcome));
  const violations = strategies.flatMap((strategy) => strategy.violations);
  return {
    tool: 'tickguard lab',
    version: facts.version,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    startedAt: facts.startedAt.toISOString(),
    wallTimeMs: Math.round(facts.wallTimeMs),
    config: settings,
    strategies,
    violations,
    ok: violations.length === 0,
    report: facts.reportPath,
  };
}

function strategyReport(settings: LabSettings, outcome: StrategyOutcome): StrategyReport {
  const definition = STRATEGIES[outcome.name];
  const maxConcurrency = definition.maxConcurrency(settings.capacity);
  const base = {
    name: outcome.name,
    kind: definition.kind,
    scheme: definition.scheme,
    maxConcurrency,
    samples: outcome.samples,
  };
  if (outcome.result === null) {
    const error = outcome.error ?? 'the worker reported nothing';
    const violation: Violation = { strategy: outcome.name, kind: 'worker-failed', message: error.split('\n')[0] ?? error };
    return { ...base, ...EMPTY_RESULT, status: 'error', error, findings: [], violations: [violation] };
  }
  const { violations, ...result } = outcome.result;
  return {
    ...base,
    ...result,
    status: 'ok',
    error: null,
    findings: findings(settings, outcome.result, outcome.samples, definition.kind === 'tickguard', maxConcurrency),
    violations,
  };
}

/** What the figures of one strategy show, most telling first. */
function findings(
  settings: LabSettings,
  result: WorkerResult,
  samples: readonly Sample[],
  isTickguard: boolean,
  limit: number | null,
): string[] {
  const notes: string[] = [];
  const growing = (pick: (sample: Sample) => number): boolean => stillGrowing(samples, result.stoppedAtMs, pick);
  if (limit !== null) {
    notes.push(`at most ${plural(result.peakInFlight, 'run')} in flight (limit ${limit})`);
  } else if (result.peakInFlight > settings.capacity + 1) {
    notes.push(`runs in flight grew to ${result.peakInFlight}${growing((s) => s.inFlight) ? ', still growing at stop' : ''}`);
  }
  if (result.peakQueue > Math.max(2, limit ?? 0)) {
    notes.push(`downstream queue grew to ${result.peakQueue}${growing((s) => s.queue) ? ', still growing at stop' : ''}`);
  }
  if (result.memoryCapped) {
    notes.push(`held memory reached the ${formatBytes(settings.memoryCapBytes)} cap: it would have kept growing`);
  }
  if (result.endedEarly) notes.push('ended early: the process grew too large');
  const baselineTimeouts = settings.capacity + 3;
  if (result.peakTimeouts > baselineTimeouts) {
    notes.push(`Timeout handles grew to ${result.peakTimeouts}${growing((s) => s.handlesByType.Timeout ?? 0) ? ', still growing at stop' : ''}`);
  }
  if (result.peakAbortListeners !== null && result.peakAbortListeners > 1) {
    notes.push(`'abort' listeners grew to ${result.peakAbortListeners}`);
  }
  const afterStop = `${formatMs(graceOf(samples, result.stoppedAtMs))} after stop`;
  if (result.startedAfterStop > 0) notes.push(`${plural(result.startedAfterStop, 'run')} started after stop`);
  if (result.inFlightAfterStop > 0) notes.push(`${plural(result.inFlightAfterStop, 'run')} still running ${afterStop}`);
  const timersLeft = result.handlesAfterStop.Timeout ?? 0;
  if (timersLeft > 0) notes.push(`${plural(timersLeft, 'Timeout')} still active ${afterStop}`);
  if (isTickguard) {
    if (result.skippedTicks > 0) notes.push(`${plural(result.skippedTicks, 'busy tick')} skipped`);
    if (result.engine !== null && result.engine.stopClean && timersLeft === 0 && result.inFlightAfterStop === 0) {
      notes.push(`clean stop in ${formatMs(result.engine.stopDurationMs)}, no timer left`);
    }
  } else if (result.skippedTicks > 0) {
    notes.push(`${plural(result.skippedTicks, 'tick')} skipped by its busy flag`);
  }
  return notes;
}

/** Whether a series rose over the second half of the run (before stop): the trend a bounded strategy does not have. */
function stillGrowing(samples: readonly Sample[], stoppedAtMs: number, pick: (sample: Sample) => number): boolean {
  const running = samples.filter((sample) => !sample.stopping && sample.t <= stoppedAtMs);
  const last = running.at(-1);
  const middle = running[Math.floor(running.length / 2)];
  if (last === undefined || middle === undefined || running.length < 6) return false;
  return pick(last) > pick(middle) * 1.2 && pick(last) - pick(middle) >= 2;
}

/** How long after stop the last sample was taken, to the nearest 100 ms. */
function graceOf(samples: readonly Sample[], stoppedAtMs: number): number {
  const last = samples.at(-1);
  return last === undefined ? 0 : Math.max(0, Math.round((last.t - stoppedAtMs) / 100) * 100);
}
