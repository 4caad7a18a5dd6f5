/**
 * HOW AND WHY: the tick loop
 *
 * A scheduler owns one {@link TimerQueue} and at most one clock timer, armed for the queue's
 * head. When the timer fires, the loop takes the time once and fires every entry due by then
 * — job ticks, run timeouts, retry backoffs, stop deadlines — then arms the timer for the new
 * head. Entries scheduled while the loop runs are picked up by the same loop if already due,
 * and the timer is armed once, after it, not once per entry.
 *
 *    clock timer ──▶ onTimer(now) ──▶ popDue(now) ─▶ entry.fire(now) ─┐
 *          ▲                              ▲                           │ may schedule
 *          └──────── arm(head.due) ◀──────┴───────────────────────────┘ more entries
 *
 * A job decides what its tick becomes (start, buffer, skip…) and a run carries out one tick;
 * neither touches the clock's timers, so `stop()` clearing the queue and the timer is enough
 * for the process to hold nothing of the scheduler afterwards.
 *
 * Waits longer than 2^31−1 ms are armed in slices: a wake-up that finds nothing due re-arms.
 */
import { MAX_TIMER_DELAY_MS, systemClock, type Clock, type TimerHandle } from './clock.js';
import { EventHub, type Listener, type SchedulerEventName } from './events.js';
import { silentLogger, type Logger } from './logger.js';
import type { TickCoordinator } from './coordinator.js';
import { validateJobOptions, validateSchedulerOptions, validateStopOptions, type JobOptions, type SchedulerOptions, type StopOptions } from './options.js';
import type { InFlightRun, SchedulerSnapshot, SchedulerState, StopReport } from './snapshot.js';
import { JobImpl, type Job, type JobHost } from './job.js';
import type { Run } from './runner.js';
import { CallbackEntry, TimerQueue, type QueueEntry } from './timer-queue.js';
import { DuplicateJobError, SchedulerStoppedError, toError } from './errors.js';

