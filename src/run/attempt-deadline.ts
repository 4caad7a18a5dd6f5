import { QueueEntry } from '../timer-queue.js';
import type { TickLoop } from '../tick-loop.js';

/**
 * A deadline of one attempt on the tick loop: armed when the attempt starts, disarmed when it
 * settles. The run has two: its `timeout` (which aborts the attempt's signal — the slot stays
 * taken until the task settles) and its `stuckAfter` check (which reports the run as stuck).
 */
export class AttemptDeadline extends QueueEntry {
  readonly #passed: (now: number) => void;

  constructor(passed: (now: number) => void) {
    super();
    this.#passed = passed;
  }

  arm(loop: TickLoop, attemptStartedAt: number, afterMs: number): void {
    loop.schedule(this, attemptStartedAt + afterMs);
  }

  disarm(loop: TickLoop): void {
    loop.cancel(this);
  }

  fire(now: number): void {
    this.#passed(now);
  }
}
