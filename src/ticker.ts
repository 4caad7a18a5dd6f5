/**
 * A job's ticker: it keeps the job's next scheduled tick armed on the tick loop, and turns each
 * firing into a {@link Tick} for the executor. It is the job's only queue entry.
 *
 *  - Shared schedules (fixedRate, cron, at): the due time is a wall-clock instant; the entry
 *    waits on the monotonic line until the instant should have come (`time-line.ts`), then
 *    checks the wall clock: early (it was set back meanwhile) means wait for the rest; late
 *    means catch up — the latest due tick fires, those it overtook count as missed
 *    (`schedules/catch-up.ts`). The next tick is armed as soon as one fires, so a run's duration
 *    cannot shift the timetable.
 *  - fixedDelay: the chain. A tick is armed on the monotonic line, and the next one only when
 *    the previous tick has ended — its run settled, or it was skipped or dropped.
 *  - runOnStart: one extra tick, fired through the loop right after `add()` (never inside it).
 *  - Jitter delays the firing, never `scheduledAt`, and never counts as a stall.
 */
import type { Engine } from './engine.js';
import type { JobConfig } from './options/job.js';
import type { JobState } from './snapshot.js';
import type { Tick } from './tick.js';
import type { Executor } from './executor.js';
import { QueueEntry } from './timer-queue.js';
import { catchUp } from './schedules/catch-up.js';
import { levelEnabled, type Logger } from './logger.js';

/** What a ticker needs of its job. */
export interface TickerHost {
  readonly engine: Engine;
  readonly config: JobConfig;
  readonly state: JobState;
  readonly executor: Executor;
  /** The schedule has no more ticks (`at` fired): the job is done once its last tick has ended. */
  scheduleEnded(): void;
  logger(): Logger;
}

/** A wall clock read this far before the due time, when the monotonic wait is over, was set back. */
const STEP_BACK_WARNING_MS = 1_000;

/** The state of a fixedDelay chain. */
interface Chain {
  /** The tick whose end arms the next one. */
  tick: Tick | undefined;
  /** With runOnStart and initialDelay: the next tick is not due before this (monotonic; 0: no bound). */
  notBefore: number;
  /** When the last chained tick ended, or the add time (monotonic). */
  lastSettled: number;
}

/** The runOnStart tick while it is pending. */
interface StartTick {
  /** Its due time on the wall clock. */
  readonly due: number;
  /** Its due time on the monotonic line. */
  readonly monoDue: number;
  /** Whether `due` is a slot of the schedule (fixedRate, cron) rather than the add time. */
  readonly shared: boolean;
}

/** What a ticker holds for the few jobs that use jitter, runOnStart or fixedDelay. */
interface Aside {
  jitter: number;
  start: StartTick | undefined;
  chain: Chain | undefined;
}

export class Ticker extends QueueEntry {
  readonly #host: TickerHost;
  /** Due time of the next scheduled tick: wall-clock for shared schedules, monotonic for fixedDelay. NaN when none. */
  #due = NaN;
  /** Wall-clock due time of the last scheduled tick that fired (0: none yet): a new schedule continues after it. */
  #lastDue = 0;
  /** Jitter, the start-up tick and the fixedDelay chain, which most jobs never have: made on first use. */
  #aside: Aside | undefined;

  constructor(host: TickerHost) {
    super();
    this.#host = host;
  }

