/**
 * The scheduler: a registry of jobs and their lifecycle — add, inspect, stop — around the parts
 * that do the work, one per file:
 *
 *   tick-loop.ts     the one clock timer over the timer queue (HOW/WHY essay there)
 *   ticker.ts        when a job's ticks are due (schedules/ computes the due times)
 *   executor.ts      what each tick becomes: admission, overlap, claim, launch, accounting
 *   coordination/    the claim and lease stage, for replicas
 *   run/             one run: attempts, signal, timeout, stuck check, retries
 *   job.ts           a job's facade and lifecycle (job-state.ts: its transition table)
 *   drain.ts         waiting for runs in stop() and remove()
 *
 * What users hold — the object `createScheduler()` returns and each job's handle — exposes the
 * public interface and nothing else.
 */
import { systemClock, type Clock } from './clock.js';
import type { Engine } from './engine.js';
import { EventHub, SCHEDULER_EVENT_NAMES, type Listener, type SchedulerEventName } from './events.js';
import { guardLogger, silentLogger, type Logger } from './logger.js';
import type { Coordinator, CoordinatorStatus } from './coordination/contract.js';
import type { JobOptions, SchedulerOptions, StopOptions } from './options/types.js';
import { validateJobOptions, type JobContext } from './options/job.js';
import { validateSchedulerOptions, validateStopOptions } from './options/scheduler.js';
import type { JobState, JobStats, SchedulerSnapshot, SchedulerState, StopReport } from './snapshot.js';
import { JobImpl, type Job, type JobOwner } from './job.js';
import type { Run } from './run/run.js';
import { TickLoop } from './tick-loop.js';
import { Drain } from './drain.js';
import { CoordinatorCalls } from './coordination/calls.js';
import { DuplicateJobError, InvalidOptionError, SchedulerStoppedError, toError } from './errors.js';
import { describeValue } from './describe-value.js';
import { closest } from './closest.js';

/** A scheduler's figures without full snapshots: cheap enough for every metrics scrape. */
export interface SchedulerStats {
  /** The scheduler's lifecycle state. */
  readonly state: SchedulerState;
  /** When the figures were taken (wall clock). */
  readonly at: Date;
  /** Every job's figures, in the order jobs were added. */
  readonly jobs: readonly JobStats[];
  /** What the coordinator reports of its store, when it reports anything. */
  readonly coordinator: CoordinatorStatus | null;
}

/**
 * A scheduler's totals, kept as they change: O(1) whatever the job count, for a metrics scrape or
 * a dashboard header over 100k jobs.
 */
