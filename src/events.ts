/**
 * Typed events of a scheduler. Listeners run synchronously where the engine emits; one that
 * throws, or returns a promise that rejects, is logged and ignored, so it can never break a run
 * or the tick loop, nor crash the process with an unhandled rejection.
 */
import type { AbortCause } from './errors.js';
import type { JobState, PauseReason } from './snapshot.js';
import { catchRejection } from './thenable.js';

/** What became of a tick. */
export type TickResult = 'started' | 'buffered' | 'skipped' | 'dropped' | 'missed';

/** Why a claim sent to the coordinator did not win the tick. */
export type ClaimRefusalReason = 'not-claimed' | 'claimed-elsewhere' | 'claim-failed' | 'claim-timeout' | 'coordinator-unavailable';

/** Why a tick was skipped: its job was busy, paused or done, or its claim did not win. */
export type SkipReason = 'busy' | 'paused' | 'done' | ClaimRefusalReason;

/** Why a tick was dropped: the buffer overflowed or was replaced, the job is done, or it stopped. */
export type DropReason = 'buffer-full' | 'replaced' | 'done' | 'stopped' | 'removed';

/** Why ticks were missed: the event loop (or the wall clock) jumped past them. */
export type MissReason = 'stalled';

/** Why a tick did not start: a skip, drop or miss reason. */
export type TickReason = SkipReason | DropReason | MissReason;

/** How a run ended. */
export type RunOutcome = 'success' | 'error' | 'timeout' | 'aborted';

interface JobEventBase {
  /** The job's name. */
  readonly job: string;
}

interface TickEventBase extends JobEventBase {
  /** The job's tick counter of this tick. */
  readonly tick: number;
  /** The tick's stable identity: `${job}@${scheduledAt ISO}` (manual ticks add `#manual-N`). */
  readonly tickId: string;
  /**
   * The tick's nominal due time (wall clock). One `Date` is shared by all of the tick's events and
   * all their listeners: copy it before changing it. A change shows in the tick's later events and
   * in what other listeners read of them (the OpenTelemetry spans among them); never in
   * `ctx.scheduledAt`, `tickId`, log lines, snapshots or other ticks' events.
   */
  readonly scheduledAt: Date;
  /** Whether the tick came from `job.trigger()`. */
  readonly manual: boolean;
}

/** A tick whose run started, or that waits in the buffer for a slot (a `started` or `dropped` event follows). */
export interface TickStartedEvent extends TickEventBase {
  readonly result: 'started' | 'buffered';
  readonly reason?: never;
  readonly count: 1;
}

/** A tick that did not run and was counted as skipped. */
export interface TickSkippedEvent extends TickEventBase {
  readonly result: 'skipped';
  readonly reason: SkipReason;
  readonly count: 1;
}

/** Ticks discarded: one from the buffer, or (`stopped`, `removed`) `count` ticks overdue at stop or remove. */
export interface TickDroppedEvent extends TickEventBase {
  readonly result: 'dropped';
  readonly reason: DropReason;
  /** How many ticks this event stands for: more than 1 only for ticks overdue at stop or remove. */
  readonly count: number;
}

/** `count` ticks overtaken by a stall, from `scheduledAt` on. */
export interface TickMissedEvent extends TickEventBase {
  readonly result: 'missed';
  readonly reason: MissReason;
  /** How many ticks this event stands for. */
  readonly count: number;
}

/**
 * A tick's fate, discriminated by `result`: `skipped`, `dropped` and `missed` carry their
 * `reason`; `missed` events — and `dropped` ones for ticks overdue at stop or remove — stand
 * for `count` ticks at once.
 *
 * @example
 * ```ts
 * scheduler.on('tick', (e) => {
 *   if (e.result === 'skipped') console.warn(`${e.tickId} skipped: ${e.reason}`); // e.reason: SkipReason
 * });
 * ```
 */
export type TickEvent = TickStartedEvent | TickSkippedEvent | TickDroppedEvent | TickMissedEvent;

/** An attempt started. */
export interface RunStartEvent extends TickEventBase {
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /** When the attempt started (wall clock). */
  readonly startedAt: Date;
  /** Start time minus due time. */
  readonly latenessMs: number;
  /** The fencing token of the lease the run holds, when the job is coordinated. */
  readonly leaseToken?: number;
}

interface RunEndEventBase extends TickEventBase {
  /** Attempts made (0 when the run was aborted before its task was called). */
  readonly attempts: number;
  readonly startedAt: Date;
  readonly endedAt: Date;
  /** From the first attempt's start to the end, backoff included. */
  readonly durationMs: number;
  readonly latenessMs: number;
  /** The fencing token of the lease the run held, when the job is coordinated. */
  readonly leaseToken?: number;
}

