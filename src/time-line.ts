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
 * armed; when the deadline comes, the ticker checks the wall clock again and waits for the rest
 * if the wall clock was set back meanwhile.
 *
 * The offset is kept steady: `Date.now()` counts whole milliseconds, so a fresh reading of
 * `wallNow() − now()` wanders within a millisecond from one read to the next. Were each reading
 * used as is, a deadline armed with one and checked with another would often look a fraction of
 * a millisecond early, and wake the loop twice. A reading replaces the kept offset only when it
 * differs by a millisecond or more: a real step or drift of the wall clock.
 *
 * Under a test's fake timers both lines are the fake clock's (`fake-timers.ts`): the offset is a
 * whole number of milliseconds, so due times stay on the whole milliseconds those timers fire on,
 * and `setSystemTime()` is a wall-clock step like any other. Two whole-millisecond clocks have no
 * resolution to smooth, so a whole reading also replaces a kept offset with a fraction — the one
 * read on the real clocks before the test installed its fake timers, which would otherwise put
 * every due time a fraction past the millisecond it is due on, and fire it a millisecond late.
 */
import type { Clock } from './clock.js';

/** A reading of the offset that differs from the kept one by less than this is the wall clock's resolution, not a change. */
const RESOLUTION_MS = 1;

export class TimeLine {
  readonly #clock: Clock;
  /** The kept `wallNow() − now()`. */
  #offset = NaN;
  #inPass = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A pass of the tick loop begins: read the offset once for all of it. */
  beginPass(): void {
    this.#read();
    this.#inPass = true;
  }

  /** The pass is over: later conversions read the clocks again. */
  endPass(): void {
    this.#inPass = false;
  }

  /** `wallNow() − now()`: the pass's, or a fresh reading outside a pass. */
  offset(): number {
    if (!this.#inPass) this.#read();
    return this.#offset;
  }

  #read(): void {
    const reading = this.#clock.wallNow() - this.#clock.now();
    if (!(Math.abs(reading - this.#offset) < RESOLUTION_MS) || (Number.isInteger(reading) && !Number.isInteger(this.#offset))) this.#offset = reading;
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
