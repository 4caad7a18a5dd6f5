/**
 * The health of a scheduler, as `GET /healthz` reports it: unhealthy when a run is stuck (in
 * flight past `stuckAfter`) or a job paused itself after `maxConsecutiveFailures`. A job
 * paused by hand is a decision, not a problem.
 *
 * The report is built from the snapshots of the jobs that have a problem only; which jobs those
 * are, the admin handler knows from its attention index without looking at the others.
 */
import type { JobSnapshot, SchedulerSnapshot, SchedulerState } from '../snapshot.js';

/** Something wrong with one job. */
export interface HealthProblem {
  readonly job: string;
  readonly problem: 'stuck' | 'paused-by-failures';
  /** A sentence for humans, naming the job and the numbers. */
  readonly message: string;
}

/** The body of `GET /healthz`. */
export interface HealthReport {
  readonly status: 'ok' | 'unhealthy';
  readonly scheduler: SchedulerState;
  readonly at: Date;
  /** Empty when `status` is `ok`; at most {@link MAX_REASONS}, in the order the jobs were added. */
  readonly reasons: readonly HealthProblem[];
  /** Problems left out of `reasons` beyond the first {@link MAX_REASONS}; present only when some were. */
  readonly omitted?: number;
}

/** Reasons a report lists: enough to act on, and a bounded answer when every job has a problem. */
export const MAX_REASONS = 100;

/** The problems of one job: none, or one of each kind. */
export function problemsOf(job: JobSnapshot): HealthProblem[] {
  const reasons: HealthProblem[] = [];
  if (job.stuck > 0) {
    const oldest = job.runs.filter((run) => run.stuck).reduce((max, run) => Math.max(max, run.runningForMs), 0);
    reasons.push({
      job: job.name,
      problem: 'stuck',
      message: `Job ${JSON.stringify(job.name)} has ${job.stuck} run${job.stuck === 1 ? '' : 's'} stuck past stuckAfter (the oldest running for ${oldest} ms)`,
    });
  }
  if (job.state === 'paused' && job.pauseReason === 'failures') {
    reasons.push({
      job: job.name,
      problem: 'paused-by-failures',
      message: `Job ${JSON.stringify(job.name)} paused itself after ${job.consecutiveFailures} failed runs in a row${job.lastRun?.error ? ` (last error: ${job.lastRun.error.message})` : ''}`,
    });
  }
  return reasons;
}

/** A report from the problems found, `total` of them in all (more than listed when they were cut short). */
export function healthReport(scheduler: SchedulerState, at: Date, reasons: readonly HealthProblem[], total: number): HealthReport {
  const listed = reasons.slice(0, MAX_REASONS);
  const omitted = Math.max(0, total - listed.length);
  return { status: total === 0 ? 'ok' : 'unhealthy', scheduler, at, reasons: listed, ...(omitted > 0 ? { omitted } : {}) };
}

/** Computes the health of a scheduler from its snapshot. */
export function healthOf(snapshot: SchedulerSnapshot): HealthReport {
  const reasons = snapshot.jobs.flatMap(problemsOf);
  return healthReport(snapshot.state, snapshot.at, reasons, reasons.length);
}
