/**
 * A job: the public facade users hold ({@link Job}, implemented by a handle with no internals
 * on it), and the job itself — its config, its lifecycle ({@link JobStateMachine}), its ticker
 * (when ticks are due) and its executor (what each tick becomes). The job is the glue between
 * them and the place where lifecycle operations — pause, resume, update, remove — are carried
 * out.
 */
import type { Engine } from './engine.js';
import type { Logger } from './logger.js';
import { levelEnabled } from './logger.js';
import type { JobUpdate, StopOptions } from './options/types.js';
import { SCHEDULE_OPTION_KEYS, validateJobUpdate, type JobConfig, type JobContext } from './options/job.js';
import { validateStopOptions } from './options/scheduler.js';
import type { JobSnapshot, JobState, JobStats, PauseReason, StopReport, TriggerResult } from './snapshot.js';
import type { JobStateReason } from './events.js';
import type { Lease } from './coordination/contract.js';
import type { Run } from './run/run.js';
import type { Tick } from './tick.js';
import { canTransition } from './job-state.js';
import { Executor, type ExecutorHost } from './executor.js';
import { Ticker, type TickerHost } from './ticker.js';
import { InvalidOptionError, JobDoneError, JobRemovedError } from './errors.js';
import { describeValue } from './describe-value.js';
import type { Drain } from './drain.js';
import type { PendingClaim } from './coordination/pending-claim.js';

/** A job, as `scheduler.add()` returns it. */
export interface Job {
  /** The job's unique name. */
  readonly name: string;
  /** Its lifecycle state. */
  readonly state: JobState;
  /**
   * A manual tick through the same overlap policy as scheduled ones. Resolves with the run's
   * outcome once it ended, or with why the tick did not run (skipped, dropped). Awaiting it from
   * inside a run of the same job waits for a slot that run holds: under a buffering policy it
   * settles only after that run ends — do not await it there.
   */
  trigger(): Promise<TriggerResult>;
  /** Ticks are counted as skipped (reason `paused`) until `resume()`; runs in flight go on. */
  pause(): void;
  /** Undoes `pause()` or a self-pause after failures; buffered ticks start when slots are free. */
  resume(): void;
  /**
   * Changes options atomically: a new schedule replaces the pending tick (never before now,
   * never repeating a tick), other options apply from the next run. A `done` job is revived by a
   * new schedule or a higher `maxRuns`; any other update of a done job throws a
   * {@link JobDoneError}. Throws and keeps the old config when the update is invalid.
   */
  update(changes: JobUpdate): void;
  /**
   * Removes the job: no new run starts, pending claims and buffered ticks are dropped, runs in
   * flight are aborted (unless `abort: false`) and awaited up to `timeout`. Afterwards the job
   * holds no timer. Called from inside one of its own runs, it does not wait for that run.
   */
  remove(options?: StopOptions): Promise<StopReport>;
  /** A snapshot of the job. */
  inspect(): JobSnapshot;
  /** The next `count` due times of the schedule, computed without running anything. */
  nextRuns(count: number): Date[];
}

/** What a job needs from its scheduler. */
export interface JobOwner {
  readonly jobContext: JobContext;
  /** The job was removed: it leaves the registry (its runs still count until they settle). */
  detach(job: JobImpl): void;
  /**
   * A wait for `runs` to settle, and for the coordinator calls of the job named `job`; not
   * started yet. `onFinish` gets the runs still running at its end.
   */
  drain(job: string, runs: readonly Run[], onFinish: (stillRunning: readonly Run[]) => void): Drain;
  /** A removed job's last run settled: it holds nothing any more. */
  released(job: JobImpl): void;
  /** The job moved from one state to another (the owner keeps the totals by state). */
  stateChanged(job: JobImpl, from: JobState, to: JobState): void;
}

