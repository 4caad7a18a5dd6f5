/**
 * Counts runs around the task itself, independently of the engine: a tickguard strategy is
 * judged by what its task saw (how many calls overlapped, whether one began after stop), not
 * by the counters the engine keeps about itself.
 */

/** A task as strategies call it: one request to the downstream. */
export type LabTask = (signal?: AbortSignal) => Promise<void>;

/** The first few moments a limit was exceeded, for the report. */
export interface Overrun {
  readonly atMs: number;
  readonly inFlight: number;
}

/** Wraps a task and keeps exact in-flight, start and end counts. */
export class RunProbe {
  readonly #limit: number | null;
  readonly #now: () => number;
  #inFlight = 0;
  #peakInFlight = 0;
  #started = 0;
  #completed = 0;
  #failed = 0;
  #stopRequested = false;
  #startedAfterStop = 0;
  readonly #overruns: Overrun[] = [];
  readonly #onEnter = new Set<() => void>();

  /**
   * @param limit - the most runs that may overlap, or `null` when the strategy promises no bound.
   * @param now - milliseconds since the strategy started, for timestamps in the report.
   */
  constructor(limit: number | null, now: () => number) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Runs started and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }
  get peakInFlight(): number {
    return this.#peakInFlight;
  }
  get started(): number {
    return this.#started;
  }
  get completed(): number {
    return this.#completed;
  }
  get failed(): number {
    return this.#failed;
  }
  /** Runs that began after {@link RunProbe.markStopRequested}. */
  get startedAfterStop(): number {
    return this.#startedAfterStop;
  }
  /** When in-flight runs exceeded the limit (at most the first ten occasions). */
  get overruns(): readonly Overrun[] {
    return this.#overruns;
  }

  /**
   * Resolves once a run is in flight: at once if one is, else when the next one starts (after
   * the task has been called, so its request is already with the downstream), or after
   * `timeoutMs` when none starts.
   */
  whenInFlight(timeoutMs: number): Promise<void> {
    if (this.#inFlight > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#onEnter.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#onEnter.add(done);
    });
  }

  /** From now on, every run that starts is counted as started after stop. */
  markStopRequested(): void {
    this.#stopRequested = true;
  }

  /** The task, counted: the returned function settles as `task` does. */
  wrap(task: LabTask): LabTask {
    return async (signal) => {
      this.#enter();
      try {
        await task(signal);
        this.#completed += 1;
      } catch (error) {
        this.#failed += 1;
        throw error;
      } finally {
        this.#inFlight -= 1;
      }
    };
  }

  #enter(): void {
    this.#started += 1;
    this.#inFlight += 1;
    if (this.#inFlight > this.#peakInFlight) this.#peakInFlight = this.#inFlight;
    if (this.#stopRequested) this.#startedAfterStop += 1;
    if (this.#limit !== null && this.#inFlight > this.#limit && this.#overruns.length < 10) {
      this.#overruns.push({ atMs: Math.round(this.#now()), inFlight: this.#inFlight });
    }
    for (const notify of [...this.#onEnter]) notify();
  }
}
