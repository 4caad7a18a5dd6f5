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
  ) {}

  /** `${jobName}@${ISO due time}`: the same in every replica. */
  get tickId(): string {
    return (this.#tickId ??= `${this.jobName}@${new Date(this.due).toISOString()}`);
  }

  get scheduledAt(): Date {
    return new Date(this.due);
  }
}