export class JobImpl implements ExecutorHost, TickerHost {
  readonly executor: Executor;
  readonly handle: Job;
  /** The scheduler, as the engine the job's parts share and as the owner of the registry. */
  readonly #owner: Engine & JobOwner;
  readonly #ticker: Ticker;
  #config: JobConfig;
  #state: JobState = 'active';
  /**
   * The job will start no new run (maxRuns reached, or the schedule has no more ticks) and turns
   * `done` once what is still going has settled; `null` otherwise.
   */
  #finishing: 'max-runs' | 'schedule-ended' | null = null;
  /** Why the job is paused or done, while it is; `null` otherwise. */
  #stateReason: PauseReason | 'max-runs' | 'schedule-ended' | null = null;
  /** The job's child logger and the report of a remove() under way: made when first needed, as most jobs need neither. */
  #aside: { logger: Logger | undefined; removing: Promise<StopReport> | undefined } | undefined;

  constructor(owner: Engine & JobOwner, config: JobConfig) {
    this.#owner = owner;
    this.#config = config;
    this.executor = new Executor(this);
    this.#ticker = new Ticker(this);
    this.handle = new JobHandle(this);
  }

  /** Announces the job and arms its first tick (unless a listener of the announcement removed it). */
  start(): void {
    this.#emitState(null, 'active', 'added');
    if (this.#state === 'active') this.#ticker.start();
  }

  /** add() failed after the job was made: it leaves nothing armed. */
  discard(): void {
    this.#ticker.halt();
  }

  /**
   * The one writer of the job's state: moves to `to` if the transition table allows it, and
   * tells listeners. The state is written before the event goes out, so a listener sees the job
   * as it now is (and may act on it: the engine re-checks the state after every call-out).
   */
  #transition(to: JobState, reason: JobStateReason): boolean {
    const from = this.#state;
    if (!canTransition(from, to)) return false;
    this.#state = to;
    this.#owner.stateChanged(this, from, to);
    this.#stateReason = reason === 'failures' || reason === 'manual' || reason === 'max-runs' || reason === 'schedule-ended' ? reason : null;
    this.#emitState(from, to, reason);
    return true;
  }