/** A run whose last attempt succeeded. */
export interface RunSucceededEvent extends RunEndEventBase {
  readonly outcome: 'success';
  readonly error?: never;
  readonly abortCause?: never;
}

/** A run whose last attempt threw or rejected. */
export interface RunFailedEvent extends RunEndEventBase {
  readonly outcome: 'error';
  /** The last attempt's error. */
  readonly error: Error;
  /** Set when the run ended while waiting for a retry that could no longer start: the scheduler stopped, the job was removed, or its lease was lost. */
  readonly abortCause?: Extract<AbortCause, 'stop' | 'remove' | 'lease-lost'>;
}

/** A run whose last attempt ran past its `timeout`. */
export interface RunTimedOutEvent extends RunEndEventBase {
  readonly outcome: 'timeout';
  /** A {@link RunTimeoutError}, or what the task threw once its signal aborted. */
  readonly error: Error;
  /** `'timeout'`, or who ended the run while it waited for a retry (stop, remove, a lost lease). */
  readonly abortCause: Exclude<AbortCause, 'cancel-other'>;
}

/** A run whose signal was aborted by someone other than its timeout. */
export interface RunAbortedEvent extends RunEndEventBase {
  readonly outcome: 'aborted';
  /** A {@link RunAbortedError}, or what the task threw once its signal aborted. */
  readonly error: Error;
  /** Who aborted the run. */
  readonly abortCause: Exclude<AbortCause, 'timeout'>;
}

/**
 * A run ended, retries included; discriminated by `outcome`: `error`, `timeout` and `aborted`
 * carry the `error`, `timeout` and `aborted` their `abortCause`.
 *
 * @example
 * ```ts
 * scheduler.on('run:end', (e) => {
 *   if (e.outcome === 'aborted') console.warn(`${e.tickId} aborted by ${e.abortCause}: ${e.error.message}`);
 * });
 * ```
 */
export type RunEndEvent = RunSucceededEvent | RunFailedEvent | RunTimedOutEvent | RunAbortedEvent;

/** An attempt failed and another one follows after `delayMs`. */
export interface RunRetryEvent extends TickEventBase {
  readonly attempt: number;
  readonly error: Error;
  readonly delayMs: number;
}

/** A run is still in flight past `stuckAfter`. */
export interface RunStuckEvent extends TickEventBase {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly runningForMs: number;
}

/** What became of a claim sent to the coordinator. */
export type ClaimEventResult = 'won' | ClaimRefusalReason;

interface ClaimEventBase extends TickEventBase {
  /** From sending the claim to its verdict. */
  readonly durationMs: number;
}

/** A claim that won the tick. */
export interface ClaimWonEvent extends ClaimEventBase {
  readonly result: 'won';
  /** The lease's fencing token (absent when a boolean-returning coordinator answered `true`). */
  readonly token?: number;
}

/** A claim that did not win the tick: the tick is skipped with this reason. */
export interface ClaimRefusedEvent extends ClaimEventBase {
  readonly result: ClaimRefusalReason;
  readonly token?: never;
}

/** A coordinator answered a claim (or did not, in time); discriminated by `result`. */
export type ClaimEvent = ClaimWonEvent | ClaimRefusedEvent;

interface LeaseEventBase extends JobEventBase {
  readonly token: number;
}

/** A lease the job holds was renewed. */
export interface LeaseRenewedEvent extends LeaseEventBase {
  readonly result: 'renewed';
  readonly why?: never;
}

/** A lease could not be renewed (it is retried until it would expire), or was lost. */
export interface LeaseTroubleEvent extends LeaseEventBase {
  readonly result: 'renewal-failed' | 'lost';
  /** Why it failed or was lost. */
  readonly why: string;
}

/** A lease the job holds was renewed, could not be renewed (retried), or was lost; discriminated by `result`. */
export type LeaseEvent = LeaseRenewedEvent | LeaseTroubleEvent;

interface JobStateEventBase extends JobEventBase {
  /** The state before; `null` when the job was just added. */
  readonly from: JobState | null;
}

/** A job became active: added (`from: null`), resumed, or revived by an update. */
export interface JobActiveEvent extends JobStateEventBase {
  readonly to: 'active';
  readonly reason: 'added' | 'resumed' | 'updated';
}

/** A job was paused: by `pause()` (`manual`) or by itself after `maxConsecutiveFailures` (`failures`). */
export interface JobPausedEvent extends JobStateEventBase {
  readonly from: JobState;
  readonly to: 'paused';
  readonly reason: PauseReason;
}

/** A job is done: `maxRuns` reached, or its schedule has no more ticks. */
export interface JobDoneEvent extends JobStateEventBase {
  readonly from: JobState;
  readonly to: 'done';
  readonly reason: 'max-runs' | 'schedule-ended';
}

