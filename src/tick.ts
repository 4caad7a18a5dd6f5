import type { TriggerResult } from './snapshot.js';

// The last due instant formatted, and its text. Jobs of one period share their due instants, so a
// batch of 10k runs formats one date instead of 10k (toISOString was a quarter of a run's CPU
// with any event listener attached).
let formattedDue = Number.NaN;
let formattedText = '';

/** `new Date(due).toISOString()`, formatted once per distinct instant in a row. */
export function isoOf(due: number): string {
  if (due !== formattedDue) {
    formattedText = new Date(due).toISOString();
    formattedDue = due;
  }
  return formattedText;
}

/**
 * One tick of a job: a due time that may become a run. Its identity (`tickId`) is derived
 * lazily: most ticks of most jobs are never asked for it.
 */
export class Tick {
  #tickId: string | undefined;
  #eventsScheduledAt: Date | undefined;
  /** Set by `job.trigger()`: receives the tick's fate. */
  settle: ((result: TriggerResult) => void) | undefined;

  constructor(
    readonly jobName: string,
    /** The job's tick counter. */
    readonly seq: number,
    /** The nominal due time: a wall-clock instant, epoch ms. */
    readonly due: number,
    readonly manual: boolean,
    /**
     * The same due time on the clock's monotonic line (`clock.now()`), which a run's start is
     * taken on: lateness is measured against it, on one time line.
     */
    readonly monoDue: number,
    /** Whether `due` is a slot every replica computes the same (fixedRate, cron, at), which a coordinator dedupes on. */
    readonly shared: boolean,
  ) {}

  /**
   * `${jobName}@${ISO due time}` for a scheduled tick: for fixedRate, cron and `at` the same in
   * every replica. A manual tick is local to its process and gets `#manual-${seq}` appended, so
   * two triggers within the same millisecond stay distinct.
   */
  get tickId(): string {
    return (this.#tickId ??= `${this.jobName}@${isoOf(this.due)}${this.manual ? `#manual-${this.seq}` : ''}`);
  }

  get scheduledAt(): Date {
    return new Date(this.due);
  }

  /**
   * `scheduledAt` for the tick's events: one `Date` that all of them share (a run with listeners
   * gave them three, a third of a run's allocation). Tasks get their own from `ctx.scheduledAt`.
   */
  get eventsScheduledAt(): Date {
    return (this.#eventsScheduledAt ??= new Date(this.due));
  }

  /** Delivers the tick's fate to a waiting `trigger()`, once. */
  resolve(result: TriggerResult): void {
    const settle = this.settle;
    if (settle === undefined) return;
    this.settle = undefined;
    settle(result);
  }
}
