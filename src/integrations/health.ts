/**
 * The health of a scheduler, as `GET /healthz` reports it: unhealthy when a run is stuck (in
 * flight past `stuckAfter`) or a job paused itself after `maxConsecutiveFailures`. A job
 * paused by hand is a decision, not a problem.
 */
import type { SchedulerSnapshot, SchedulerState } from '../snapshot.js';

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
  /** Empty when `status` is `ok`. */
  readonly reasons: readonly HealthProblem[];
}

/** Computes the health of a scheduler from its snapshot. */
export function healthOf(snapshot: SchedulerSnapshot): HealthReport {
  const reasons: HealthProblem[] = [];
  for (const job of snapshot.jobs) {
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
  }
  return { status: reasons.length === 0 ? 'ok' : 'unhealthy', scheduler: snapshot.state, at: snapshot.at, reasons };
}
