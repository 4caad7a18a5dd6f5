/**
 * Time enters tickguard only through a {@link Clock}. The tick loop reads `now()` and arms one
 * timer through `setTimer()`; the time line (`time-line.ts`) reads `wallNow()` to place
 * wall-clock due times; jitter draws from `random()`. Nothing
 * else in the engine calls `Date.now()`, `setTimeout` or `Math.random()`, which is what lets
 * {@link TestClock} drive every timing test exactly.
 */

import { performance } from 'node:perf_hooks';
import { checkFakeTimers, clearSystemTimer, fakeMonotonicNow, installedFakeClock, setFakeTimer } from './fake-timers.js';

/** A handle returned by {@link Clock.setTimer}. */
export interface TimerHandle {
  /** Lets the process exit while only this timer is pending (Node's `timeout.unref()`). */
  unref?(): void;
}

/** The source of time, timers and randomness that a scheduler uses. */
export interface Clock {
  /**
   * A monotonic time line in milliseconds (epoch-based, but never stepped by NTP or a user
   * setting the date). Timers are armed on it: a wall-clock step does not stretch a wait.
   */
  now(): number;
  /**
   * The wall clock (`Date.now()`). Due times, tick ids and snapshots are wall-clock instants: the
   * same in every process. A clock without a separate wall clock returns `now()`.
   */
  wallNow(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer armed by `setTimer`; a fired or cleared handle is ignored. */
  clearTimer(handle: TimerHandle): void;
  /** A number in [0, 1) for `jitter`. @default Math.random */
  random?(): number;
}

/**
 * Node's timers cannot wait longer than 2^31−1 ms; a longer delay fires after 1 ms. The
 * tick loop arms at most this far ahead and re-arms when it wakes early.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

// Read once: in Node 20 the `timeOrigin` getter recomputes its value on every access, which
// cost ~5% of a run when read twice per run. `performance` is the module's, not the global
// that fake timers replace: loaded while they are installed, this is still the real origin.
const TIME_ORIGIN = performance.timeOrigin;

/**
 * The default clock: `performance.timeOrigin + performance.now()` for a monotonic `now()`,
 * `Date.now()` for the wall clock, Node's `setTimeout`, and `Math.random()`.
 *
 * While a test's fake timers are installed (vitest, jest, `@sinonjs/fake-timers`), it follows
 * them: `now()` is their monotonic time and `Date.now()` their fake date, so advancing one period
 * gives one run (`fake-timers.ts` says how, and warns about setups that cannot work).
 */
export const systemClock: Clock = {
  now: () => {
    const fake = installedFakeClock();
    return fake === undefined ? TIME_ORIGIN + performance.now() : fakeMonotonicNow(fake);
  },
  wallNow: () => Date.now(),
  setTimer: (callback, delayMs) => {
    const fake = installedFakeClock();
    checkFakeTimers(fake);
    if (fake === undefined) return setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    // Fake timers count whole milliseconds and fire a fractional delay early: wait the whole one.
    return setFakeTimer(fake, callback, Math.min(Math.max(0, Math.ceil(delayMs)), MAX_TIMER_DELAY_MS));
  },
  clearTimer: (handle) => clearSystemTimer(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/**
 * Calls `callback` as soon as the event loop has served what is waiting (I/O, other callbacks):
 * Node's `setImmediate` on the system clock, a zero-delay timer on any other clock or while fake
 * timers are installed (a zero-delay Node timer waits a whole millisecond). Returns its cancel.
 */
export function callSoon(clock: Clock, callback: () => void, unref: boolean): () => void {
  if (clock === systemClock && installedFakeClock() === undefined) {
    const immediate = setImmediate(callback);
    if (unref) immediate.unref();
    return () => clearImmediate(immediate);
  }
  const handle = clock.setTimer(callback, 0);
  if (unref) handle.unref?.();
  return () => clock.clearTimer(handle);
}
