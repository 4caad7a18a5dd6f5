/**
 * A job: its state machine (active ⇄ paused → done, any → removed), its slots, its tick
 * buffer and its counters. The job decides what each tick becomes; the scheduler owns the
 * timer queue and the clock; a {@link Run} carries out one tick.
 *
 * Invariants:
 *  - `#runs.size + #claiming <= config.maxConcurrency` at the moment a run starts: a slot is
 *    taken before the coordinator is asked and given back only when the run has settled.
 *  - A job has at most one scheduled tick entry in the queue; fixedDelay arms it when the
 *    run of its previous tick settles, every other kind when the previous tick fires.
 *  - Every tick lands in exactly one of started, skipped, dropped, missed — or waits in the buffer.
 */
import type { Clock } from './clock.js';
import type { EventHub, JobStateReason, RunOutcome, TickReason, TickResult } from './events.js';
import type { Logger } from './logger.js';
import { levelEnabled } from './logger.js';
import type { JobConfig, JobUpdate, StopOptions } from './options.js';
import { validateJobUpdate, validateStopOptions } from './options.js';
import type { TickCoordinator } from './coordinator.js';
import type { JobCounters, JobSnapshot, JobState, LastRun, PauseReason, StopReport, TriggerResult } from './snapshot.js';
import { Run, type RunHost } from './runner.js';
import { Tick } from './tick.js';
import { CallbackEntry, QueueEntry } from './timer-queue.js';
import { JobRemovedError, SchedulerStoppedError, toError, type AbortCause } from './errors.js';
import { InvalidOptionError } from './errors.js';
import { describeValue } from './describe-value.js';

/** A job, as `scheduler.add()` returns it. */
export interface Job {
  /** The job's unique name. */
  readonly name: string;
  /** Its lifecycle state. */
  readonly state: JobState;
  /**
   * A manual tick through the same overlap policy as scheduled ones. Resolves with the run's
   * outcome once it ended, or with why the tick did not run (skipped, dropped).
   */
  trigger(): Promise<TriggerResult>;
  /** Ticks are counted as skipped (reason `paused`) until `resume()`; runs in flight go on. */
  pause(): void;
  /** Undoes `pause()` or a self-pause after failures; buffered ticks start when slots are free. */
  resume(): void;
  /**
   * Changes options atomically: a new schedule replaces the pending tick (never before now,
   * never repeating a tick), other options apply from the next run. Throws and keeps the old
   * config when the update is invalid.
   */
  update(changes: JobUpdate): void;
  /** Removes the job: no new run starts, runs in flight are aborted (unless `abort: false`) and awaited. */
  remove(options?: StopOptions): Promise<StopReport>;
  /** A snapshot of the job. */
  inspect(): JobSnapshot;
  /** The next `count` due times of the schedule, computed without running anything. */
  nextRuns(count: number): Date[];
}

/** What a job needs from its scheduler. */
export interface JobHost {
  readonly clock: Clock;
  readonly events: EventHub;
  readonly logger: Logger;
  readonly coordinator: TickCoordinator | undefined;
  /** Whether new runs may start (false once stopping). */
  readonly accepting: boolean;
  schedule(entry: QueueEntry, due: number): void;
  cancel(entry: QueueEntry): void;
  /** Waits for `runs` to settle, at most `timeoutMs`. */
  drain(runs: ReadonlySet<Run>, timeoutMs: number, droppedTicks: number): Promise<StopReport>;
  runSettled(run: Run): void;
  detach(job: JobImpl): void;
}

type MutableCounters = { -readonly [K in keyof JobCounters]: JobCounters[K] };

/** Shared by every job whose buffer has never held a tick; replaced on the first push, never pushed to. */
const NO_TICKS: Tick[] = [];

/**
 * The job is its own timer-queue entry (the entry of its next scheduled tick): one object less
 * per job, which counts at 100k jobs.
 */