  #emitState(from: JobState | null, to: JobState, reason: JobStateReason): void {
    const events = this.engine.events;
    if (events.has('job:state')) events.emit('job:state', { job: this.name, from, to, reason });
  }

  get #pauseReason(): PauseReason | null {
    return this.#state === 'paused' && (this.#stateReason === 'manual' || this.#stateReason === 'failures') ? this.#stateReason : null;
  }

  get #doneReason(): 'max-runs' | 'schedule-ended' | null {
    return this.#state === 'done' && (this.#stateReason === 'max-runs' || this.#stateReason === 'schedule-ended') ? this.#stateReason : null;
  }

  get name(): string {
    return this.#config.name;
  }

  get engine(): Engine {
    return this.#owner;
  }

  get config(): JobConfig {
    return this.#config;
  }

  get state(): JobState {
    return this.#state;
  }

  logger(): Logger {
    const aside = (this.#aside ??= { logger: undefined, removing: undefined });
    return (aside.logger ??= this.engine.log.child({ job: this.name }));
  }

  // ─── what the executor and the ticker report ────────────────────────────────────────

  /**
   * The last allowed run is starting: no tick is armed or buffered any more, and the job becomes
   * `done` once that run (and any other in flight) has settled — so that a `job:state` 'done'
   * listener, the natural place to clean up, sees the job with nothing running.
   */
  maxRunsReached(): void {
    if (this.#state === 'done' || this.#state === 'removed') return;
    this.#finishing = 'max-runs';
    this.#ticker.halt();
    this.executor.dropBuffered('done');
    this.#releaseIfIdle();
  }

  failedTooOften(): void {
    if (!this.#transition('paused', 'failures')) return;
    if (levelEnabled(this.engine.log, 'warn')) {
      this.logger().warn({ consecutiveFailures: this.executor.consecutiveFailures }, 'job paused itself after maxConsecutiveFailures failed runs in a row');
    }
  }

  /** The schedule has no more ticks: the job is done once its last tick — buffered or running — has ended. */
  scheduleEnded(): void {
    if (this.#state === 'done' || this.#state === 'removed' || this.#finishing === 'max-runs') return;
    this.#finishing = 'schedule-ended';
    this.#releaseIfIdle();
  }

  tickEnded(tick: Tick): void {
    // Before the ticker: a job that turns done here must not have a fixedDelay chain re-armed.
    this.#releaseIfIdle();
    this.#ticker.tickEnded(tick);
  }

  /** A job that will run nothing more, with nothing in flight or waiting, turns done or gives back what it holds. */
  #releaseIfIdle(): void {
    const executor = this.executor;
    if (executor.runCount > 0 || executor.claiming > 0 || executor.bufferedNow > 0) return;
    const finishing = this.#finishing;
    if (finishing !== null) {
      this.#finishing = null;
      this.#ticker.halt();
      this.#transition('done', finishing);
    }
    const state = this.#state;
    if (state !== 'done' && state !== 'removed') return;
    executor.resign();
    if (state === 'removed') this.#owner.released(this);
  }

  leaseLost(lease: Lease, why: string): void {
    this.executor.leaseLost(lease, why);
  }

  // ─── the public operations ──────────────────────────────────────────────────────────

  #assertLive(action: string): void {
    if (this.state === 'removed') throw new JobRemovedError(this.name, action);
  }

  trigger(): Promise<TriggerResult> {
    return this.executor.trigger();
  }

  pause(): void {
    this.#assertLive('pause');
    this.#transition('paused', 'manual');
  }

  resume(): void {
    this.#assertLive('resume');
    if (this.state !== 'paused') return;
    this.#transition('active', 'resumed');
    this.executor.resumed();
  }

  update(changes: JobUpdate): void {
    this.#assertLive('update');
    const next = validateJobUpdate(this.#config, changes, this.#owner.jobContext);
    const scheduleChanged = SCHEDULE_OPTION_KEYS.some((key) => (changes as Record<string, unknown>)[key] !== undefined);
    const started = this.executor.started;
    const ended = this.#state === 'done' ? this.#doneReason : this.#finishing;
    // A job that ended (or is ending) goes on only with a new schedule, or a higher maxRuns after maxRuns ended it.
    const goesOn = ended === null || (started < next.policy.maxRuns && (scheduleChanged || ended === 'max-runs'));
    if (this.#state === 'done' && !goesOn) {
      throw new JobDoneError(this.name, `Job ${JSON.stringify(this.name)} is done (${ended === 'max-runs' ? `maxRuns ${this.#config.policy.maxRuns} reached` : 'its schedule ended'}); revive it with a new schedule${ended === 'max-runs' ? ` or a maxRuns above ${started}` : ''}, or remove it`);
    }
    this.#config = next;
    if (this.#state === 'done') {
      this.#transition('active', 'updated');
      // A listener of the revival may have removed or paused it again: only a live job is re-armed.
      if (this.state !== 'removed') this.#ticker.rebase();
    } else if (ended !== null && goesOn) {
      this.#finishing = null;
      this.#ticker.rebase();
    } else if (scheduleChanged && ended === null) {
      this.#ticker.rebase();
    }
    if (this.#state !== 'removed' && this.executor.started >= next.policy.maxRuns) this.maxRunsReached();
    this.executor.configChanged();
  }

  remove(options?: StopOptions): Promise<StopReport> {
    // A second call gets the report of the remove() under way.
    const under = this.#aside?.removing;
    if (under !== undefined) return under;
    this.#assertLive('remove');
    const { timeoutMs, abort } = validateStopOptions(options, true);
    const runs = this.executor.runs();
    const drain = this.#owner.drain(this.name, runs, (stillRunning) => {
      if (stillRunning.length === 0) return;
      // Given up on: nothing of the removed job stays armed — its timers, nor its lease renewals
      // (a lease then expires on its own; the fencing token guards against the run left behind).
      for (const run of stillRunning) run.abandon();
      this.executor.close();
    });
    (this.#aside ??= { logger: undefined, removing: undefined }).removing = drain.promise;
    this.#transition('removed', 'removed');
    this.#owner.detach(this);
    drain.account(this.#ticker.shutDown('removed'), []);
    const { dropped, claims } = this.executor.shutDown('removed');
    drain.account(dropped, claims);
    if (abort) this.executor.abortRuns('remove');
    this.#releaseIfIdle();
    drain.start(timeoutMs);
    return drain.promise;
  }

  inspect(): JobSnapshot {
    const now = this.engine.clock.now();
    const config = this.#config;
    const executor = this.executor;
    const pending = this.#ticker.pendingDue;
    return {
      name: this.name,
      state: this.state,
      pauseReason: this.#pauseReason,
      schedule: { kind: config.schedule.kind, description: config.schedule.description },
      nextRunAt: pending === null ? null : new Date(pending),
      inFlight: executor.runCount,
      claiming: executor.claiming,
      coordination: config.policy.coordination,
      stuck: executor.stuckCount(),
      buffered: executor.bufferedNow,
      maxConcurrency: config.policy.maxConcurrency,
      overlap: config.policy.overlap,
      consecutiveFailures: executor.consecutiveFailures,
      counters: executor.counters(),
      lastRun: executor.lastRun(),
      runs: executor.runs().map((run) => run.describe(now)),
    };
  }

  stats(): JobStats {
    const executor = this.executor;
    return {
      name: this.name,
      state: this.state,
      pauseReason: this.#pauseReason,
      inFlight: executor.runCount,
      claiming: executor.claiming,
      stuck: executor.stuckCount(),
      buffered: executor.bufferedNow,
      consecutiveFailures: executor.consecutiveFailures,
      counters: executor.counters(),
    };
  }

  nextRuns(count: number): Date[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new InvalidOptionError('count', count, `Expected \`count\` to be an integer >= 0, got ${describeValue(count)}`);
    }
    const remaining = this.#config.policy.maxRuns - this.executor.started;
    return this.#ticker.nextRuns(Math.min(count, remaining)).map((due) => new Date(due));
  }

  // ─── scheduler stop ─────────────────────────────────────────────────────────────────

  /**
   * The scheduler stops: no more ticks; buffered and overdue ticks and pending claims are dropped,
   * and a leadership no run holds is given back (the stop's wait covers the release).
   */
  shutDown(): { dropped: number; claims: readonly PendingClaim[] } {
    const overdue = this.#ticker.shutDown('stopped');
    const { dropped, claims } = this.executor.shutDown('stopped');
    if (this.executor.runCount === 0) this.executor.resign();
    return { dropped: overdue + dropped, claims };
  }

  /** The scheduler has stopped: the job is gone with it. */
  markStopped(): void {
    this.#transition('removed', 'stopped');
    if (this.executor.runCount === 0) this.executor.resign();
    this.executor.close();
  }
}

/** The object users hold: the public interface, nothing else (no internals, no heap fields in JSON). */
class JobHandle implements Job {
  readonly #job: JobImpl;

  constructor(job: JobImpl) {
    this.#job = job;
  }

  get name(): string {
    return this.#job.name;
  }
  get state(): JobState {
    return this.#job.state;
  }
  trigger(): Promise<TriggerResult> {
    return this.#job.trigger();
  }
  pause(): void {
    this.#job.pause();
  }
  resume(): void {
    this.#job.resume();
  }
  update(changes: JobUpdate): void {
    this.#job.update(changes);
  }
  remove(options?: StopOptions): Promise<StopReport> {
    return this.#job.remove(options);
  }
  inspect(): JobSnapshot {
    return this.#job.inspect();
  }
  nextRuns(count: number): Date[] {
    return this.#job.nextRuns(count);
  }
  /** `JSON.stringify(job)` gives its snapshot. */
  toJSON(): JobSnapshot {
    return this.#job.inspect();
  }
}
