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

/** Why a tick was skipped or dropped. */
export type TickReason =
  | 'busy'
  | 'paused'
  | 'not-claimed'
  | 'claimed-elsewhere'
  | 'claim-failed'
  | 'claim-timeout'
  | 'coordinator-unavailable'
  | 'buffer-full'
  | 'replaced'
  | 'stopped'
  | 'removed'
  | 'done'
  | 'stalled';

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
  /** The tick's nominal due time (wall clock). */
  readonly scheduledAt: Date;
  /** Whether the tick came from `job.trigger()`. */
  readonly manual: boolean;
}

/** A tick's fate. `missed` events — and `dropped` ones for ticks overdue at stop or remove — stand for `count` ticks at once. */
export interface TickEvent extends TickEventBase {
  readonly result: TickResult;
  /** Why the tick did not start: set for `skipped`, `dropped` and `missed`. */
  readonly reason?: TickReason;
  /** How many ticks this event stands for (more than 1 only for `missed` and overdue `dropped` ticks). */
  readonly count: number;
}

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

/** A run ended, retries included. */
export interface RunEndEvent extends TickEventBase {
  readonly outcome: RunOutcome;
  /** Attempts made. */
  readonly attempts: number;
  readonly startedAt: Date;
  readonly endedAt: Date;
  /** From the first attempt's start to the end, backoff included. */
  readonly durationMs: number;
  readonly latenessMs: number;
  /** The last attempt's error, for outcomes other than `success`. */
  readonly error?: Error;
  /** Who aborted the run, for `aborted` and `timeout`. */
  readonly abortCause?: AbortCause;
  /** The fencing token of the lease the run held, when the job is coordinated. */
  readonly leaseToken?: number;
}

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
export type ClaimEventResult = 'won' | Extract<TickReason, 'claimed-elsewhere' | 'not-claimed' | 'claim-failed' | 'claim-timeout' | 'coordinator-unavailable'>;

/** A coordinator answered a claim (or did not, in time). */
export interface ClaimEvent extends TickEventBase {
  readonly result: ClaimEventResult;
  /** The lease's fencing token, when the claim won one. */
  readonly token?: number;
  /** From sending the claim to its verdict. */
  readonly durationMs: number;
}

/** A lease the job holds was renewed, could not be renewed (retried), or was lost. */
export interface LeaseEvent extends JobEventBase {
  readonly token: number;
  readonly result: 'renewed' | 'renewal-failed' | 'lost';
  /** Why it failed or was lost. */
  readonly why?: string;
}

/** A job changed state (`from` is `null` when it was just added). */
export interface JobStateEvent extends JobEventBase {
  readonly from: JobState | null;
  readonly to: JobState;
  readonly reason: JobStateReason;
}

/** Why a job changed state. */
export type JobStateReason = PauseReason | 'max-runs' | 'schedule-ended' | 'added' | 'resumed' | 'updated' | 'removed' | 'stopped';

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

  emit<E extends SchedulerEventName>(name: E, event: SchedulerEvents[E]): void {
    const listeners = this.#listeners.get(name);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        const returned: unknown = (listener as Listener<E>)(event);
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
