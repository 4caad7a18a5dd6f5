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
  readonly tickId: string;
  readonly scheduledAt: Date;
  readonly manual: boolean;
}

/** A tick's fate. `missed` events stand for `count` ticks at once. */
export interface TickEvent extends TickEventBase {
  readonly result: TickResult;
  readonly reason?: TickReason;
  /** How many ticks this event stands for (more than 1 only for `missed`). */
  readonly count: number;
}

/** An attempt started. */
export interface RunStartEvent extends TickEventBase {
  readonly attempt: number;
  readonly startedAt: Date;
  /** Start time minus due time. */
  readonly latenessMs: number;
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

/** A job changed state (`from` is `null` when it was just added). */
export interface JobStateEvent extends JobEventBase {
  readonly from: JobState | null;
  readonly to: JobState;
  readonly reason?: JobStateReason;
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
}

/** The name of a scheduler event. */
export type SchedulerEventName = keyof SchedulerEvents;

/** Every event name, for validating `on()`. */
export const SCHEDULER_EVENT_NAMES: readonly SchedulerEventName[] = ['tick', 'run:start', 'run:end', 'run:retry', 'run:stuck', 'job:state'];

/** A listener of event `E`. It may be async: a rejection is reported like a throw. */
export type Listener<E extends SchedulerEventName> = (event: SchedulerEvents[E]) => void;

/** Holds listeners by event name; `has()` lets emitters skip building events nobody hears. */
export class EventHub {
  readonly #listeners = new Map<SchedulerEventName, Set<(event: never) => void>>();
  readonly #onListenerError: (error: unknown, event: SchedulerEventName) => void;

  constructor(onListenerError: (error: unknown, event: SchedulerEventName) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends SchedulerEventName>(name: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => this.off(name, listener);
  }

  off<E extends SchedulerEventName>(name: E, listener: Listener<E>): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    set.delete(listener as (event: never) => void);
    if (set.size === 0) this.#listeners.delete(name);
  }

  has(name: SchedulerEventName): boolean {
    return this.#listeners.has(name);
  }

  emit<E extends SchedulerEventName>(name: E, event: SchedulerEvents[E]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
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
