/**
 * The executor of one job: what each tick becomes, and the accounting of it all.
 *
 *    tick ──▶ submit ──▶ admit ─────────▶ claim ──────────▶ launch ──▶ Run ──▶ runEnded
 *             (accepting,  (slots, buffer,  (coordination     (count,     (attempts)  (count the
 *              paused)      overlap policy,  stage, when the   emit,                    outcome,
 *                           maxRuns)         job is coord.)    start)                   free the slot)
 *
 * It is the one place that emits `tick` events, counts ticks and outcomes, and keeps the last
 * run; runs push their result here when they end. Every tick lands in exactly one of started,
 * skipped, dropped, missed — or waits, in the buffer or for its claim.
 *
 * Invariants:
 *  - `runs in flight + claims pending <= maxConcurrency` whenever a tick is admitted: a slot is
 *    taken before the coordinator is asked and given back only when the run has settled (or the
 *    claim was refused). A claim that wins is checked again — the job may have been paused, its
 *    limit lowered or the scheduler stopped while the claim was out.
 *  - Ticks are started from the buffer only by `pump()`, which is not re-entered: a sync task
 *    whose run ends inside `launch()` asks for another pass instead of recursing, so a long
 *    buffer of sync runs cannot grow the stack.
 */
import type { Engine } from './engine.js';
import type { EmittedEvent, RunOutcome, TickReason, TickResult, Writable } from './events.js';
import type { Logger } from './logger.js';
import { levelEnabled } from './logger.js';
import type { JobCounters, JobState, LastRun, TriggerResult } from './snapshot.js';
import { Tick } from './tick.js';
import { Run, type RunHost } from './run/run.js';
import { bufferCapacity, onBusy } from './overlap.js';
import { CoordinationStage, type StageHost } from './coordination/stage.js';
import { WON_WITHOUT_LEASE, type ClaimVerdict } from './coordination/claim-result.js';
import type { Lease } from './coordination/contract.js';
import type { PendingClaim } from './coordination/pending-claim.js';
import { JobRemovedError, SchedulerStoppedError, type AbortCause } from './errors.js';

/** What an executor needs of its job. */
export interface ExecutorHost extends StageHost {
  readonly state: JobState;
  /** The job's child logger. */
  logger(): Logger;
  /** The job started its last allowed run (`maxRuns`). */
  maxRunsReached(): void;
  /** `maxConsecutiveFailures` failed runs in a row. */
  failedTooOften(): void;
  /** A tick ended: it ran, or it will not run. A fixedDelay chain goes on from here. */
  tickEnded(tick: Tick): void;
}

type DropReason = Extract<TickReason, 'stopped' | 'removed'>;

/** Shared by every job whose buffer has never held a tick; replaced on the first push, never pushed to. */
const NO_TICKS: Tick[] = [];

/**
 * What most jobs never need: the counters of what they never see (a skipped, dropped or missed
 * tick, a failure, a retry), the parts of the last run that are nearly always the same (no
 * error, not manual, one attempt), and pump()'s state. Made on first use, so that a job whose
 * runs all succeed on their first attempt holds none of it (100k jobs, 100k objects fewer).
 * Once it exists, every run that ends writes its `last*` fields.
 */
interface RareCounts {
  buffered: number;
  skipped: number;
  dropped: number;
  missed: number;
  failed: number;
  timedOut: number;
  aborted: number;
  retries: number;
  lastError: Error | undefined;
  lastManual: boolean;
  lastAttempts: number;
  /** pump()'s state: PUMPING, PUMP_AGAIN. */
  pump: number;
  /** Further runs in flight when maxConcurrency > 1, oldest first. */
  moreRuns: Set<Run> | undefined;
}

// pump()'s state, in one field.
const PUMPING = 1;
const PUMP_AGAIN = 2;