export interface SchedulerSummary {
  /** The scheduler's lifecycle state. */
  readonly state: SchedulerState;
  /** When the figures were taken (wall clock). */
  readonly at: Date;
  /** The jobs `stats()` would list, by state (a removed job leaves the list once removed). */
  readonly jobs: { readonly total: number } & Readonly<Record<JobState, number>>;
  /**
   * Runs in flight, of every job (a removed job's runs included until they settle). Once the
   * scheduler stopped, every figure is the final `inspect()` snapshot's, which lists no job removed
   * before the stop: its runs still going then are no longer counted.
   */
  readonly inFlight: number;
  /** Of those, the runs past their job's `stuckAfter`. */
  readonly stuck: number;
  /** What the coordinator reports of its store, when it reports anything. */
  readonly coordinator: CoordinatorStatus | null;
}

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
  /** Every job's state and counters, without building full snapshots (O(jobs), no per-run work). */
  stats(): SchedulerStats;
  /** Jobs by state and runs in flight and stuck, in O(1): totals the scheduler keeps as they change. */
  summary(): SchedulerSummary;
  /** Listens to an event; returns a function that removes the listener. Throws for an unknown event name. */
  on<E extends SchedulerEventName>(event: E, listener: Listener<E>): () => void;
  /** Removes a listener added with `on()`. */
  off<E extends SchedulerEventName>(event: E, listener: Listener<E>): void;
  /**
   * Stops the scheduler: from this call on no run starts, not even a tick already due or
   * buffered; pending claims are aborted. Resolves when runs in flight have settled, or at
   * `timeout` with those still running listed. Afterwards the scheduler holds no timer, listener
   * or job. A second call while stopping escalates: `abort: true` aborts the runs still going, and
   * a shorter `timeout` brings the end forward; every call gets the same report. Called from
   * inside a run of this scheduler, it does not wait for that run.
   */
  stop(options?: StopOptions): Promise<StopReport>;
  /** `await using scheduler = createScheduler()` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

class SchedulerImpl implements Engine, JobOwner {
  readonly clock: Clock;
  readonly loop: TickLoop;
  readonly events: EventHub;
  readonly log: Logger;
  readonly coordinator: Coordinator | undefined;
  readonly claimTimeoutMs: number;
  readonly onCoordinatorError: 'skip' | 'run';
  readonly jobContext: JobContext;
  bodyRun: Run | undefined;
  readonly tally = { inFlight: 0, stuck: 0 };
  readonly shapeKeepers: Engine['shapeKeepers'] = { run: undefined, context: undefined };
  readonly #jobs = new Map<string, JobImpl>();
  /** How many of the registered jobs are in each state, moved by every transition. */
  readonly #byState: Record<JobState, number> = { active: 0, paused: 0, done: 0, removed: 0 };
  /** Removed jobs whose runs are still in flight: stop() waits for them too. */
  readonly #retired = new Set<JobImpl>();
  readonly #drains = new Set<Drain>();
  readonly calls = new CoordinatorCalls(() => {
    if (this.#drains.size === 0) return;
    for (const drain of [...this.#drains]) drain.callSettled();
  });
  readonly #userLogger: boolean;
  #state: SchedulerState = 'running';
  #stopDrain: Drain | undefined;
  #finalSnapshot: SchedulerSnapshot | undefined;
  #finalSummary: SchedulerSummary | undefined;
  #warned = false;

  constructor(options: SchedulerOptions | undefined) {
    const config = validateSchedulerOptions(options);
    this.clock = config.clock ?? systemClock;
    this.#userLogger = config.logger !== undefined;
    this.log = config.logger === undefined ? silentLogger : guardLogger(config.logger, (error, method) => this.#warnOnce(`its logger's ${method}() threw`, error));
    this.coordinator = config.coordinator;
    this.claimTimeoutMs = config.claimTimeoutMs;
    this.onCoordinatorError = config.onCoordinatorError;
    this.jobContext = { coordinated: config.coordinator !== undefined };
    this.loop = new TickLoop(this.clock, config.unref, (error) => this.internalError(error, 'firing a due entry'));
    this.events = new EventHub((error, event) => {
      if (this.#userLogger) this.log.error({ err: toError(error), event }, 'a scheduler event listener threw; ignored');
      else this.#warnOnce(`a '${event}' listener threw or rejected`, error);
    });
    try {
      this.coordinator?.attach?.({ log: this.log });
    } catch (error) {
      this.contained(error, 'coordinator.attach() threw; ignored');
    }
  }

  /** The coordinator's report of its store; a coordinator whose status() throws reports nothing. */
  #coordinatorStatus(): CoordinatorStatus | null {
    try {
      return this.coordinator?.status?.() ?? null;
    } catch (error) {
      this.contained(error, 'coordinator.status() threw; ignored');
      return null;
    }
  }

  get state(): SchedulerState {
    return this.#state;
  }

  get accepting(): boolean {
    return this.#state === 'running';
  }

  add(options: JobOptions): Job {
    if (this.#state !== 'running') throw new SchedulerStoppedError('add a job');
    const config = validateJobOptions(options, this.jobContext);
    if (this.#jobs.has(config.name)) throw new DuplicateJobError(config.name);
    const job = new JobImpl(this, config);
    this.#jobs.set(config.name, job);
    this.#byState[job.state] += 1;
    try {
      job.start();
    } catch (error) {
      // A refused add() leaves no trace, also when the clock or schedule fails it this late.
      job.discard();
      if (this.#jobs.get(config.name) === job) this.#unlist(job);
      throw error;
    }
    return job.handle;
  }

  get(name: string): Job | undefined {
    return this.#jobs.get(name)?.handle;
  }

  jobs(): Job[] {
    return [...this.#jobs.values()].map((job) => job.handle);
  }

  inspect(): SchedulerSnapshot {
    if (this.#finalSnapshot !== undefined) return this.#finalSnapshot;
    return { state: this.#state, at: new Date(this.clock.wallNow()), jobs: [...this.#jobs.values()].map((job) => job.inspect()), coordinator: this.#coordinatorStatus() };
  }

  stats(): SchedulerStats {
    const final = this.#finalSnapshot;
    if (final !== undefined) {
      return {
        state: final.state,
        at: final.at,
        jobs: final.jobs.map(({ name, state, pauseReason, inFlight, claiming, stuck, buffered, consecutiveFailures, counters }) => ({ name, state, pauseReason, inFlight, claiming, stuck, buffered, consecutiveFailures, counters })),
        coordinator: final.coordinator,
      };
    }
    const jobs: JobStats[] = [];
    for (const job of this.#jobs.values()) jobs.push(job.stats());
    return { state: this.#state, at: new Date(this.clock.wallNow()), jobs, coordinator: this.#coordinatorStatus() };
  }

  summary(): SchedulerSummary {
    const final = this.#finalSnapshot;
    if (final !== undefined) return (this.#finalSummary ??= summaryOf(final));
    const byState = this.#byState;
    return {
      state: this.#state,
      at: new Date(this.clock.wallNow()),
      jobs: { total: this.#jobs.size, active: byState.active, paused: byState.paused, done: byState.done, removed: byState.removed },
      inFlight: this.tally.inFlight,
      stuck: this.tally.stuck,
      coordinator: this.#coordinatorStatus(),
    };
  }

  on<E extends SchedulerEventName>(event: E, listener: Listener<E>): () => void {
    checkListener(event, listener, 'on');
    return this.events.on(event, listener);
  }

  off<E extends SchedulerEventName>(event: E, listener: Listener<E>): void {
    checkListener(event, listener, 'off');
    this.events.off(event, listener);
  }

  stop(options?: StopOptions): Promise<StopReport> {
    const { timeoutMs, abort } = validateStopOptions(options, false);
    const running = this.#stopDrain;
    if (running !== undefined) {
      // Already stopping: a later call can only make it quicker.
      if (!running.finished) {
        if (abort) this.#abortAll();
        running.tighten(timeoutMs);
      }
      return running.promise;
    }
    this.#state = 'stopping';
    const runs = this.#holders().flatMap((job) => job.executor.runs());
    // The drain exists before anything calls out: a stop() from a listener meanwhile joins it.
    const drain = new Drain(this, runs, this.#selfWait('stop()'), () => this.calls.pending(), (_report, stillRunning) => this.#stopped(stillRunning));
    this.#stopDrain = drain;
    this.#drains.add(drain);
    for (const job of [...this.#jobs.values()]) {
      const shut = job.shutDown();
      drain.account(shut.dropped, shut.claims);
    }
    if (abort) this.#abortAll();
    drain.start(timeoutMs);
    return drain.promise;
  }

  // ─── Engine ─────────────────────────────────────────────────────────────────────────

  runSettled(run: Run): void {
    if (this.#drains.size === 0) return;
    for (const drain of [...this.#drains]) drain.settle(run);
  }

  internalError(error: unknown, where: string): void {
    this.contained(error, 'tickguard internal error; the schedule goes on', { where });
  }

  contained(error: unknown, message: string, fields: Record<string, unknown> = {}): void {
    if (this.#userLogger) this.log.error({ ...fields, err: toError(error) }, message);
    else this.#warnOnce(message, error);
  }

  // ─── JobOwner ───────────────────────────────────────────────────────────────────────

  detach(job: JobImpl): void {
    if (this.#jobs.get(job.name) === job) this.#unlist(job);
    this.#retired.add(job);
  }

  stateChanged(job: JobImpl, from: JobState, to: JobState): void {
    if (this.#jobs.get(job.name) !== job) return;
    this.#byState[from] -= 1;
    this.#byState[to] += 1;
  }

  #unlist(job: JobImpl): void {
    this.#jobs.delete(job.name);
    this.#byState[job.state] -= 1;
  }

  released(job: JobImpl): void {
    this.#retired.delete(job);
    // A kept run or context of a removed job would keep its executor, its task and what that
    // closes over for as long as no other run replaces them. By name: a job re-added under it
    // loses its keepers too, and the next run makes them again.
    const keepers = this.shapeKeepers;
    if (keepers.run?.tick.jobName === job.name) keepers.run = undefined;
    if (keepers.context?.jobName === job.name) keepers.context = undefined;
  }

  drain(job: string, runs: readonly Run[], onFinish: (stillRunning: readonly Run[]) => void): Drain {
    const self = this.bodyRun !== undefined && runs.includes(this.bodyRun) ? this.#selfWait('job.remove()') : undefined;
    const drain = new Drain(this, runs, self, () => this.calls.pending(job), (_report, stillRunning) => {
      this.#drains.delete(drain);
      onFinish(stillRunning);
    });
    this.#drains.add(drain);
    return drain;
  }

  // ─── stopping ───────────────────────────────────────────────────────────────────────

  /** Jobs that may still have runs in flight: the registered ones and the removed ones. */
  #holders(): JobImpl[] {
    return [...this.#jobs.values(), ...this.#retired];
  }

  #abortAll(): void {
    for (const job of this.#holders()) job.executor.abortRuns('stop');
  }

  /** The run calling stop()/remove() from its own task, which must not wait for itself. */
  #selfWait(call: string): Run | undefined {
    const self = this.bodyRun;
    if (self !== undefined) {
      this.log.warn({ job: self.tick.jobName, tickId: self.tick.tickId }, `${call} was called from inside a run it would wait for; that run is not waited for (it cannot settle while it waits)`);
    }
    return self;
  }

  /** The stop's wait is over: the scheduler lets go of everything. */
  #stopped(stillRunning: readonly Run[]): void {
    this.#state = 'stopped';
    for (const job of this.#jobs.values()) job.markStopped();
    for (const job of this.#retired) job.executor.close();
    for (const run of stillRunning) run.abandon();
    this.#finalSnapshot = this.inspect();
    this.shapeKeepers.run = undefined;
    this.shapeKeepers.context = undefined;
    this.#jobs.clear();
    this.#retired.clear();
    this.loop.close();
    this.events.clear();
    const others = [...this.#drains].filter((drain) => drain !== this.#stopDrain);
    this.#drains.clear();
    for (const drain of others) drain.finish();
  }

  #warnOnce(what: string, error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(`tickguard: ${what} (${toError(error).message}); it was contained and the schedule goes on. Further failures of this kind are not reported as warnings.`, { code: 'TICKGUARD_CONTAINED_FAILURE' });
  }
}

/** The summary of a stopped scheduler, from its last snapshot. */
function summaryOf(final: SchedulerSnapshot): SchedulerSummary {
  const jobs = { total: final.jobs.length, active: 0, paused: 0, done: 0, removed: 0 };
  let inFlight = 0;
  let stuck = 0;
  for (const job of final.jobs) {
    jobs[job.state] += 1;
    inFlight += job.inFlight;
    stuck += job.stuck;
  }
  return { state: final.state, at: final.at, jobs, inFlight, stuck, coordinator: final.coordinator };
}

function checkListener(event: unknown, listener: unknown, method: string): void {
  if (!(SCHEDULER_EVENT_NAMES as readonly unknown[]).includes(event)) {
    const suggestion = typeof event === 'string' ? closest(event, SCHEDULER_EVENT_NAMES) : undefined;
    throw new InvalidOptionError('event', event, `Unknown event ${describeValue(event)} in scheduler.${method}()${suggestion ? `; did you mean '${suggestion}'?` : '.'} Events: ${SCHEDULER_EVENT_NAMES.join(', ')}`);
  }
  if (typeof listener !== 'function') {
    throw new InvalidOptionError('listener', listener, `Expected the listener of '${String(event)}' to be a function, got ${describeValue(listener)}`);
  }
}

/** The object `createScheduler()` returns: the public interface, nothing else. */
class SchedulerHandle implements Scheduler {
  readonly #impl: SchedulerImpl;

  constructor(impl: SchedulerImpl) {
    this.#impl = impl;
  }

  get state(): SchedulerState {
    return this.#impl.state;
  }
  add(options: JobOptions): Job {
    return this.#impl.add(options);
  }
  get(name: string): Job | undefined {
    return this.#impl.get(name);
  }
  jobs(): Job[] {
    return this.#impl.jobs();
  }
  inspect(): SchedulerSnapshot {
    return this.#impl.inspect();
  }
  stats(): SchedulerStats {
    return this.#impl.stats();
  }
  summary(): SchedulerSummary {
    return this.#impl.summary();
  }
  on<E extends SchedulerEventName>(event: E, listener: Listener<E>): () => void {
    return this.#impl.on(event, listener);
  }
  off<E extends SchedulerEventName>(event: E, listener: Listener<E>): void {
    this.#impl.off(event, listener);
  }
  stop(options?: StopOptions): Promise<StopReport> {
    return this.#impl.stop(options);
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#impl.stop();
  }
  /** `JSON.stringify(scheduler)` gives its snapshot. */
  toJSON(): SchedulerSnapshot {
    return this.#impl.inspect();
  }
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
  return new SchedulerHandle(new SchedulerImpl(options));
}
