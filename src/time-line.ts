/**
 * The two time lines, converted in this one place.
 *
 * Due times, tick ids, `scheduledAt` and snapshots are **wall-clock** instants (`clock.wallNow()`):
 * every replica computes the same fixedRate slot or cron occurrence, and a human reads them as
 * dates. Waiting happens on the **monotonic** line (`clock.now()`): the tick loop's queue and
 * timer, run timeouts and lease renewals, so that a wall-clock step (NTP, a user setting the
 * date, a VM resumed from suspend) neither fires a timer early nor stretches a timeout.
 *
 * The two drift apart over a process's life; the offset between them is read when needed —
 * once per pass of the tick loop, so that every conversion in a pass agrees and a tick costs no
 * clock reads of its own. A wall-clock due time is turned into a monotonic deadline when it is
 * armed, with the offset of that moment; when the deadline comes, the ticker checks the wall
 * clock again and waits for the rest if the wall clock was set back meanwhile.
 */
import type { Clock } from './clock.js';

export class TimeLine {
  readonly #clock: Clock;
  /** `wallNow() − now()` as of the current pass; NaN outside a pass. */
  #offset = NaN;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A pass of the tick loop begins: take the offset once for all of it. */
  beginPass(): void {
    this.#offset = this.#clock.wallNow() - this.#clock.now();
  }

  /** The pass is over: later conversions read the clocks again. */
  endPass(): void {
    this.#offset = NaN;
  }

  /** `wallNow() − now()`: the pass's, or a fresh reading outside a pass. */
  offset(): number {
    const offset = this.#offset;
    return Number.isNaN(offset) ? this.#clock.wallNow() - this.#clock.now() : offset;
  }

  /** The wall-clock time at the monotonic instant `monoNow` (the pass's time, usually). */
  wallAt(monoTime: number): number {
    return monoTime + this.offset();
  }

  /** The monotonic instant at which the wall clock is expected to read `wallTime`. */
  monotonicAt(wallTime: number): number {
    return wallTime - this.offset();
  }
}