export class Executor implements RunHost {
  readonly #host: ExecutorHost;
  /** Present when the scheduler has a coordinator (a job can switch to `'local'` by update). */
  readonly #stage: CoordinationStage | undefined;
  /** The oldest run in flight: with the default maxConcurrency of 1 no Set is ever made. */
  #run: Run | undefined;
  #runCount = 0;
  #buffer: Tick[] = NO_TICKS;
  // Counters as fields: the snapshot builds the object when asked. `#ticks` is also the tick
  // counter: a tick's `seq` is the count of ticks so far, missed ones included.
  #ticks = 0;
  #started = 0;
  #succeeded = 0;
  #rare: RareCounts | undefined;
  #consecutiveFailures = 0;
  // The last run that ended, as plain values: neither the Run nor its Tick outlives its run (a
  // long-lived reference would promote every run's objects out of the young generation).
  #lastSeq = 0;
  #lastRunDue = 0;
  #lastStartedAt = 0;
  #lastEndedAt = 0;
  #lastOutcome: RunOutcome | undefined;

  constructor(host: ExecutorHost) {
    this.#host = host;
    if (host.engine.coordinator !== undefined) {
      this.#stage = new CoordinationStage(host, (tick, verdict, durationMs) => this.#claimDecided(tick, verdict, durationMs));
    }
  }

  // ─── RunHost ────────────────────────────────────────────────────────────────────────
  get engine(): Engine {
    return this.#host.engine;
  }
  get accepting(): boolean {
    return this.#host.engine.accepting && this.#host.state !== 'removed';
  }
  get refusal(): Extract<AbortCause, 'stop' | 'remove'> {
    return this.#host.state === 'removed' ? 'remove' : 'stop';
  }

