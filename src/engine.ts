/**
 * What every part of a scheduler shares: its clock and tick loop, its events and logger, its
 * coordinator, and whether it still accepts new runs. The scheduler implements it; jobs,
 * executors, runs and claims receive it instead of reaching into the scheduler.
 */
import type { Clock } from './clock.js';
import type { EventHub } from './events.js';
import type { Logger } from './logger.js';
import type { TickLoop } from './tick-loop.js';
import type { Coordinator } from './coordination/contract.js';
import type { CoordinatorCalls } from './coordination/calls.js';
import type { Run } from './run/run.js';
import type { AttemptContext } from './run/context.js';

export interface Engine {
  readonly clock: Clock;
  readonly loop: TickLoop;
  readonly events: EventHub;
  /** The scheduler's logger, guarded: its calls never throw. */
  readonly log: Logger;
  readonly coordinator: Coordinator | undefined;
  readonly claimTimeoutMs: number;
  /** Calls to the coordinator still unanswered, which `stop()` and `remove()` wait for. */
  readonly calls: CoordinatorCalls;
  /** What a coordinated tick does when its claim fails. */
  readonly onCoordinatorError: 'skip' | 'run';
  /** False once `stop()` was called: from then on no run starts. */
  readonly accepting: boolean;
  /**
   * The run whose task body is executing synchronously right now, if any: lets `stop()` and
   * `remove()` called from inside a task see that they would wait for their own caller.
   */
  bodyRun: Run | undefined;
  /**
   * The last run started and one attempt context (never handed to a task), kept for the
   * scheduler's life so that the hidden classes every run and context share survive idle time.
   *
   * Why: a run and its context live for one turn. A job set that runs in bursts separated by
   * idle time (1k jobs due once a second, say) has no run alive between bursts, and V8 holds
   * hidden classes without instances only weakly: its idle-time full collections (the memory
   * reducer) free them, and every optimized function of the run path is thrown away ("weak
   * objects" in `--trace-deopt`) and optimized again over the next bursts. At 1k jobs × 1 Hz that
   * was about half of the process's CPU. A settled run holds no context, so no listener a task
   * left on its signal is kept.
   *
   * What they hold: the kept run, its job's executor (and so the job's config and task) and the
   * lease it ran under; the kept context, the run it was made by (the first that started an
   * attempt, or the first after a release) and so the same. Never a task's context, signal or
   * error. Bounded: one run and one context per scheduler. Released when that job is removed and
   * its runs settled (`released()` in scheduler.ts) and when the scheduler stops.
   */
  readonly shapeKeepers: { run: Run | undefined; context: AttemptContext | undefined };
  /** Scheduler-wide totals the runs keep as they go: runs in flight, and those of them stuck. */
  readonly tally: { inFlight: number; stuck: number };
  /** A run settled: drains waiting in `stop()`/`remove()` take note. */
  runSettled(run: Run): void;
  /** Reports a fault of the engine itself (never of user code). */
  internalError(error: unknown, where: string): void;
  /**
   * Reports a failure that was contained (a coordinator's release that threw, say): to the
   * logger at error, or — without one — as a process warning, once per scheduler.
   */
  contained(error: unknown, message: string, fields?: Record<string, unknown>): void;
}
