/**
 * HOW AND WHY: the tick loop
 *
 * A scheduler owns one {@link TimerQueue} and at most one clock timer, armed for the queue's
 * head. When the timer fires, the loop takes the time once and fires every entry due by then —
 * job ticks, run timeouts and stuck checks, retry backoffs, lease renewals, claim and stop
 * deadlines — then arms the timer for the new head. Entries scheduled while the loop runs are
 * picked up by the same pass if already due, and the timer is armed once, after it.
 *
 *    clock timer ──▶ onTimer() ──▶ popDue(now) ──▶ entry.fire(now) ──┐
 *          ▲                            ▲                           │ may schedule or
 *          └──────── arm(head.due) ◀────┴───────────────────────────┘ cancel entries
 *
 * The two time lines. Every entry's `due` is on the clock's monotonic line (`clock.now()`).
 * Wall-clock due times (fixedRate slots, cron occurrences) are converted when armed, in
 * `time-line.ts`, with the offset between the lines read once per pass; the ticker checks the
 * wall clock again when its entry fires.
 *
 * Slices. A pass that has fired for {@link SLICE_MS} with entries still due stops there; the
 * next pass runs as soon as the event loop has served what waits (`setImmediate`, see
 * `callSoon()` in clock.ts), and fires the rest.
 *
 * Early wake-ups and long waits. Node's timers cannot wait longer than 2^31−1 ms, so a longer wait
 * is armed as a slice of that length; a wake-up that finds nothing due — a slice, or the head
 * was cancelled since — just re-arms. An entry may also find, when it fires, that it is early by
 * its own measure (the wall clock was set back): it schedules itself again for the rest.
 *
 * Re-entrancy: what runs inside a firing, and what it may call.
 *  - A tick's firing starts its run, and a sync task runs to completion inside it; listeners of
 *    `tick`, `run:*` and `job:state` events run inside it too. They may call anything public —
 *    `trigger()`, `pause()`, `update()`, `remove()`, `stop()` — and the engine stays consistent:
 *    state is written before the call-out that announces it, each stage re-checks the job's state
 *    after a call-out that can change it (a listener, a task, a claim) before acting on it, and
 *    none holds an iterator over a collection that a call-out can change.
 *  - Entries never fire re-entrantly: the loop is the only caller of `fire()`, and a firing that
 *    schedules an entry already due sees it fired later in the same pass, not nested inside it.
 *  - `stop()` from inside a firing closes the loop once its wait is over (at once when no run is
 *    in flight); a closed loop fires and arms nothing more.
 *  - An error escaping `fire()` is the engine's own bug (tasks, listeners and loggers are
 *    guarded where they are called): it is reported and the pass goes on.
 */
import { callSoon, MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from './clock.js';
import { TimerQueue, type QueueEntry } from './timer-queue.js';
import { TimeLine } from './time-line.js';

/**
 * How long one pass may hold the event loop. A batch of 100k runs due at one instant takes about
 * 50 ms; sliced, the process serves its I/O and other callbacks between slices instead of
 * stalling that long once per tick. The batch's runs start in the same order, with the tick
 * identity they were due with; the last ones a little later per slice.
 */
export const SLICE_MS = 10;
/** The clock is read after every this many firings to see whether the slice is over. */
const SLICE_CHECK_EVERY = 64;

/** The one clock timer of a scheduler, over its queue of due entries. */
export class TickLoop {
  readonly clock: Clock;
  /** Wall ↔ monotonic conversion, read once per pass. */
  readonly timeLine: TimeLine;
  readonly #queue = new TimerQueue();
  readonly #unref: boolean;
  readonly #onInternalError: (error: unknown) => void;
  #timer: TimerHandle | undefined;
  /** Cancels the call that continues a sliced pass, while one is pending. */
  #cancelContinuation: (() => void) | undefined;
  /** The due time the timer is armed for; Infinity when disarmed, -Infinity while a pass is to be continued. */
  #armedDue = Infinity;
  #inPass = false;
  #closed = false;

  constructor(clock: Clock, unref: boolean, onInternalError: (error: unknown) => void) {
    this.clock = clock;
    this.timeLine = new TimeLine(clock);
    this.#unref = unref;
    this.#onInternalError = onInternalError;
  }

  /** Queues `entry` at `due` (monotonic ms), moving it if it was queued already. Ignored once closed. */
  schedule(entry: QueueEntry, due: number): void {
    if (this.#closed) return;
    this.#queue.schedule(entry, due);
    if (!this.#inPass && due < this.#armedDue) this.#arm();
  }

  /**
   * Takes `entry` off the queue if it is queued. The timer stays armed for it unless the queue is
   * now empty: a wake-up with nothing due just re-arms, which is cheaper than re-arming on every
   * cancelled timeout — and an empty queue must hold no timer, so that the process can exit.
   */
  cancel(entry: QueueEntry): void {
    if (!entry.queued) return;
    this.#queue.cancel(entry);
    if (!this.#inPass && this.#queue.size === 0) this.#disarm();
  }

  /** Empties the queue and disarms for good: nothing of the scheduler is left to keep the process alive. */
  close(): void {
    this.#closed = true;
    this.#queue.clear();
    this.#disarm();
  }

  #arm(): void {
    if (this.#cancelContinuation !== undefined) return;
    const due = this.#queue.nextDue;
    if (due === Infinity) {
      this.#disarm();
      return;
    }
    if (this.#timer !== undefined && due === this.#armedDue) return;
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    const delay = Math.min(Math.max(0, due - this.clock.now()), MAX_TIMER_DELAY_MS);
    this.#armedDue = due;
    this.#timer = this.clock.setTimer(this.#onTimer, delay);
    if (this.#unref) this.#timer.unref?.();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#cancelContinuation?.();
    this.#cancelContinuation = undefined;
    this.#armedDue = Infinity;
  }

  /** A pass stopped at the end of its slice with entries still due: the next one runs as soon as the event loop has served the rest. */
  #continueSoon(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#armedDue = -Infinity;
    this.#cancelContinuation = callSoon(this.clock, this.#onTimer, this.#unref);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#cancelContinuation = undefined;
    this.#armedDue = Infinity;
    this.#inPass = true;
    this.timeLine.beginPass();
    let sliced = false;
    try {
      const now = this.clock.now();
      let fired = 0;
      for (let entry = this.#queue.popDue(now); entry !== undefined; entry = this.#queue.popDue(now)) {
        try {
          entry.fire(now);
        } catch (error) {
          this.#onInternalError(error);
        }
        if (++fired % SLICE_CHECK_EVERY === 0 && this.clock.now() - now >= SLICE_MS && this.#queue.nextDue <= now) {
          sliced = true;
          break;
        }
      }
    } finally {
      this.#inPass = false;
      this.timeLine.endPass();
    }
    if (this.#closed) return;
    if (sliced) this.#continueSoon();
    else this.#arm();
  };
}
