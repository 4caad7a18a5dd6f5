import type { Clock, TimerHandle } from './clock.js';
import { ClockMisuseError, InvalidOptionError } from './errors.js';
import { describeValue } from './describe-value.js';
import { macrotaskTurn } from './fake-timers.js';

interface VirtualTimer extends TimerHandle {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
  cleared: boolean;
}

/** Options of a {@link TestClock}. */
export interface TestClockOptions {
  /** The source of `random()` (jitter). @default a PRNG seeded with 1: the same sequence in every run */
  readonly random?: () => number;
}

/** Work that keeps queueing immediates for longer than this is not going to settle by itself. */
const MAX_SETTLE_TURNS = 10_000;

/**
 * A virtual clock for deterministic tests of schedules: time moves only when the test calls
 * {@link TestClock.advance} or {@link TestClock.advanceTo}.
 *
 * Advancing fires every timer that falls due in the window — in due-time order, timers due at
 * the same instant in the order they were armed, the end point included — and after each
 * firing lets the work it started run until it is idle (promise callbacks, `process.nextTick`
 * and `setImmediate` chains), so async tasks progress exactly as they would between real timer
 * wake-ups. The result depends only on virtual time: `advance(10_000)` and ten `advance(1_000)`
 * end in the same state.
 *
 * It has one time line unless a test moves the wall clock apart with {@link TestClock.stepWallClock}.
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
  #wallOffset = 0;
  #seq = 0;
  #timers: VirtualTimer[] = [];
  #advancing = false;
  readonly #random: () => number;

  /** @param start the initial time, as a `Date` or epoch milliseconds. @default 0 (1970-01-01T00:00:00Z) */
  constructor(start: Date | number = 0, options: TestClockOptions = {}) {
    const ms = start instanceof Date ? start.getTime() : start;
    if (!Number.isFinite(ms)) throw new InvalidOptionError('start', start, `Expected \`start\` to be a valid Date or finite number, got ${describeValue(start)}`);
    if (options.random !== undefined && typeof options.random !== 'function') {
      throw new InvalidOptionError('random', options.random, `Expected \`random\` to be a function returning a number in [0, 1), got ${describeValue(options.random)}`);
    }
    this.#now = ms;
    this.#random = options.random ?? seededRandom(1);
  }

  /** The virtual monotonic time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** The virtual wall clock: `now()` unless {@link stepWallClock} moved it. */
  wallNow(): number {
    return this.#now + this.#wallOffset;
  }

  /** The virtual wall-clock time as a `Date`. */
  get date(): Date {
    return new Date(this.wallNow());
  }

  /** How many timers are armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** The next number of the clock's random sequence (jitter draws from it). */
  random(): number {
    return this.#random();
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

  /**
   * Moves monotonic time forward to `target` (a `Date` is read on the wall clock), firing what
   * falls due on the way. A past target fires what is due now.
   *
   * @throws {ClockMisuseError} when another `advance()` is still in progress — an un-awaited
   * one, or one called from a timer callback: time would be spent twice or overshoot.
   */
  async advanceTo(target: Date | number): Promise<void> {
    const end = target instanceof Date ? target.getTime() - this.#wallOffset : target;
    if (!Number.isFinite(end)) throw new InvalidOptionError('target', target, `Expected \`target\` to be a valid Date or finite number, got ${describeValue(target)}`);
    if (this.#advancing) {
      throw new ClockMisuseError('TestClock.advance() was called while another advance() is in progress: await each call, and do not advance from inside a timer callback or task');
    }
    this.#advancing = true;
    try {
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
    } finally {
      this.#advancing = false;
    }
  }

  /**
   * Simulates a blocked event loop: time jumps `ms` ahead and nothing fires. Timers that fell
   * due meanwhile fire, late, on the next `advance()`, `advanceTo()` or `flush()`.
   */
  blockFor(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidOptionError('ms', ms, `Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}`);
    this.#now += ms;
  }

  /**
   * Simulates a wall-clock step — NTP correcting the time, someone setting the date, a resume
   * from suspend — by moving `wallNow()` by `ms` (negative: back) while monotonic time and the
   * armed timers stay where they are.
   */
  stepWallClock(ms: number): void {
    if (!Number.isFinite(ms)) throw new InvalidOptionError('ms', ms, `Expected \`ms\` to be a finite number, got ${describeValue(ms)}`);
    this.#wallOffset += ms;
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

/**
 * Lets the work queued so far run until it is idle: one macrotask turn drains every promise
 * callback and nextTick queued before it, and turns repeat while someone still has an
 * immediate queued (a task awaiting `setImmediate` in a loop). The turn is one that fake
 * timers cannot replace (`fake-timers.ts`), so a test that installs them still advances.
 */
async function settle(): Promise<void> {
  for (let turn = 0; turn < MAX_SETTLE_TURNS; turn += 1) {
    await macrotaskTurn();
    if (!process.getActiveResourcesInfo().includes('Immediate')) return;
  }
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
