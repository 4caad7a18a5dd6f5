import { QueueEntry } from '../timer-queue.js';
import type { TickLoop } from '../tick-loop.js';

/** What a stuck check reports on. */
export interface StuckTarget {
  /** The attempt is still in flight `stuckAfter` after it started. */
  attemptStuck(now: number): void;
}

/** Reports a run still in flight past `stuckAfter`: armed per attempt, disarmed when it settles. */
export class StuckWatch extends QueueEntry {
  readonly #target: StuckTarget;

  constructor(target: StuckTarget) {
    super();
    this.#target = target;
  }

  arm(loop: TickLoop, attemptStartedAt: number, stuckAfterMs: number): void {
    loop.schedule(this, attemptStartedAt + stuckAfterMs);
  }

  disarm(loop: TickLoop): void {
    loop.cancel(this);
  }

  fire(now: number): void {
    this.#target.attemptStuck(now);
  }
}
