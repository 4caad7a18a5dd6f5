import type { Clock, TimerHandle } from './clock.js';
import { InvalidOptionError } from './errors.js';
import { describeValue } from './describe-value.js';

interface VirtualTimer extends TimerHandle {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
  cleared: boolean;
}

/**
 * A virtual clock for deterministic tests of schedules: time moves only when the test calls
 * {@link TestClock.advance} or {@link TestClock.advanceTo}.
 *
 * Advancing fires every timer that falls due in the window — in due-time order, timers due at
 * the same instant in the order they were armed, the end point included — and between
 * firings lets pending promise callbacks and `setImmediate` work run, so async tasks progress
 * exactly as they would between real timer wake-ups.
 *
 * @example
 * ```ts
 * const clock = new TestClock();
 * const scheduler = createScheduler({ clock });
 * scheduler.add({ name: 'poll', fixedRate: '1s', run: async () => { await clock.sleep(300); } });
 * await clock.advance(5_000); // exactly five runs have started and settled
 * ```
 */
export class TestClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: VirtualTimer[] = [];

  /** @param start the initial time, as a `Date` or epoch milliseconds. @default 0 (1970-01-01T00:00:00Z) */
  constructor(start: Date | number = 0) {
    const ms = start instanceof Date ? start.getTime() : start;
    if (!Number.isFinite(ms)) throw new InvalidOptionError('start', start, `Expected \`start\` to be a valid Date or finite number, got ${describeValue(start)}`);
    this.#now = ms;
  }

  /** The virtual time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** The same as `now()`: a test clock has one time line. */
  wallNow(): number {
    return this.#now;
  }

  /** The virtual time as a `Date`. */
  get date(): Date {
    return new Date(this.#now);
  }

  /** How many timers are armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: VirtualTimer = { due: this.#now + Math.max(0, delayMs), seq: this.#seq++, callback, cleared: false };
    this.#insert(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as VirtualTimer;
    if (timer.cleared) return;
    timer.cleared = true;
    const index = this.#timers.indexOf(timer);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** Moves time forward by `ms`, firing what falls due on the way. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidOptionError('ms', ms, `Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}`);
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `target`, firing what falls due on the way. A past target fires what is due now. */
  async advanceTo(target: Date | number): Promise<void> {
    const end = target instanceof Date ? target.getTime() : target;
    if (!Number.isFinite(end)) throw new InvalidOptionError('target', target, `Expected \`target\` to be a valid Date or finite number, got ${describeValue(target)}`);
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > end) break;
      this.#timers.shift();
      next.cleared = true;
      if (next.due > this.#now) this.#now = next.due;
      next.callback();
      await settle();
    }
    if (end > this.#now) this.#now = end;
    await settle();
  }

  /**
   * Simulates a blocked event loop: time jumps `ms` ahead and nothing fires. Timers that fell
   * due meanwhile fire, late, on the next `advance()`, `advanceTo()` or `flush()`.
   */
  blockFor(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidOptionError('ms', ms, `Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}`);
    this.#now += ms;
  }

  /** Runs timers that are already due and lets pending async work progress, without moving time. */
  async flush(): Promise<void> {
    await this.advanceTo(this.#now);
  }

  /**
   * A promise that resolves `ms` later in virtual time, or rejects with the signal's reason when
   * `signal` aborts first. Handy as the body of a simulated task.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.clearTimer(handle);
        reject(signal?.reason);
      };
      const handle = this.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #insert(timer: VirtualTimer): void {
    // Timers are kept sorted by (due, seq); tests arm few at a time, so a binary search suffices.
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#timers[mid]!;
      if (other.due < timer.due || (other.due === timer.due && other.seq < timer.seq)) low = mid + 1;
      else high = mid;
    }
    this.#timers.splice(low, 0, timer);
  }
}

/** Lets queued microtasks and immediates run: a few macrotask turns drain chained promise work. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
