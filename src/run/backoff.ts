import { QueueEntry } from '../timer-queue.js';

/** What a retry backoff resumes. */
export interface BackoffTarget {
  /** The backoff is over: start the next attempt (or end the run if no retry may start now). */
  backoffElapsed(now: number): void;
}

/** The wait between a failed attempt and its retry: an entry on the tick loop, so stop() can end it. */
export class RetryBackoff extends QueueEntry {
  readonly #target: BackoffTarget;

  constructor(target: BackoffTarget) {
    super();
    this.#target = target;
  }

  fire(now: number): void {
    this.#target.backoffElapsed(now);
  }
}