export class JobImpl extends QueueEntry implements Job, RunHost {
  readonly name: string;
  #config: JobConfig;
  readonly #host: JobHost;
  #state: JobState = 'active';
  #pauseReason: PauseReason | null = null;
  /** Nominal due time of the pending scheduled tick (epoch ms in the trigger's time line). */
  #nextDue: number | null = null;
  /** Due time of the last scheduled tick, or the add time: where a new schedule continues from. */
  #lastDue: number;
  /** The fixedDelay tick whose run must settle before the next tick is armed. */
  #chainTick: Tick | undefined;
  #tickSeq = 0;
  /** The run in flight, when one is: with the default maxConcurrency of 1 no Set is ever made. */
  #run: Run | undefined;
  /** Further runs in flight when maxConcurrency > 1. */
  #moreRuns: Set<Run> | undefined;
  #runCount = 0;
  #claiming = 0;
  #buffer: Tick[] = NO_TICKS;
  #consecutiveFailures = 0;
  // The last run that ended, as plain values: neither the Run nor its Tick outlives its run,
  // and Dates and the tick id are built only when someone inspects.
  #lastTickSeq = 0;
  #lastTickDue = 0;
  #lastTickManual = false;
  #lastStartedAt = 0;
  #lastEndedAt = 0;
  #lastAttempts = 0;
  #lastOutcome: RunOutcome | undefined;
  #lastError: Error | undefined;
  #logger: Logger | undefined;
  readonly #counters: MutableCounters = {
    ticks: 0, started: 0, buffered: 0, skipped: 0, dropped: 0, missed: 0,
    succeeded: 0, failed: 0, timedOut: 0, aborted: 0, retries: 0,
  };

  constructor(host: JobHost, config: JobConfig) {
    super();
    this.#host = host;
    this.#config = config;
    this.name = config.name;
    const trigger = config.trigger;
    const start = this.#domainNow();
    const startQueue = host.clock.now();
    this.#lastDue = start;
    if (config.runOnStart && trigger.kind === 'fixedDelay') {
      // The start-up run heads the chain: the next tick follows its settling.
      this.#arm(start, false);
      return;
    }
    const first = trigger.first(start, config.initialDelayMs);
    if (first !== null) this.#arm(first);
    if (config.runOnStart) {
      // An extra tick right away, through the tick loop (not inside add()), due at the add time.
      host.schedule(new CallbackEntry(() => {
        if (this.#state === 'active' || this.#state === 'paused') this.#handleTick(this.#newTick(start, false, startQueue));
      }), host.clock.now());
    }
  }

  // ─── RunHost ────────────────────────────────────────────────────────────────────────
  get clock(): Clock {
    return this.#host.clock;
  }
  get events(): EventHub {
    return this.#host.events;
  }
  get accepting(): boolean {
    return this.#host.accepting && this.#state !== 'removed';
  }
  schedule(entry: QueueEntry, due: number): void {
    this.#host.schedule(entry, due);
  }
  cancel(entry: QueueEntry): void {
    this.#host.cancel(entry);
  }
  logger(): Logger {
    return (this.#logger ??= this.#host.logger.child({ job: this.name }));
  }

  // ─── public API ─────────────────────────────────────────────────────────────────────
  get state(): JobState {
    return this.#state;
  }

  trigger(): Promise<TriggerResult> {
    if (this.#state === 'removed') return Promise.reject(new JobRemovedError(this.name, 'trigger'));
    if (!this.#host.accepting) return Promise.reject(new SchedulerStoppedError('trigger a job'));
    return new Promise<TriggerResult>((resolve) => {
      const tick = this.#newTick(this.#host.clock.wallNow(), true, this.#host.clock.now());
      tick.settle = resolve;
      this.#handleTick(tick);
    });
  }

  pause(): void {
    this.#assertLive('pause');
    if (this.#state === 'active') this.#setState('paused', 'manual');
  }

  resume(): void {
    this.#assertLive('resume');
    if (this.#state !== 'paused') return;
    this.#consecutiveFailures = 0;
    this.#setState('active', null);
    this.#drainBuffer();
  }

  update(changes: JobUpdate): void {
    this.#assertLive('update');
    const next = validateJobUpdate(this.#config, changes);
    const scheduleChanged = ['fixedRate', 'fixedDelay', 'cron', 'at', 'timezone'].some(
      (key) => (changes as Record<string, unknown>)[key] !== undefined,
    );
    this.#config = next;
    if (scheduleChanged && this.#state !== 'done') this.#rebase();
    this.#trimBuffer();
    if (this.#counters.started >= next.maxRuns && this.#state !== 'done') this.#becomeDone(true);
    this.#drainBuffer();
  }

  async remove(options?: StopOptions): Promise<StopReport> {
    this.#assertLive('remove');
    const { timeoutMs, abort } = validateStopOptions(options, true);
    const from = this.#state;
    this.#state = 'removed';
    this.#host.detach(this);
    const dropped = this.shutDown('removed');
    if (abort) this.abortRuns('remove');
    this.#emitState(from, 'removed', 'removed');
    return this.#host.drain(this.runs, timeoutMs, dropped);
  }

  inspect(): JobSnapshot {
    const now = this.#host.clock.now();
    let stuck = 0;
    const runs = this.#runList();
    for (const run of runs) if (run.stuck) stuck += 1;
    const config = this.#config;
    return {
      name: this.name,
      state: this.#state,
      pauseReason: this.#pauseReason,
      schedule: { kind: config.trigger.kind, description: config.trigger.description },
      nextRunAt: this.#nextDue === null || !this.queued ? null : new Date(this.#nextDue),
      inFlight: this.#runCount + this.#claiming,
      stuck,
      buffered: this.#buffer.length,
      maxConcurrency: config.maxConcurrency,
      overlap: config.overlap,
      consecutiveFailures: this.#consecutiveFailures,
      counters: { ...this.#counters },
      lastRun: this.#lastRunSnapshot(),
      runs: runs.map((run) => run.describe(now)),
    };
  }

  #lastRunSnapshot(): LastRun | null {
    const outcome = this.#lastOutcome;
    if (outcome === undefined) return null;
    const tick = new Tick(this.name, this.#lastTickSeq, this.#lastTickDue, this.#lastTickManual);
    const startedAt = this.#lastStartedAt;
    const endedAt = this.#lastEndedAt;
    const error = this.#lastError;
    return {
      tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.scheduledAt, startedAt: new Date(startedAt),
      endedAt: new Date(endedAt), durationMs: endedAt - startedAt, outcome, attempts: this.#lastAttempts,
      error: error === undefined ? null : { name: error.name, message: error.message },
    };
  }

  nextRuns(count: number): Date[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new InvalidOptionError('count', count, `Expected \`count\` to be an integer >= 0, got ${describeValue(count)}`);
    }
    const dates: Date[] = [];
    let due = this.queued ? this.#nextDue : null;
    while (due !== null && dates.length < count) {
      dates.push(new Date(due));
      due = this.#config.trigger.following(due);
    }
    return dates;
  }

  // ─── ticks ──────────────────────────────────────────────────────────────────────────

  /** QueueEntry: the pending scheduled tick is due. */
  fire(queueNow: number): void {
    this.onDue(queueNow);
  }

  /** Called by the timer queue when the pending scheduled tick is due. */
  onDue(queueNow: number): void {
    const due = this.#nextDue;
    if (due === null || this.#state === 'done' || this.#state === 'removed') return;
    const trigger = this.#config.trigger;
    const now = trigger.domain === 'wall' ? this.#host.clock.wallNow() : queueNow;
    if (now < due) {
      // Woken early (a wall-clock step, or a long wait armed in slices): wait for the rest.
      this.#host.schedule(this, queueNow + (due - now));
      return;
    }
    const { fire, missed, next } = trigger.catchUp(due, now);
    if (missed > 0) this.#recordMissed(due, missed);
    this.#lastDue = fire;
    // `now` is on the trigger's time line, `queueNow` on the clock's monotonic one.
    const tick = this.#newTick(fire, false, queueNow - (now - fire));
    if (next !== null) this.#arm(next);
    else this.#nextDue = null;
    if (trigger.kind === 'fixedDelay') this.#chainTick = tick;
    this.#handleTick(tick);
    // The schedule has no more ticks (`at`): a tick buffered behind a busy slot still runs.
    if (next === null && trigger.kind !== 'fixedDelay') this.#becomeDone(false);
  }

  #handleTick(tick: Tick): void {
    if (!this.accepting) return this.#endTick(tick, 'dropped', this.#state === 'removed' ? 'removed' : 'stopped');
    if (this.#state === 'paused') return this.#endTick(tick, 'skipped', 'paused');
    if (this.#state === 'done' && tick.manual) return this.#endTick(tick, 'skipped', 'done');
    const config = this.#config;
    if (this.#runCount + this.#claiming < config.maxConcurrency && this.#buffer.length === 0) {
      this.#start(tick);
      return;
    }
    switch (config.overlap) {
      case 'skip':
        return this.#endTick(tick, 'skipped', 'busy');
      case 'buffer-one':
        if (this.#buffer.length > 0) return this.#endTick(tick, 'skipped', 'busy');
        return this.#bufferTick(tick);
      case 'buffer-all':
        if (this.#buffer.length >= config.maxBuffered) this.#endTick(this.#buffer.shift()!, 'dropped', 'buffer-full');
        return this.#bufferTick(tick);
      case 'cancel-other': {
        for (const run of this.#runList()) {
          if (run.abortCause === undefined) {
            run.abort('cancel-other');
            break;
          }
        }
        if (this.#buffer.length > 0) this.#endTick(this.#buffer.shift()!, 'dropped', 'replaced');
        return this.#bufferTick(tick);
      }
    }
  }

  #bufferTick(tick: Tick): void {
    if (this.#buffer === NO_TICKS) this.#buffer = [];
    this.#buffer.push(tick);
    this.#counters.buffered += 1;
    this.#emitTick(tick, 'buffered', undefined);
    // A slot may be free already (the buffer was non-empty only because the job was paused).
    this.#drainBuffer();
  }

  #start(tick: Tick): void {
    const config = this.#config;
    if (this.#counters.started >= config.maxRuns) return this.#endTick(tick, 'skipped', 'done');
    const coordinator = this.#host.coordinator;
    if (coordinator === undefined) {
      this.#launch(tick);
      return;
    }
    this.#claiming += 1;
    let claim: boolean | Promise<boolean>;
    try {
      claim = coordinator.claim({ jobName: this.name, scheduledAt: tick.scheduledAt, tickId: tick.tickId, manual: tick.manual });
    } catch (error) {
      this.#claimSettled(tick, undefined, error);
      return;
    }
    if (typeof claim === 'boolean') this.#claimSettled(tick, claim, undefined);
    else Promise.resolve(claim).then((won) => this.#claimSettled(tick, won, undefined), (error: unknown) => this.#claimSettled(tick, undefined, error));
  }

  #claimSettled(tick: Tick, won: boolean | undefined, error: unknown): void {
    this.#claiming -= 1;
    if (this.#state === 'removed') this.#endTick(tick, 'dropped', 'removed');
    else if (!this.#host.accepting) this.#endTick(tick, 'dropped', 'stopped');
    else if (error !== undefined) {
      this.logger().error({ err: toError(error), tickId: tick.tickId }, 'coordinator.claim failed; tick skipped');
      this.#endTick(tick, 'skipped', 'claim-failed');
    } else if (won !== true) this.#endTick(tick, 'skipped', 'not-claimed');
    else if (this.#counters.started >= this.#config.maxRuns) this.#endTick(tick, 'skipped', 'done');
    else {
      this.#launch(tick);
      return;
    }
    this.#drainBuffer();
  }

  #launch(tick: Tick): void {
    const counters = this.#counters;
    counters.started += 1;
    const run = new Run(this, this.#config, tick);
    if (this.#run === undefined) this.#run = run;
    else (this.#moreRuns ??= new Set()).add(run);
    this.#runCount += 1;
    this.#emitTick(tick, 'started', undefined);
    if (counters.started >= this.#config.maxRuns) this.#becomeDone(true);
    run.start();
  }

  /** RunHost: a run ended; its slot is free. */
  runEnded(run: Run, outcome: RunOutcome, error: Error | undefined): void {
    if (this.#run === run) {
      // Keep #run the oldest run in flight (cancel-other aborts the oldest): promote the next.
      const next: Run | undefined = this.#moreRuns?.values().next().value;
      this.#run = next;
      if (next !== undefined) this.#moreRuns?.delete(next);
    } else this.#moreRuns?.delete(run);
    this.#runCount -= 1;
    const now = this.#host.clock.now();
    const tick = run.tick;
    const counters = this.#counters;
    counters.retries += run.attempts - 1;
    if (outcome === 'success') counters.succeeded += 1;
    else if (outcome === 'error') counters.failed += 1;
    else if (outcome === 'timeout') counters.timedOut += 1;
    else counters.aborted += 1;
    const durationMs = now - run.startedAt;
    this.#lastTickSeq = tick.seq;
    this.#lastTickDue = tick.due;
    this.#lastTickManual = tick.manual;
    this.#lastStartedAt = run.startedAt;
    this.#lastEndedAt = now;
    this.#lastAttempts = run.attempts;
    this.#lastOutcome = outcome;
    this.#lastError = error;
    const events = this.#host.events;
    if (events.has('run:end')) {
      events.emit('run:end', {
        job: this.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.scheduledAt, manual: tick.manual,
        outcome, attempts: run.attempts, startedAt: new Date(run.startedAt), endedAt: new Date(now), durationMs,
        latenessMs: run.startedAt - tick.queueDue, ...(error === undefined ? {} : { error }),
        ...(run.abortCause === undefined ? {} : { abortCause: run.abortCause }),
      });
    }
    this.#logRunEnd(run, outcome, error, durationMs);
    tick.settle?.({ status: 'completed', outcome, attempts: run.attempts, durationMs, ...(error === undefined ? {} : { error }) });
    tick.settle = undefined;

    if (outcome === 'success') this.#consecutiveFailures = 0;
    else if (outcome === 'error' || outcome === 'timeout') {
      this.#consecutiveFailures += 1;
      if (this.#consecutiveFailures >= this.#config.maxConsecutiveFailures && this.#state === 'active') {
        this.#setState('paused', 'failures');
      }
    }
    if (tick === this.#chainTick) this.#continueChain(now);
    this.#host.runSettled(run);
    this.#drainBuffer();
  }

  #logRunEnd(run: Run, outcome: RunOutcome, error: Error | undefined, durationMs: number): void {
    const log = this.#host.logger;
    if (outcome === 'success' || outcome === 'aborted') {
      if (levelEnabled(log, 'debug')) run.logger().debug({ outcome, durationMs, latenessMs: run.startedAt - run.tick.queueDue, attempts: run.attempts }, 'run ended');
    } else if (levelEnabled(log, 'error')) {
      run.logger().error({ outcome, durationMs, latenessMs: run.startedAt - run.tick.queueDue, attempts: run.attempts, err: error }, outcome === 'timeout' ? 'run timed out' : 'run failed');
    }
  }

  /** Starts buffered ticks while slots are free and the job may run. */
  #drainBuffer(): void {
    while (
      this.#buffer.length > 0 &&
      this.#state !== 'paused' &&
      this.#host.accepting &&
      this.#runCount + this.#claiming < this.#config.maxConcurrency
    ) {
      this.#start(this.#buffer.shift()!);
    }
  }

  /** After an update, keeps no more buffered ticks than the new policy allows. */
  #trimBuffer(): void {
    const { overlap, maxBuffered } = this.#config;
    const capacity = overlap === 'skip' ? 0 : overlap === 'buffer-all' ? maxBuffered : 1;
    while (this.#buffer.length > capacity) this.#endTick(this.#buffer.shift()!, 'dropped', 'buffer-full');
  }

  /** A tick that will not run: count it, tell listeners and its trigger() caller, keep fixedDelay going. */
  #endTick(tick: Tick, result: 'skipped' | 'dropped', reason: TickReason): void {
    this.#counters[result] += 1;
    this.#emitTick(tick, result, reason);
    const log = this.#host.logger;
    if (levelEnabled(log, 'debug')) this.logger().debug({ tick: tick.seq, tickId: tick.tickId, result, reason }, `tick ${result}`);
    tick.settle?.({ status: result, reason });
    tick.settle = undefined;
    if (tick === this.#chainTick) this.#continueChain(this.#host.clock.now());
  }

  #recordMissed(firstDue: number, count: number): void {
    this.#tickSeq += count;
    this.#counters.ticks += count;
    this.#counters.missed += count;
    const events = this.#host.events;
    if (events.has('tick')) {
      const tick = new Tick(this.name, this.#tickSeq - count + 1, firstDue, false);
      events.emit('tick', { job: this.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.scheduledAt, manual: false, result: 'missed', reason: 'stalled', count });
    }
    if (levelEnabled(this.#host.logger, 'warn')) {
      this.logger().warn({ missed: count, firstDue: new Date(firstDue).toISOString() }, 'ticks missed: the event loop was blocked past their due time');
    }
  }

  #emitTick(tick: Tick, result: TickResult, reason: TickReason | undefined): void {
    const events = this.#host.events;
    if (!events.has('tick')) return;
    events.emit('tick', {
      job: this.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.scheduledAt, manual: tick.manual,
      result, count: 1, ...(reason === undefined ? {} : { reason }),
    });
  }

  #newTick(due: number, manual: boolean, queueDue: number = due): Tick {
    this.#tickSeq += 1;
    this.#counters.ticks += 1;
    return new Tick(this.name, this.#tickSeq, due, manual, queueDue);
  }

  // ─── schedule ───────────────────────────────────────────────────────────────────────

  #domainNow(): number {
    const clock = this.#host.clock;
    return this.#config.trigger.domain === 'wall' ? clock.wallNow() : clock.now();
  }

  /** Arms the scheduled tick due at `due` (trigger time line), with jitter unless told otherwise. */
  #arm(due: number, withJitter = true): void {
    this.#nextDue = due;
    const clock = this.#host.clock;
    const queueDue = this.#config.trigger.domain === 'wall' ? clock.now() + (due - clock.wallNow()) : due;
    const jitter = withJitter && this.#config.jitterMs > 0 ? Math.random() * this.#config.jitterMs : 0;
    this.#host.schedule(this, queueDue + jitter);
  }

  /** fixedDelay: the chained tick's run settled (or the tick ended), so arm the next one. */
  #continueChain(settledAt: number): void {
    this.#chainTick = undefined;
    if (this.#state === 'done' || this.#state === 'removed' || !this.#host.accepting) return;
    const next = this.#config.trigger.afterSettle(settledAt);
    if (next !== null) this.#arm(next);
  }

  /** A new schedule continues from the last tick: no earlier than now, never repeating it. */
  #rebase(): void {
    const trigger = this.#config.trigger;
    if (trigger.kind === 'fixedDelay' && this.#chainTick !== undefined) {
      // The run in flight arms the next tick when it settles, with the new delay.
      this.#host.cancel(this);
      this.#nextDue = null;
      return;
    }
    this.#chainTick = undefined;
    const next = trigger.rebase(this.#lastDue, this.#domainNow());
    if (next === null) {
      this.#becomeDone(false);
    } else {
      this.#arm(next);
    }
  }

  /** No more scheduled ticks: `maxRuns` reached (buffered ticks can no longer run) or the schedule ended. */
  #becomeDone(maxRunsReached: boolean): void {
    this.#host.cancel(this);
    this.#nextDue = null;
    this.#chainTick = undefined;
    if (this.#state === 'done' || this.#state === 'removed') return;
    const from = this.#state;
    this.#state = 'done';
    this.#pauseReason = null;
    if (maxRunsReached) while (this.#buffer.length > 0) this.#endTick(this.#buffer.shift()!, 'dropped', 'done');
    this.#emitState(from, 'done', maxRunsReached ? 'max-runs' : 'schedule-ended');
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────

  /** Stops ticking: cancels the pending tick and drops the buffered ones. Returns how many were dropped. */
  shutDown(reason: 'stopped' | 'removed'): number {
    this.#host.cancel(this);
    this.#nextDue = null;
    this.#chainTick = undefined;
    const dropped = this.#buffer.length;
    while (this.#buffer.length > 0) this.#endTick(this.#buffer.shift()!, 'dropped', reason);
    for (const run of this.#runList()) run.endRetryWait();
    return dropped;
  }

  /** The scheduler has stopped: the job is gone with it. */
  markStopped(): void {
    const from = this.#state;
    if (from === 'removed') return;
    this.#state = 'removed';
    this.#emitState(from, 'removed', 'stopped');
  }

  /** Aborts every run in flight. */
  abortRuns(cause: Extract<AbortCause, 'stop' | 'remove'>): void {
    for (const run of this.#runList()) run.abort(cause);
  }

  get runs(): ReadonlySet<Run> {
    return new Set(this.#runList());
  }

  /** The runs in flight, oldest first, as a fresh array (safe to iterate while runs end). */
  #runList(): Run[] {
    const list: Run[] = this.#run === undefined ? [] : [this.#run];
    if (this.#moreRuns !== undefined) for (const run of this.#moreRuns) list.push(run);
    return list;
  }

  #setState(to: JobState, reason: PauseReason | null): void {
    const from = this.#state;
    this.#state = to;
    this.#pauseReason = to === 'paused' ? reason : null;
    if (reason === 'failures' && levelEnabled(this.#host.logger, 'warn')) {
      this.logger().warn({ consecutiveFailures: this.#consecutiveFailures }, 'job paused itself after maxConsecutiveFailures failed runs in a row');
    }
    this.#emitState(from, to, reason ?? undefined);
  }

  #emitState(from: JobState | null, to: JobState, reason: JobStateReason | undefined): void {
    const events = this.#host.events;
    if (events.has('job:state')) events.emit('job:state', { job: this.name, from, to, ...(reason === undefined ? {} : { reason }) });
  }

  #assertLive(action: string): void {
    if (this.#state === 'removed') throw new JobRemovedError(this.name, action);
  }
}
