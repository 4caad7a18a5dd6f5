import { QueueEntry } from '../timer-queue.js';
import type { TickLoop } from '../tick-loop.js';

/** What an attempt timeout acts on. */
export interface TimeoutTarget {
  /** The attempt ran past its timeout: abort its signal. */
  attemptTimedOut(): void;
}

/**
 * The per-attempt timeout of a run: armed when an attempt starts, disarmed when it settles. It
 * only aborts the signal; the slot stays taken until the task's promise settles.
 */
export class AttemptTimeout extends QueueEntry {
  readonly #target: TimeoutTarget;

  constructor(target: TimeoutTarget) {
    super();
    this.#target = target;
  }

  arm(loop: TickLoop, attemptStartedAt: number, timeoutMs: number): void {
    loop.schedule(this, attemptStartedAt + timeoutMs);
  }

  disarm(loop: TickLoop): void {
    loop.cancel(this);
  }

  fire(): void {
    this.#target.attemptTimedOut();
  }
}