  /** Jitter added to the pending tick's firing. */
  get #jitter(): number {
    return this.#aside?.jitter ?? 0;
  }
  set #jitter(jitter: number) {
    if (jitter !== 0 || this.#aside !== undefined) this.#asideState().jitter = jitter;
  }

  /** The runOnStart tick, while it waits for the loop; the regular `#due` is armed after it fires. */
  get #start(): StartTick | undefined {
    return this.#aside?.start;
  }
  set #start(start: StartTick | undefined) {
    if (start !== undefined || this.#aside !== undefined) this.#asideState().start = start;
  }

  /** fixedDelay's chain, made for fixedDelay jobs only. */
  get #chain(): Chain | undefined {
    return this.#aside?.chain;
  }
  set #chain(chain: Chain | undefined) {
    if (chain !== undefined || this.#aside !== undefined) this.#asideState().chain = chain;
  }

  #asideState(): Aside {
    return (this.#aside ??= { jitter: 0, start: undefined, chain: undefined });
  }

  /** Arms the first tick (or the runOnStart tick before it) of a job just added. */
  start(): void {
    const { engine, config } = this.#host;
    const { schedule } = config;
    const { runOnStart, initialDelayMs } = config.policy;
    const wall = engine.clock.wallNow();
    // Read only where a monotonic instant is armed from it (a chain, a start-up tick): adding
    // 100k fixedRate jobs then reads one clock fewer each.
    const mono = schedule.chained || config.policy.runOnStart || config.policy.catchUpWindowMs !== undefined ? engine.clock.now() : NaN;
    if (schedule.chained) {
      const chain = this.#chainState();
      chain.lastSettled = mono;
      if (!runOnStart) {
        this.#arm(schedule.first(mono, initialDelayMs)!);
        return;
      }
      // The start-up tick heads the chain; the next follows its end, and not before initialDelay.
      if (initialDelayMs !== undefined) chain.notBefore = mono + initialDelayMs;
      this.#armStart({ due: wall, monoDue: mono, shared: false });
      return;
    }
    const first = schedule.first(wall, initialDelayMs);
    this.#due = first ?? NaN;
    const catchUpWindowMs = config.policy.catchUpWindowMs;
    if (runOnStart || catchUpWindowMs !== undefined) {
      // The schedule's current tick, which replicas starting together agree on; `at` has none.
      // Its lateness counts from the add time: running it now is the point. A catch-up runs it
      // only when it is recent enough — and the claim tells whether some replica ran it already.
      const current = schedule.kind === 'at' ? null : schedule.latest(wall);
      if (current === null && runOnStart) {
        this.#armStart({ due: wall, monoDue: mono, shared: false });
        return;
      }
      if (current !== null && current !== first && (runOnStart || wall - current <= catchUpWindowMs!)) {
        this.#armStart({ due: current, monoDue: mono, shared: true });
        return;
      }
    }
    if (first !== null) this.#arm(first);
  }

  /** The pending scheduled tick's due time as a wall-clock instant, or `null` when none is armed. */
  get pendingDue(): number | null {
    if (!this.queued) return null;
    if (this.#start !== undefined) return this.#start.due;
    return this.#host.config.schedule.chained ? this.#host.engine.loop.timeLine.wallAt(this.#due) : this.#due;
  }

  /** QueueEntry: the pending tick is due (on the monotonic line). */
  fire(monoNow: number): void {
    const host = this.#host;
    if (host.state === 'removed') return;
    if (this.#start !== undefined) return this.#fireStart(this.#start);
    const schedule = host.config.schedule;
    const executor = host.executor;
    const timeLine = host.engine.loop.timeLine;
    if (schedule.chained) {
      const due = this.#due;
      this.#due = NaN;
      const tick = executor.newTick(timeLine.wallAt(due), false, due, false);
      this.#lastDue = tick.due;
      this.#chainState().tick = tick;
      executor.submit(tick);
      return;
    }
    const wall = timeLine.wallAt(monoNow);
    const due = this.#due;
    if (wall < due) {
      // Early on the wall clock's reckoning: it was set back meanwhile, or this was a slice of a long wait.
      if (due - wall > STEP_BACK_WARNING_MS && levelEnabled(host.engine.log, 'warn')) {
        host.logger().warn({ steppedBackMs: due - wall, due: new Date(due).toISOString() }, 'the wall clock was set back; the schedule waits for it (tick ids are wall-clock instants and never repeat)');
      }
      host.engine.loop.schedule(this, monoNow + (due - wall) + this.#jitter);
      return;
    }
    const monoLate = monoNow - this.due;
    const { fire, missed, next } = catchUp(schedule, due, wall - this.#jitter);
    if (missed > 0) {
      const wallLate = wall - this.#jitter - due;
      const jumped = wallLate - monoLate >= (schedule.periodMs ?? STEP_BACK_WARNING_MS);
      executor.recordMissed(due, missed, jumped
        ? 'the wall clock jumped ahead past their due time'
        : 'the event loop was blocked past their due time');
    }
    this.#lastDue = fire;
    const tick = executor.newTick(fire, false, timeLine.monotonicAt(fire), true);
    if (next !== null) this.#arm(next);
    else this.#due = NaN;
    executor.submit(tick);
    // The last tick of the schedule, unless a task or listener gave the job a new one meanwhile.
    if (next === null && !this.queued && this.#start === undefined) host.scheduleEnded();
  }

  #fireStart(start: StartTick): void {
    const host = this.#host;
    this.#start = undefined;
    if (start.shared) this.#lastDue = start.due;
    const tick = host.executor.newTick(start.due, false, start.monoDue, start.shared);
    if (host.config.schedule.chained) this.#chainState().tick = tick;
    else if (!Number.isNaN(this.#due)) this.#arm(this.#due);
    host.executor.submit(tick);
  }

  /** The executor is done with `tick`: a fixedDelay chain arms its next tick. */
  tickEnded(tick: Tick): void {
    const chain = this.#chain;
    if (chain === undefined || tick !== chain.tick) return;
    chain.tick = undefined;
    const host = this.#host;
    const now = host.engine.clock.now();
    chain.lastSettled = now;
    if (host.state === 'done' || host.state === 'removed' || !host.engine.accepting) return;
    this.#arm(Math.max(host.config.schedule.next(now)!, chain.notBefore));
  }

  #chainState(): Chain {
    return (this.#chain ??= { tick: undefined, notBefore: 0, lastSettled: 0 });
  }

  /**
   * A new schedule (or a job revived by `update()`) continues from the last tick that fired:
   * never before now, never repeating it. A fixedDelay run in flight arms the next tick itself
   * when it ends, with the new delay; without one, the new delay counts from the last run's end.
   * A runOnStart tick still waiting for the loop keeps its place, ahead of the new schedule.
   */
  rebase(): void {
    const host = this.#host;
    const { engine, config } = host;
    const schedule = config.schedule;
    const start = this.#start;
    this.#host.engine.loop.cancel(this);
    this.#due = NaN;
    if (schedule.chained) {
      if (start !== undefined) return this.#armStart(start);
      if (this.#chain?.tick !== undefined) return;
      const now = engine.clock.now();
      const settled = this.#chain?.lastSettled ?? host.executor.lastEndedAt;
      this.#arm(settled === undefined ? schedule.next(now)! : Math.max(schedule.next(settled)!, now));
      return;
    }
    // The chain of a fixedDelay schedule this one replaces is over.
    this.#chain = undefined;
    const next = schedule.next(Math.max(this.#lastDue, engine.clock.wallNow() - 1));
    if (start !== undefined) {
      this.#due = next ?? NaN;
      this.#armStart(start);
    } else if (next === null) host.scheduleEnded();
    else this.#arm(next);
  }

  /** Nothing of the schedule fires any more (stop, remove, maxRuns): the pending tick and a fixedDelay chain end here. */
  halt(): void {
    this.#host.engine.loop.cancel(this);
    this.#due = NaN;
    this.#start = undefined;
    if (this.#chain !== undefined) this.#chain.tick = undefined;
  }

  /** Stop or remove: the schedule halts; ticks already overdue are counted as dropped. Returns how many. */
  shutDown(reason: 'stopped' | 'removed'): number {
    const host = this.#host;
    const firstDue = this.pendingDue;
    const start = this.#start;
    const due = this.#due;
    const entryDue = this.due;
    const jitter = this.#jitter;
    // Halted before anything is reported: a listener that stops again finds nothing left to count.
    this.halt();
    if (firstDue === null) return 0;
    const clock = host.engine.clock;
    const schedule = host.config.schedule;
    let overdue = 0;
    if (start !== undefined || schedule.chained) overdue = clock.now() >= entryDue ? 1 : 0;
    else if (clock.wallNow() - jitter >= due) overdue = catchUp(schedule, due, clock.wallNow() - jitter).missed + 1;
    if (overdue > 0) host.executor.recordOverdue(firstDue, overdue, reason);
    return overdue;
  }

  /**
   * The next `count` due times (wall-clock), computed from the schedule without running anything.
   * A fixedDelay job's are estimates: as if the run in flight ended now and runs took no time.
   */
  nextRuns(count: number): number[] {
    const host = this.#host;
    if (host.state === 'done' || host.state === 'removed') return [];
    const schedule = host.config.schedule;
    const wall = host.engine.clock.wallNow();
    const dues: number[] = [];
    let due: number | null;
    if (this.#start !== undefined && this.queued) {
      dues.push(this.#start.due);
      due = schedule.chained ? schedule.next(wall) : Number.isNaN(this.#due) ? null : this.#due;
    } else if (this.queued) {
      due = this.pendingDue;
    } else {
      due = schedule.chained && this.#chain?.tick !== undefined ? schedule.next(wall) : null;
    }
    while (due !== null && dues.length < count) {
      dues.push(due);
      due = schedule.next(due);
    }
    return dues.slice(0, count);
  }

  #armStart(start: StartTick): void {
    this.#start = start;
    // Through the loop, not inside add(): the start-up tick fires as soon as the loop runs.
    this.#host.engine.loop.schedule(this, this.#host.engine.clock.now());
  }

  /** Arms the scheduled tick due at `due` (wall-clock, or monotonic for fixedDelay), with jitter. */
  #arm(due: number): void {
    const { engine, config } = this.#host;
    this.#due = due;
    const jitterMs = config.policy.jitterMs;
    this.#jitter = jitterMs > 0 ? (engine.clock.random?.() ?? Math.random()) * jitterMs : 0;
    const monoDue = config.schedule.chained ? due : engine.loop.timeLine.monotonicAt(due);
    engine.loop.schedule(this, monoDue + this.#jitter);
  }
}