/** A scheduler of periodic jobs. Create one with {@link createScheduler}. */
export interface Scheduler extends AsyncDisposable {
  /** `running`, then `stopping` once `stop()` is called, then `stopped`. */
  readonly state: SchedulerState;
  /** Adds a job; throws a {@link TickguardError} for invalid options or a duplicate name, leaving no trace. */
  add(options: JobOptions): Job;
  /** The job of that name, if any. */
  get(name: string): Job | undefined;
  /** All jobs, in the order they were added. */
  jobs(): Job[];
  /** A snapshot of every job: state, next run, in-flight runs, counters, last run. */
  inspect(): SchedulerSnapshot;
  /** Listens to an event; returns a function that removes the listener. */
  on<E extends SchedulerEventName>(event: E, listener: Listener<E>): () => void;
  /** Removes a listener added with `on()`. */
  off<E extends SchedulerEventName>(event: E, listener: Listener<E>): void;
  /**
   * Stops the scheduler: from this call on no run starts, not even a tick already due or
   * buffered. Resolves when runs in flight have settled, or at `timeout` with those still
   * running listed. Afterwards the scheduler holds no timer, listener or job.
   */
  stop(options?: StopOptions): Promise<StopReport>;
  /** `await using scheduler = createScheduler()` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface DrainWaiter {
  readonly pending: Set<Run>;
  finish(clean: boolean): void;
}

class SchedulerImpl implements Scheduler, JobHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly coordinator: TickCoordinator | undefined;
  readonly events: EventHub;
  readonly #unref: boolean;
  readonly #queue = new TimerQueue();
  readonly #jobs = new Map<string, JobImpl>();
  readonly #waiters = new Set<DrainWaiter>();
  #timer: TimerHandle | undefined;
  #armedDue = Infinity;
  #inLoop = false;
  #state: SchedulerState = 'running';
  #stopping: Promise<StopReport> | undefined;
  #finalSnapshot: SchedulerSnapshot | undefined;

  constructor(options: SchedulerOptions | undefined) {
    const config = validateSchedulerOptions(options);
    this.clock = config.clock ?? systemClock;
    this.logger = config.logger ?? silentLogger;
    this.coordinator = config.coordinator;
    this.#unref = config.unref;
    this.events = new EventHub((error, event) => {
      this.logger.error({ err: toError(error), event }, 'a scheduler event listener threw; ignored');
    });
  }

  get state(): SchedulerState {
    return this.#state;
  }

  get accepting(): boolean {
    return this.#state === 'running';
  }

  add(options: JobOptions): Job {
    if (this.#state !== 'running') throw new SchedulerStoppedError('add a job');
    const config = validateJobOptions(options);
    if (this.#jobs.has(config.name)) throw new DuplicateJobError(config.name);
    const job = new JobImpl(this, config);
    this.#jobs.set(config.name, job);
    if (this.events.has('job:state')) this.events.emit('job:state', { job: job.name, from: null, to: 'active', reason: 'added' });
    return job;
  }

  get(name: string): Job | undefined {
    return this.#jobs.get(name);
  }

  jobs(): Job[] {
    return [...this.#jobs.values()];
  }

  inspect(): SchedulerSnapshot {
    if (this.#finalSnapshot !== undefined) return this.#finalSnapshot;
    return {
      state: this.#state,
      at: new Date(this.clock.wallNow()),
      jobs: [...this.#jobs.values()].map((job) => job.inspect()),
    };
  }

  on<E extends SchedulerEventName>(event: E, listener: Listener<E>): () => void {
    return this.events.on(event, listener);
  }

  off<E extends SchedulerEventName>(event: E, listener: Listener<E>): void {
    this.events.off(event, listener);
  }

  stop(options?: StopOptions): Promise<StopReport> {
    const { timeoutMs, abort } = validateStopOptions(options, false);
    this.#stopping ??= this.#stop(timeoutMs, abort);
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(timeoutMs: number, abort: boolean): Promise<StopReport> {
    this.#state = 'stopping';
    let dropped = 0;
    const runs = new Set<Run>();
    for (const job of this.#jobs.values()) {
      dropped += job.shutDown('stopped');
      if (abort) job.abortRuns('stop');
      for (const run of job.runs) runs.add(run);
    }
    const report = await this.drain(runs, timeoutMs, dropped);
    this.#state = 'stopped';
    for (const job of this.#jobs.values()) job.markStopped();
    this.#finalSnapshot = this.inspect();
    this.#jobs.clear();
    this.#queue.clear();
    this.#disarm();
    this.events.clear();
    this.#waiters.clear();
    return report;
  }

  // ─── JobHost ────────────────────────────────────────────────────────────────────────

  schedule(entry: QueueEntry, due: number): void {
    if (this.#state === 'stopped') return;
    this.#queue.schedule(entry, due);
    if (!this.#inLoop && due < this.#armedDue) this.#arm();
  }

  cancel(entry: QueueEntry): void {
    this.#queue.cancel(entry);
    if (this.#queue.size === 0 && !this.#inLoop) this.#disarm();
  }

  drain(runs: ReadonlySet<Run>, timeoutMs: number, droppedTicks: number): Promise<StopReport> {
    const startedAt = this.clock.now();
    const pending = new Set([...runs].filter((run) => !run.settled));
    const total = pending.size;
    return new Promise<StopReport>((resolve) => {
      const deadline = new CallbackEntry(() => waiter.finish(false));
      const waiter: DrainWaiter = {
        pending,
        finish: (clean) => {
          this.#waiters.delete(waiter);
          this.#queue.cancel(deadline);
          const now = this.clock.now();
          const stillRunning: InFlightRun[] = [...pending].map((run) => run.describe(now));
          resolve({ clean, settled: total - stillRunning.length, stillRunning, droppedTicks, durationMs: now - startedAt });
        },
      };
      if (pending.size === 0) {
        waiter.finish(true);
        return;
      }
      this.#waiters.add(waiter);
      this.schedule(deadline, startedAt + timeoutMs);
    });
  }

  runSettled(run: Run): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of [...this.#waiters]) {
      if (waiter.pending.delete(run) && waiter.pending.size === 0) waiter.finish(true);
    }
  }

  detach(job: JobImpl): void {
    if (this.#jobs.get(job.name) === job) this.#jobs.delete(job.name);
  }

  // ─── the tick loop ──────────────────────────────────────────────────────────────────

  #arm(): void {
    const head = this.#queue.peek();
    if (head === undefined) {
      this.#disarm();
      return;
    }
    if (this.#timer !== undefined && head.due === this.#armedDue) return;
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    const delay = Math.min(Math.max(0, head.due - this.clock.now()), MAX_TIMER_DELAY_MS);
    this.#armedDue = head.due;
    this.#timer = this.clock.setTimer(this.#onTimer, delay);
    if (this.#unref) this.#timer.unref?.();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#armedDue = Infinity;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedDue = Infinity;
    this.#inLoop = true;
    try {
      const now = this.clock.now();
      for (let entry = this.#queue.popDue(now); entry !== undefined; entry = this.#queue.popDue(now)) {
        try {
          entry.fire(now);
        } catch (error) {
          // Jobs and runs catch task errors themselves; this guards the loop against our own bugs.
          this.logger.error({ err: toError(error) }, 'tickguard internal error while firing a due entry');
        }
      }
    } finally {
      this.#inLoop = false;
    }
    if (this.#state !== 'stopped') this.#arm();
  };
}

/**
 * Creates a scheduler.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler();
 * scheduler.add({ name: 'refresh-cache', fixedRate: '10s', timeout: '5s', run: async ({ signal }) => refresh(signal) });
 * process.once('SIGTERM', () => scheduler.stop({ timeout: '10s', abort: true }));
 * ```
 */
export function createScheduler(options?: SchedulerOptions): Scheduler {
  return new SchedulerImpl(options);
}
