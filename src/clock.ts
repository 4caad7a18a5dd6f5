/**
 * Time enters tickguard only through a {@link Clock}. The scheduler reads `now()` and arms
 * one timer through `setTimer()`; nothing else in the engine calls `Date.now()` or `setTimeout`.
 * That is what lets {@link TestClock} drive every timing test exactly.
 */

/** A handle returned by {@link Clock.setTimer}. */
export interface TimerHandle {
  /** Lets the process exit while only this timer is pending (Node's `timeout.unref()`). */
  unref?(): void;
}

/** The source of time and timers that a scheduler uses. */
export interface Clock {
  /**
   * Milliseconds since the Unix epoch, never going backwards within a process. fixedRate and
   * fixedDelay schedules are computed on it, so a wall-clock step does not bend them.
   */
  now(): number;
  /**
   * The wall clock (`Date.now()`), which cron and `at` schedules are defined against. A clock
   * without a separate wall clock returns `now()`.
   */
  wallNow(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer armed by `setTimer`; a fired or cleared handle is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * Node's timers cannot wait longer than 2^31−1 ms; a longer delay fires after 1 ms. The
 * scheduler arms at most this far ahead and re-arms when it wakes early.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The default clock: `performance.timeOrigin + performance.now()` for a monotonic `now()`,
 * `Date.now()` for the wall clock, and Node's `setTimeout`.
 */
// Read once: in Node 20 the `timeOrigin` getter recomputes its value on every access, which
// cost ~5% of a run when read twice per run.
const TIME_ORIGIN = performance.timeOrigin;

export const systemClock: Clock = {
  now: () => TIME_ORIGIN + performance.now(),
  wallNow: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS)),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
