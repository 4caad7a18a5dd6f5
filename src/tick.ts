import type { TriggerResult } from './snapshot.js';

/** One tick of a job: a due time that may become a run. Its identity (`tickId`) is derived lazily. */
export class Tick {
  #tickId: string | undefined;
  /** Set by `job.trigger()`: receives the tick's fate. */
  settle: ((result: TriggerResult) => void) | undefined;

  constructor(
    readonly jobName: string,
    /** The job's tick counter. */
    readonly seq: number,
    /** The nominal due time, epoch ms. */
    readonly due: number,
    readonly manual: boolean,
    /**
     * The same due time on the clock's monotonic time line (`clock.now()`), which a run's start
     * is taken on: lateness is measured against it. Equals `due` for fixedRate/fixedDelay ticks;
     * differs for cron/`at` and manual ticks, whose `due` is wall-clock time.
     */
    readonly queueDue: number = due,
  ) {}

  /**
   * `${jobName}@${ISO due time}` for a scheduled tick: the same in every replica. A manual
   * tick is local to its process and gets `#manual-${seq}` appended, so two triggers within
   * the same millisecond stay distinct.
   */
  get tickId(): string {
    return (this.#tickId ??= `${this.jobName}@${new Date(this.due).toISOString()}${this.manual ? `#manual-${this.seq}` : ''}`);
  }

  get scheduledAt(): Date {
    return new Date(this.due);
  }
}