/** A job was removed, by `remove()` or by the scheduler's `stop()`. */
export interface JobRemovedEvent extends JobStateEventBase {
  readonly from: JobState;
  readonly to: 'removed';
  readonly reason: 'removed' | 'stopped';
}

/** A job changed state; discriminated by `to`, which says which `reason`s are possible. */
export type JobStateEvent = JobActiveEvent | JobPausedEvent | JobDoneEvent | JobRemovedEvent;

/** Why a job changed state. */
export type JobStateReason = JobStateEvent['reason'];

/** The scheduler's events, by name. */
export interface SchedulerEvents {
  tick: TickEvent;
  'run:start': RunStartEvent;
  'run:end': RunEndEvent;
  'run:retry': RunRetryEvent;
  'run:stuck': RunStuckEvent;
  'job:state': JobStateEvent;
  claim: ClaimEvent;
  lease: LeaseEvent;
}

/** The name of a scheduler event. */
export type SchedulerEventName = keyof SchedulerEvents;

/**
 * What the engine hands to `emit()`: the events as it builds them, field by field from variables,
 * before their members are told apart. Each union above says which combinations the engine
 * produces (the tests of every shape keep them in step); listeners get the unions.
 */
interface EmittedEvents extends Omit<SchedulerEvents, 'tick' | 'run:end' | 'claim' | 'lease' | 'job:state'> {
  'job:state': Merged<JobStateEvent>;
  tick: Merged<TickEvent>;
  'run:end': Merged<RunEndEvent>;
  claim: Merged<ClaimEvent>;
  lease: Merged<LeaseEvent>;
}

/** What the engine emits for event `E` (the members of a union merged into one object type). */
export type EmittedEvent<E extends SchedulerEventName> = EmittedEvents[E];

/** `T` with its properties writable: an event is built, then emitted read-only. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The members of union `U` as one object type: each key with its values merged, optional unless every member requires it. */
type Merged<U> = { readonly [K in RequiredKeys<U>]: ValueOf<U, K> } & { readonly [K in Exclude<AllKeys<U>, RequiredKeys<U>>]?: ValueOf<U, K> };
type AllKeys<U> = U extends unknown ? keyof U : never;
type OptionalKeys<U> = U extends unknown ? { [K in keyof U]-?: object extends Pick<U, K> ? K : never }[keyof U] : never;
type RequiredKeys<U> = Exclude<keyof U, OptionalKeys<U>>;
type ValueOf<U, K extends PropertyKey> = U extends unknown ? (K extends keyof U ? Exclude<U[K], undefined> : never) : never;

/** Every event name, for validating `on()`. */
export const SCHEDULER_EVENT_NAMES: readonly SchedulerEventName[] = ['tick', 'run:start', 'run:end', 'run:retry', 'run:stuck', 'job:state', 'claim', 'lease'];

/** A listener of event `E`. It may be async: a rejection is reported like a throw. */
export type Listener<E extends SchedulerEventName> = (event: SchedulerEvents[E]) => void;

/**
 * Holds listeners by event name; `has()` lets emitters skip building events nobody hears. Each
 * event's listeners are an array replaced, never changed, by `on()` and `off()`, so that
 * `emit()` iterates it as it was — a listener added or removed meanwhile counts from the next
 * event — without copying it per event.
 */
export class EventHub {
  readonly #listeners = new Map<SchedulerEventName, readonly ((event: never) => void)[]>();
  readonly #onListenerError: (error: unknown, event: SchedulerEventName) => void;

  constructor(onListenerError: (error: unknown, event: SchedulerEventName) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends SchedulerEventName>(name: E, listener: Listener<E>): () => void {
    const current = this.#listeners.get(name) ?? [];
    if (!current.includes(listener as (event: never) => void)) this.#listeners.set(name, [...current, listener as (event: never) => void]);
    return () => this.off(name, listener);
  }

  off<E extends SchedulerEventName>(name: E, listener: Listener<E>): void {
    const current = this.#listeners.get(name);
    if (current === undefined) return;
    const rest = current.filter((l) => l !== listener);
    if (rest.length === 0) this.#listeners.delete(name);
    else this.#listeners.set(name, rest);
  }

  has(name: SchedulerEventName): boolean {
    return this.#listeners.has(name);
  }

  emit<E extends SchedulerEventName>(name: E, event: EmittedEvents[E]): void {
    const listeners = this.#listeners.get(name);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        const returned: unknown = (listener as (event: EmittedEvents[E]) => unknown)(event);
        if (returned !== undefined) catchRejection(returned, (error) => this.#onListenerError(error, name));
      } catch (error) {
        this.#onListenerError(error, name);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