  /** Why a tick that arrives now is dropped, when the executor no longer accepts one. */
  #dropReason(): DropReason {
    return this.#host.state === 'removed' ? 'removed' : 'stopped';
  }
  logger(): Logger {
    return this.#host.logger();
  }

  // ─── ticks ──────────────────────────────────────────────────────────────────────────

  /** A new tick of this job, counted. `due` is a wall-clock instant, `monoDue` the same on the monotonic line. */
  newTick(due: number, manual: boolean, monoDue: number, shared: boolean): Tick {
    this.#ticks += 1;
    // Made as a Run: the tick that gets to run becomes its run in place (see run/run.ts).
    const host = this.#host;
    return new Run(this, host.config, host.name, this.#ticks, due, manual, monoDue, shared && !manual);
  }

  /** `count` ticks from `firstDue` on passed while nothing could run them (a stall): counted as missed. */
  recordMissed(firstDue: number, count: number, why: string): void {
    this.#counts().missed += count;
    this.#recordUnfired(firstDue, count, 'missed', 'stalled');
    const host = this.#host;
    if (levelEnabled(host.engine.log, 'warn')) {
      host.logger().warn({ missed: count, firstDue: new Date(firstDue).toISOString() }, `ticks missed: ${why}`);
    }
  }

  /**
   * `count` ticks from `firstDue` on were due but will never fire: the scheduler stopped, or the
   * job was removed, before its loop got to them. Counted as dropped.
   */
  recordOverdue(firstDue: number, count: number, reason: DropReason): void {
    this.#counts().dropped += count;
    this.#recordUnfired(firstDue, count, 'dropped', reason);
  }

  /** Counts `count` ticks that never became Tick objects, and reports them as one event. */
  #recordUnfired(firstDue: number, count: number, result: 'missed' | 'dropped', reason: TickReason): void {
    this.#ticks += count;
    const host = this.#host;
    const events = host.engine.events;
    if (!events.has('tick')) return;
    const tick = new Tick(host.name, this.#ticks - count + 1, firstDue, false, 0, false);
    events.emit('tick', { job: host.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.scheduledAt, manual: false, result, reason, count });
  }

  /** A tick arrives, scheduled or manual. */
  submit(tick: Tick): void {
    const state = this.#host.state;
    if (!this.accepting) return this.#endTick(tick, 'dropped', this.#dropReason());
    if (state === 'paused') return this.#endTick(tick, 'skipped', 'paused');
    if (state === 'done' && tick.manual) return this.#endTick(tick, 'skipped', 'done');
    if (this.#buffer.length === 0 && this.#hasFreeSlot()) return this.#admit(tick);
    const policy = this.#host.config.policy;
    switch (onBusy(policy.overlap, this.#buffer.length, policy.maxBuffered)) {
      case 'skip':
        return this.#endTick(tick, 'skipped', 'busy');
      case 'buffer':
        return this.#bufferTick(tick);
      case 'drop-oldest':
        this.#endTick(this.#buffer.shift()!, 'dropped', 'buffer-full');
        return this.#bufferAfterCallOut(tick);
      case 'cancel-oldest': {
        for (const run of this.runs()) {
          if (!run.aborted) {
            run.abort('cancel-other');
            break;
          }
        }
        if (this.#buffer.length > 0) this.#endTick(this.#buffer.shift()!, 'dropped', 'replaced');
        return this.#bufferAfterCallOut(tick);
      }
    }
  }

  /** A manual tick, for `job.trigger()`: resolves with its fate. */
  trigger(): Promise<TriggerResult> {
    const host = this.#host;
    if (host.state === 'removed') return Promise.reject(new JobRemovedError(host.name, 'trigger'));
    if (!host.engine.accepting) return Promise.reject(new SchedulerStoppedError('trigger a job'));
    const clock = host.engine.clock;
    return new Promise((resolve) => {
      const tick = this.newTick(clock.wallNow(), true, clock.now(), false);
      tick.settle = resolve;
      this.submit(tick);
    });
  }

  #hasFreeSlot(): boolean {
    return this.#runCount + (this.#stage?.pending ?? 0) < this.#host.config.policy.maxConcurrency;
  }

  /** Buffers `tick` after listeners (of the tick it replaced, of the run it aborted) had their say: they may have stopped the job. */
  #bufferAfterCallOut(tick: Tick): void {
    if (!this.accepting) this.#endTick(tick, 'dropped', this.#dropReason());
    else this.#bufferTick(tick);
  }

  #bufferTick(tick: Tick): void {
    if (this.#buffer === NO_TICKS) this.#buffer = [];
    this.#buffer.push(tick);
    this.#counts().buffered += 1;
    this.#emitTick(tick, 'buffered', undefined);
    // A slot may be free already (the buffer held ticks only because the job was paused).
    this.pump();
  }

  /** Starts buffered ticks while slots are free and the job may run. Never re-entered. */
  pump(): void {
    if (this.#buffer.length === 0) return;
    const state = this.#counts();
    if ((state.pump & PUMPING) !== 0) {
      state.pump |= PUMP_AGAIN;
      return;
    }
    state.pump = PUMPING;
    try {
      do {
        state.pump = PUMPING;
        while (this.#buffer.length > 0 && this.#host.state !== 'paused' && this.accepting && this.#hasFreeSlot()) {
          this.#admit(this.#buffer.shift()!);
        }
      } while ((state.pump & PUMP_AGAIN) !== 0);
    } finally {
      state.pump = 0;
    }
  }

  /** A slot is free: the tick runs unless maxRuns is reached; a coordinated job claims it first. */
  #admit(tick: Tick): void {
    const policy = this.#host.config.policy;
    const claiming = this.#stage?.pending ?? 0;
    if (this.#started + claiming >= policy.maxRuns) return this.#endTick(tick, 'skipped', 'done');
    if (this.#stage === undefined || policy.coordination === 'local') {
      this.#launch(tick, undefined, NaN);
      return;
    }
    this.#stage.claim(tick);
  }

  #claimDecided(tick: Tick, verdict: ClaimVerdict, durationMs: number): void {
    const events = this.#host.engine.events;
    if (!Number.isNaN(durationMs) && events.has('claim')) {
      events.emit('claim', {
        job: this.#host.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.eventsScheduledAt, manual: tick.manual,
        result: verdict.won ? 'won' : verdict.reason, durationMs,
        ...(verdict.won && verdict.lease !== undefined ? { token: verdict.lease.token } : {}),
      });
    }
    if (!verdict.won) {
      const failed = verdict.error !== undefined;
      const runsAnyway = failed && this.#host.engine.onCoordinatorError === 'run';
      if (failed && levelEnabled(this.#host.engine.log, 'error')) {
        this.#host.logger().error({ err: verdict.error, tickId: tick.tickId, reason: verdict.reason }, runsAnyway
          ? 'coordinator.claim failed; running the tick here without a lease (onCoordinatorError: run)'
          : 'coordinator.claim failed; tick skipped');
      }
      if (!runsAnyway) {
        this.#endTick(tick, 'skipped', verdict.reason);
        this.pump();
        return;
      }
      verdict = WON_WITHOUT_LEASE;
    }
    // The claim was out for a while: check again what it could not see.
    const state = this.#host.state;
    const policy = this.#host.config.policy;
    let refused: [TickResult & ('skipped' | 'dropped'), TickReason] | undefined;
    if (!this.accepting) refused = ['dropped', this.#dropReason()];
    else if (state === 'paused') refused = ['skipped', 'paused'];
    else if (!this.#hasFreeSlot()) refused = ['skipped', 'busy'];
    else if (this.#started >= policy.maxRuns) refused = ['skipped', 'done'];
    if (refused === undefined) {
      this.#launch(tick, verdict.lease, verdict.sentAt);
      return;
    }
    if (verdict.lease !== undefined) this.#stage?.unused(verdict.lease);
    this.#endTick(tick, refused[0], refused[1]);
    this.pump();
  }

  /** Starts the run of `tick`, holding `lease` (won by a claim sent at `claimSentAt`) when coordinated. */
  #launch(tick: Tick, lease: Lease | undefined, claimSentAt: number): void {
    const host = this.#host;
    const config = host.config;
    this.#started += 1;
    const run = Run.launch(tick, this, config, lease);
    if (this.#run === undefined) this.#run = run;
    else (this.#moreRuns ??= new Set()).add(run);
    this.#runCount += 1;
    host.engine.tally.inFlight += 1;
    this.#stage?.runStarted(run, claimSentAt);
    this.#emitTick(tick, 'started', undefined);
    if (this.#started >= config.policy.maxRuns) host.maxRunsReached();
    run.start();
  }

  /** RunHost: a run ended; its slot is free. */
  runEnded(run: Run, outcome: RunOutcome, error: Error | undefined, endedAt: number): void {
    if (this.#run === run) {
      // Keep #run the oldest run in flight (cancel-other aborts the oldest): promote the next.
      const next: Run | undefined = this.#moreRuns?.values().next().value;
      this.#run = next;
      if (next !== undefined) this.#moreRuns?.delete(next);
    } else this.#moreRuns?.delete(run);
    this.#runCount -= 1;
    const host = this.#host;
    const engine = host.engine;
    engine.tally.inFlight -= 1;
    const tick = run.tick;
    const attempts = run.attempts;
    if (outcome === 'success') this.#succeeded += 1;
    else {
      const counts = this.#counts();
      if (outcome === 'error') counts.failed += 1;
      else if (outcome === 'timeout') counts.timedOut += 1;
      else counts.aborted += 1;
    }
    if (attempts > 1) this.#counts().retries += attempts - 1;
    const durationMs = endedAt - run.startedAt;
    this.#lastSeq = tick.seq;
    this.#lastRunDue = tick.due;
    this.#lastStartedAt = run.startedAt;
    this.#lastEndedAt = endedAt;
    this.#lastOutcome = outcome;
    if (error !== undefined || tick.manual || attempts !== 1 || this.#rare !== undefined) {
      const rare = this.#counts();
      rare.lastError = error;
      rare.lastManual = tick.manual;
      rare.lastAttempts = attempts;
    }
    // Counted before any listener hears of it: a listener that starts another run must find these final.
    if (outcome === 'success') this.#consecutiveFailures = 0;
    else if (outcome === 'error' || outcome === 'timeout') this.#consecutiveFailures += 1;
    const pausesItself = (outcome === 'error' || outcome === 'timeout') && this.#consecutiveFailures >= host.config.policy.maxConsecutiveFailures;
    this.#stage?.runEnded(run, outcome);

    const latenessMs = run.startedAt - tick.monoDue;
    const events = engine.events;
    if (events.has('run:end')) {
      const event: Writable<EmittedEvent<'run:end'>> = {
        job: host.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.eventsScheduledAt, manual: tick.manual,
        outcome, attempts, startedAt: new Date(engine.loop.timeLine.wallAt(run.startedAt)), endedAt: new Date(engine.loop.timeLine.wallAt(endedAt)), durationMs, latenessMs,
      };
      // Added, not spread: spreading three conditional objects cost more than the rest of the event.
      if (error !== undefined) event.error = error;
      if (run.abortCause !== undefined) event.abortCause = run.abortCause;
      if (run.heldLease !== undefined) event.leaseToken = run.heldLease.token;
      events.emit('run:end', event);
    }
    const log = engine.log;
    if (outcome === 'success' || outcome === 'aborted') {
      if (levelEnabled(log, 'debug')) run.logger().debug({ outcome, durationMs, latenessMs, attempts }, 'run ended');
    } else if (levelEnabled(log, 'error')) {
      run.logger().error({ outcome, durationMs, latenessMs, attempts, err: error }, outcome === 'timeout' ? 'run timed out' : 'run failed');
    }
    if (tick.settle !== undefined) tick.resolve({ status: 'completed', outcome, attempts, durationMs, ...(error === undefined ? {} : { error }) });

    if (pausesItself && host.state === 'active') host.failedTooOften();
    host.tickEnded(tick);
    engine.runSettled(run);
    this.pump();
  }

  /** A tick that will not run: count it, tell listeners and its trigger() caller, keep fixedDelay going. */
  #endTick(tick: Tick, result: 'skipped' | 'dropped', reason: TickReason): void {
    if (result === 'skipped') this.#counts().skipped += 1;
    else this.#counts().dropped += 1;
    this.#emitTick(tick, result, reason);
    const host = this.#host;
    if (levelEnabled(host.engine.log, 'debug')) host.logger().debug({ tick: tick.seq, tickId: tick.tickId, result, reason }, `tick ${result}`);
    if (tick.settle !== undefined) tick.resolve({ status: result, reason });
    host.tickEnded(tick);
  }

  #emitTick(tick: Tick, result: TickResult, reason: TickReason | undefined): void {
    const events = this.#host.engine.events;
    if (!events.has('tick')) return;
    events.emit('tick', {
      job: this.#host.name, tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.eventsScheduledAt, manual: tick.manual,
      result, count: 1, ...(reason === undefined ? {} : { reason }),
    });
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────

  /** After an update: keeps no more buffered ticks than the new policy allows, then starts what may start. */
  configChanged(): void {
    const stage = this.#stage;
    if (stage !== undefined) {
      const leader = stage.leaderLease;
      stage.configChanged(leader !== undefined && this.runs().some((run) => run.heldLease === leader));
    }
    const { overlap, maxBuffered } = this.#host.config.policy;
    const capacity = bufferCapacity(overlap, maxBuffered);
    while (this.#buffer.length > capacity) this.#endTick(this.#buffer.shift()!, 'dropped', 'buffer-full');
    this.pump();
  }

  /** Drops every buffered tick with `reason`: maxRuns was reached (`done`), or the job stops or is removed. */
  dropBuffered(reason: Extract<TickReason, 'done' | 'stopped' | 'removed'>): number {
    const dropped = this.#buffer.length;
    while (this.#buffer.length > 0) this.#endTick(this.#buffer.shift()!, 'dropped', reason);
    return dropped;
  }

  /** Resumed: failures start counting again, and buffered ticks start where slots are free. */
  resumed(): void {
    this.#consecutiveFailures = 0;
    this.pump();
  }

  /**
   * Stop or remove: buffered ticks are dropped, pending claims abandoned (their ticks dropped
   * too), runs waiting to retry end with their last failure. Runs in flight go on.
   */
  shutDown(reason: DropReason): { dropped: number; claims: PendingClaim[] } {
    let dropped = this.dropBuffered(reason);
    const claims = this.#stage?.abandonClaims(reason === 'removed' ? new JobRemovedError(this.#host.name, 'claim a tick') : new SchedulerStoppedError('claim a tick')) ?? [];
    for (const claim of claims) {
      this.#endTick(claim.tick, 'dropped', reason);
      dropped += 1;
    }
    for (const run of this.runs()) run.endRetryWait();
    return { dropped, claims };
  }

  /** Aborts every run in flight. */
  abortRuns(cause: Extract<AbortCause, 'stop' | 'remove'>): void {
    for (const run of this.runs()) run.abort(cause);
  }

  /** No run of this job will start here again: give up leadership (when no run holds it any more). */
  resign(): void {
    this.#stage?.resign();
  }

  /** The scheduler is gone: stop renewing leases. */
  close(): void {
    this.#stage?.close();
  }

  leaseHolds(lease: Lease): boolean {
    return this.#stage === undefined || this.#stage.holds(lease);
  }

  /** Coordination lost a lease: the runs holding it must stop. */
  leaseLost(lease: Lease, why: string): void {
    const host = this.#host;
    if (levelEnabled(host.engine.log, 'warn')) host.logger().warn({ token: lease.token, why }, 'coordination lease lost; aborting the runs that held it');
    for (const run of this.runs()) if (run.heldLease === lease) run.abort('lease-lost');
  }

  /** The runs in flight, oldest first, as a fresh array (safe to iterate while runs end). */
  runs(): Run[] {
    const list: Run[] = this.#run === undefined ? [] : [this.#run];
    if (this.#moreRuns !== undefined) for (const run of this.#moreRuns) list.push(run);
    return list;
  }

  get runCount(): number {
    return this.#runCount;
  }

  get started(): number {
    return this.#started;
  }

  get claiming(): number {
    return this.#stage?.pending ?? 0;
  }

  get bufferedNow(): number {
    return this.#buffer.length;
  }

  /** When the last run ended (monotonic), if one did. */
  get lastEndedAt(): number | undefined {
    return this.#lastOutcome === undefined ? undefined : this.#lastEndedAt;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  stuckCount(): number {
    let stuck = 0;
    if (this.#run?.stuck === true) stuck += 1;
    if (this.#moreRuns !== undefined) for (const run of this.#moreRuns) if (run.stuck) stuck += 1;
    return stuck;
  }

  /** Further runs in flight when maxConcurrency > 1, oldest first (with the rare parts: most jobs run one at a time). */
  get #moreRuns(): Set<Run> | undefined {
    return this.#rare?.moreRuns;
  }
  set #moreRuns(runs: Set<Run> | undefined) {
    if (runs !== undefined || this.#rare !== undefined) this.#counts().moreRuns = runs;
  }

  #counts(): RareCounts {
    return (this.#rare ??= {
      buffered: 0, skipped: 0, dropped: 0, missed: 0, failed: 0, timedOut: 0, aborted: 0, retries: 0,
      lastError: undefined, lastManual: false, lastAttempts: 1, pump: 0, moreRuns: undefined,
    });
  }

  counters(): JobCounters {
    const rare = this.#rare;
    return {
      ticks: this.#ticks, started: this.#started, buffered: rare?.buffered ?? 0, skipped: rare?.skipped ?? 0, dropped: rare?.dropped ?? 0,
      missed: rare?.missed ?? 0, succeeded: this.#succeeded, failed: rare?.failed ?? 0, timedOut: rare?.timedOut ?? 0,
      aborted: rare?.aborted ?? 0, retries: rare?.retries ?? 0,
    };
  }

  lastRun(): LastRun | null {
    const outcome = this.#lastOutcome;
    if (outcome === undefined) return null;
    const rare = this.#rare;
    const tick = new Tick(this.#host.name, this.#lastSeq, this.#lastRunDue, rare?.lastManual ?? false, 0, false);
    const error = rare?.lastError;
    const timeLine = this.#host.engine.loop.timeLine;
    return {
      tick: tick.seq, tickId: tick.tickId, scheduledAt: tick.scheduledAt, startedAt: new Date(timeLine.wallAt(this.#lastStartedAt)),
      endedAt: new Date(timeLine.wallAt(this.#lastEndedAt)), durationMs: this.#lastEndedAt - this.#lastStartedAt, outcome, attempts: rare?.lastAttempts ?? 1,
      error: error === undefined ? null : { name: error.name, message: error.message },
    };
  }
}
