/**
 * Calls to the coordinator still unanswered — claims, renewals, releases — counted per job, so
 * that `stop()` and `remove()` can wait for them. Once they resolve, nothing of the scheduler (or
 * of the removed job) calls the coordinator again, and the app may close the store's client: a
 * release sent into a pool that was just ended would never arrive, and would leave the job locked
 * across the cluster until its lease expired.
 */
export class CoordinatorCalls {
  readonly #byJob = new Map<string, number>();
  #total = 0;
  readonly #onSettled: () => void;

  /** @param onSettled told after each tracked call settles (drains check whether they are done). */
  constructor(onSettled: () => void) {
    this.#onSettled = onSettled;
  }

  /** Counts `call` (a promise the engine derived from the coordinator's answer) until it settles. */
  track(job: string, call: Promise<unknown>): void {
    const end = this.begin(job);
    call.then(end, end);
  }

  /** Counts a call of `job` until the returned function is called (once counts; more are ignored). */
  begin(job: string): () => void {
    this.#total += 1;
    this.#byJob.set(job, (this.#byJob.get(job) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#total -= 1;
      const left = this.#byJob.get(job)! - 1;
      if (left === 0) this.#byJob.delete(job);
      else this.#byJob.set(job, left);
      this.#onSettled();
    };
  }

  /** Calls unanswered: of `job`, or of every job. */
  pending(job?: string): number {
    return job === undefined ? this.#total : this.#byJob.get(job) ?? 0;
  }
}
